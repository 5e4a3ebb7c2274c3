using System.Text.Json;
using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests;

/// <summary>
/// The minio bucket of docker-compose.yml: each service that uses it holds its own keys, whose policy
/// (deploy/compose/minio/policies) allows only what its job does; the root keys make the bucket and the users and
/// nothing else. (s3rver, the S3 server of the integration tests, has no users or policies: these files are what MinIO enforces.)
/// </summary>
public sealed class The_bucket_policies
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));
    private static readonly string InitBucket = Repository.ReadText("deploy/compose/minio/init-bucket.sh");

    /// <summary>What each service may do to the artifacts (objects) of the bucket, and why.</summary>
    private static readonly Dictionary<string, string[]> ObjectActions = new()
    {
        // writes artifacts and manifests (multipart, aborted on failure), reads them back to check them, deletes a write
        // that came back wrong
        ["dumper"] = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        ["notifier"] = ["s3:GetObject"], // attaches artifacts to emails
        ["restorer"] = ["s3:GetObject"], // restores and drills
        ["retention"] = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject"], // expires artifacts, orphans, unfinished uploads
        ["api"] = ["s3:DeleteObject", "s3:GetObject"], // downloads, and an admin's DELETE /runs/{id}/artifact
    };

    [Fact]
    public void Give_each_service_that_uses_the_bucket_its_own_keys()
    {
        var users = Compose.Services.Where(service => service.Environment.ContainsKey("Storage__S3__Bucket")).ToList();
        Assert.Equal(ObjectActions.Keys.Order(), users.Select(service => service.Name).Order());
        foreach (var service in users)
        {
            Assert.Contains(new SecretMount($"s3_{service.Name}_access_key", "Storage__S3__AccessKey"), service.Secrets);
            Assert.Contains(new SecretMount($"s3_{service.Name}_secret_key", "Storage__S3__SecretKey"), service.Secrets);
        }
    }

    [Fact]
    public void Keep_the_root_keys_to_minio_and_the_one_shot_step_that_makes_the_users()
    {
        var holders = Compose.Services.Where(service => service.Secrets.Any(secret => secret.Source is "minio_access_key" or "minio_secret_key"));
        Assert.Equal(["minio", "minio-bucket"], holders.Select(service => service.Name).Order());
    }

    [Fact]
    public void Allow_each_service_only_its_jobs_actions_on_the_backups_bucket()
    {
        var violations = new List<string>();
        foreach (var (service, expected) in ObjectActions)
        {
            using var policy = JsonDocument.Parse(Repository.ReadText($"deploy/compose/minio/policies/backup-{service}.json"));
            var objectActions = new SortedSet<string>(StringComparer.Ordinal);
            var bucketActions = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var statement in policy.RootElement.GetProperty("Statement").EnumerateArray())
            {
                if (statement.GetProperty("Effect").GetString() != "Allow") continue;
                var resources = Strings(statement.GetProperty("Resource")).ToList();
                var actions = Strings(statement.GetProperty("Action")).ToList();
                if (actions.Any(action => action.Contains('*')))
                    violations.Add($"{service}: a wildcard action ({string.Join(", ", actions)})");
                foreach (var resource in resources)
                {
                    if (resource == "arn:aws:s3:::backups/*") objectActions.UnionWith(actions);
                    else if (resource == "arn:aws:s3:::backups") bucketActions.UnionWith(actions);
                    else violations.Add($"{service}: allowed on {resource}, outside the backups bucket");
                }
            }
            if (!objectActions.SetEquals(expected))
                violations.Add($"{service}: may {string.Join(", ", objectActions)} on the artifacts; its job needs {string.Join(", ", expected.Order())}");
            var listing = service == "retention" ? new[] { "s3:ListBucket", "s3:ListBucketMultipartUploads" } : ["s3:ListBucket"];
            if (!bucketActions.SetEquals(listing))
                violations.Add($"{service}: may {string.Join(", ", bucketActions)} on the bucket; its job needs {string.Join(", ", listing)}");
        }
        Expect.NoViolations(violations);
    }

    [Fact]
    public void Let_only_the_dumper_write_and_nobody_destroy_a_version()
    {
        var writers = ObjectActions.Where(entry => entry.Value.Contains("s3:PutObject")).Select(entry => entry.Key);
        Assert.Equal(["dumper"], writers);
        Assert.DoesNotContain(ObjectActions.Values.SelectMany(actions => actions), action => action.Contains("Version", StringComparison.Ordinal));
        // A delete by any service's keys only hides the artifact: the versioned bucket keeps it for the configured days.
        Assert.Contains("mc version enable local/backups", InitBucket, StringComparison.Ordinal);
        Assert.Contains("--noncurrent-expire-days \"${BACKUP_S3_KEEP_DELETED_DAYS:-7}\"", InitBucket, StringComparison.Ordinal);
    }

    [Fact]
    public void Are_loaded_for_every_service_by_the_one_shot_step_with_secret_keys_on_standard_input()
    {
        var step = Compose.Service("minio-bucket")!;
        Assert.Equal(["/bin/sh", "/opt/backup/minio/init-bucket.sh"], Values.List(step.Definition["entrypoint"]).Select(Values.Text));
        Assert.Contains(new VolumeMount("./deploy/compose/minio", "/opt/backup/minio", true), step.Volumes);
        var loop = System.Text.RegularExpressions.Regex.Match(InitBucket, @"^for service in (?<names>[a-z ]+); do$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(loop.Success, "init-bucket.sh loops over the services");
        Assert.Equal(ObjectActions.Keys.Order(), loop.Groups["names"].Value.Split(' ').Order());
        Assert.Contains("mc admin user add local \"$user\" <\"/run/secrets/s3_${service}_secret_key\"", InitBucket, StringComparison.Ordinal);
        foreach (var service in ObjectActions.Keys)
        {
            Assert.Contains(new SecretMount($"s3_{service}_access_key", $"s3_{service}_access_key"), step.Secrets);
            Assert.Contains(new SecretMount($"s3_{service}_secret_key", $"s3_{service}_secret_key"), step.Secrets);
        }
    }

    static IEnumerable<string> Strings(JsonElement element) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().Select(item => item.GetString()!) : [element.GetString()!];
}
