using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests;

/// <summary>How much of the host each container of docker-compose.yml may touch: as little as its job needs.</summary>
public sealed class The_containers
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));

    /// <summary>What the postgres and rabbitmq entrypoints need to chown their data folder and switch to their user.</summary>
    private static readonly string[] UserSwitchCapabilities = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"];

    [Fact]
    public void Can_never_gain_privileges()
    {
        var violations = Compose.Services
            .Where(service => !service.SecurityOptions.Contains("no-new-privileges:true"))
            .Select(service => $"{service.Name}: security_opt lacks no-new-privileges:true");
        Expect.NoViolations(violations);
    }

    [Fact]
    public void Drop_every_capability_and_take_back_only_what_an_entrypoint_that_switches_user_needs()
    {
        var violations = new List<string>();
        foreach (var service in Compose.Services)
        {
            if (!service.CapDrop.Contains("ALL"))
                violations.Add($"{service.Name}: cap_drop is not [ALL]");
            var switchesUser = service.Image is { } image && (image.StartsWith("postgres:", StringComparison.Ordinal) || image.StartsWith("rabbitmq:", StringComparison.Ordinal));
            var allowed = switchesUser ? UserSwitchCapabilities : [];
            violations.AddRange(service.CapAdd.Except(allowed).Select(capability => $"{service.Name}: adds capability {capability}, which its job doesn't need"));
        }
        Expect.NoViolations(violations);
    }

    [Fact]
    public void Built_here_have_a_read_only_root_and_a_small_private_tmp()
    {
        var violations = new List<string>();
        foreach (var service in ComposeRules.DotnetServices(Compose))
        {
            if (!service.ReadOnlyRootFileSystem)
                violations.Add($"{service.Name}: read_only is not true");
            if (!service.Tmpfs.Any(entry => entry.Split(':')[0] == "/tmp" && entry.Contains("size=", StringComparison.Ordinal)))
                violations.Add($"{service.Name}: no size-limited tmpfs on /tmp");
        }
        Expect.NoViolations(violations);
    }

    [Fact]
    public void Built_here_write_only_to_volumes_mounted_writable()
    {
        string[] writtenFolders = ["Dumper__TempDirectory", "Restore__TempDirectory", "Notifier__PickupDirectory"];
        var violations = new List<string>();
        foreach (var service in ComposeRules.DotnetServices(Compose))
        {
            foreach (var key in writtenFolders)
            {
                if (service.Environment.GetValueOrDefault(key) is not { } folder)
                    continue;
                if (!service.Volumes.Any(volume => volume.Target == folder && !volume.ReadOnly && Compose.Volumes.Contains(volume.Source)))
                    violations.Add($"{service.Name}: {key}={folder} is not a writable named volume, and the root file system is read-only");
            }
        }
        Expect.NoViolations(violations);
    }

    [Fact]
    public void That_write_temporary_files_keep_them_on_a_volume_not_in_memory()
    {
        // pg_dump's and pg_restore's working files are as large as a database; /tmp is a 64 MB tmpfs.
        Assert.Equal("/var/lib/backup/work", Compose.Service("dumper")!.Environment["Dumper__TempDirectory"]);
        Assert.Equal("/var/lib/backup/work", Compose.Service("restorer")!.Environment["Restore__TempDirectory"]);
        var image = Repository.ReadText("deploy/docker/Service.Dockerfile");
        Assert.Contains("/var/lib/backup/work", image, StringComparison.Ordinal);
    }
}
