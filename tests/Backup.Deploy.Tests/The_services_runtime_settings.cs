using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Backup.Deploy.Tests.Compose;
using Backup.Deploy.Tests.Docker;

namespace Backup.Deploy.Tests;

/// <summary>
/// The GC of every service (services/Directory.Build.targets): the server GC with dynamic adaptation (DATAS), which
/// measured the least memory at rest (deploy/bench/README.md, "5. Idle memory"). Read from each service's built
/// *.runtimeconfig.json, which is what `dotnet` reads at start, in deploy/local/stack.sh and in the images alike
/// (`dotnet test Backup.sln` builds the services first).
/// </summary>
public sealed partial class The_services_runtime_settings
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));
    private static readonly Dockerfile Image = Dockerfile.Load(Repository.PathOf("deploy/docker/Service.Dockerfile"));

    private static readonly Dictionary<string, string> Expected = new()
    {
        ["System.GC.Server"] = "true",
        ["System.GC.DynamicAdaptationMode"] = "1",
    };

    [Fact]
    public void Are_in_every_services_runtimeconfig()
    {
        var violations = new List<string>();
        foreach (var project in ServiceProjects())
        {
            var path = RuntimeConfigPath(project);
            if (!File.Exists(path))
            {
                violations.Add($"{project}: {path} does not exist (build Backup.sln in the tests' configuration first)");
                continue;
            }

            var properties = JsonNode.Parse(File.ReadAllText(path))?["runtimeOptions"]?["configProperties"]?.AsObject();
            foreach (var (name, value) in Expected)
            {
                var actual = properties?[name]?.ToJsonString();
                if (actual != value)
                    violations.Add($"{project}: {name} is {actual ?? "not set"} in {path}, expected {value}");
            }
        }
        Expect.NoViolations(violations);
    }

    /// <summary>The dumper and the restorer: methods with loops optimised at once, no instrumented tier (BackupStreamsData).</summary>
    private static readonly Dictionary<string, string> ExpectedOfStreamingServices = new()
    {
        ["System.Runtime.TieredCompilation.QuickJitForLoops"] = "false",
        ["System.Runtime.TieredPGO"] = "false",
    };

    [Theory]
    [InlineData("Backup.Dumper")]
    [InlineData("Backup.Restorer")]
    public void Compile_the_hot_loops_of_the_streaming_services_optimised_at_once(string project)
    {
        var properties = ConfigProperties(project);
        Expect.NoViolations(ExpectedOfStreamingServices
            .Where(expected => properties?[expected.Key]?.ToJsonString() != expected.Value)
            .Select(expected => $"{project}: {expected.Key} is {properties?[expected.Key]?.ToJsonString() ?? "not set"}, expected {expected.Value}"));
    }

    [Fact]
    public void Leave_tiering_at_its_defaults_in_the_other_services()
    {
        Expect.NoViolations(ServiceProjects()
            .Where(project => project is not ("Backup.Dumper" or "Backup.Restorer"))
            .SelectMany(project => ExpectedOfStreamingServices.Keys
                .Where(name => ConfigProperties(project)?[name] is not null)
                .Select(name => $"{project}: sets {name}, which only the dumper and the restorer measured better with")));
    }

    private static JsonObject? ConfigProperties(string project)
    {
        var path = RuntimeConfigPath(project);
        Assert.True(File.Exists(path), $"{path} does not exist (build Backup.sln in the tests' configuration first)");
        return JsonNode.Parse(File.ReadAllText(path))?["runtimeOptions"]?["configProperties"]?.AsObject();
    }

    [Fact]
    public void Are_not_overridden_by_environment_variables_in_the_image_or_compose()
    {
        var violations = Image.FinalStage
            .Where(instruction => instruction.Keyword == "ENV" && RuntimeVariable().IsMatch(instruction.Arguments))
            .Select(instruction => $"deploy/docker/Service.Dockerfile: ENV {instruction.Arguments}")
            .Concat(ComposeRules.DotnetServices(Compose).SelectMany(service => service.Environment.Keys
                .Where(key => RuntimeVariable().IsMatch(key))
                .Select(key => $"docker-compose.yml: {service.Name} sets {key}")));
        Expect.NoViolations(violations);
    }

    /// <summary>The projects the compose file runs from services/ (the migrator included).</summary>
    private static IEnumerable<string> ServiceProjects() =>
        ComposeRules.BusServices(Compose).Select(service => service.Build!.Args["SERVICE"]!).Distinct().Order();

    private static string RuntimeConfigPath(string project)
    {
        var configuration = typeof(The_services_runtime_settings).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var targetFramework = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        return Repository.PathOf($"services/{project}/bin/{configuration}/{targetFramework}/{project}.runtimeconfig.json");
    }

    /// <summary>Environment variables that would win over the runtimeconfig.json: the GC's and the JIT's tiering.</summary>
    [GeneratedRegex(@"\b(DOTNET|COMPlus)_(gc|Tiered|TC_)", RegexOptions.IgnoreCase)]
    private static partial Regex RuntimeVariable();
}
