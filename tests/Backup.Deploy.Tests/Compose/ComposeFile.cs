namespace Backup.Deploy.Tests.Compose;

/// <summary>A parsed compose file; paths in it are relative to <see cref="Directory"/>.</summary>
public sealed class ComposeFile
{
    private ComposeFile(string directory, IReadOnlyDictionary<string, object?> root)
    {
        Directory = directory;
        Root = root;
        Services = Values.Map(root.GetValueOrDefault("services"))
            .Select(service => new ComposeService(service.Key, Values.Map(service.Value)))
            .ToList();
        Secrets = Values.Map(root.GetValueOrDefault("secrets"))
            .ToDictionary(secret => secret.Key, secret => Values.Map(secret.Value));
        Volumes = Values.Map(root.GetValueOrDefault("volumes")).Keys.ToList();
    }

    public string Directory { get; }

    public IReadOnlyDictionary<string, object?> Root { get; }

    public IReadOnlyList<ComposeService> Services { get; }

    /// <summary>Top-level <c>secrets:</c>, by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> Secrets { get; }

    /// <summary>Top-level <c>volumes:</c> names.</summary>
    public IReadOnlyList<string> Volumes { get; }

    public static ComposeFile Load(string path) =>
        Parse(File.ReadAllText(path), Path.GetDirectoryName(Path.GetFullPath(path))!);

    public static ComposeFile Parse(string yaml, string directory) => new(directory, YamlTree.ParseMapping(yaml));

    public ComposeService? Service(string name) => Services.FirstOrDefault(service => service.Name == name);

    public string FullPath(string relativePath) =>
        Path.GetFullPath(Path.Combine(Directory, relativePath.Replace('/', Path.DirectorySeparatorChar)));
}

public sealed record SecretMount(string Source, string Target);

public sealed record VolumeMount(string Source, string Target, bool ReadOnly);

public sealed record BuildSpec(string Context, string Dockerfile, IReadOnlyDictionary<string, string?> Args);

/// <summary>One entry of <c>services:</c>, read leniently: what is absent is empty, never an exception.</summary>
public sealed class ComposeService(string name, IReadOnlyDictionary<string, object?> definition)
{
    public string Name { get; } = name;

    public IReadOnlyDictionary<string, object?> Definition { get; } = definition;

    public string? Image => Values.Text(Definition.GetValueOrDefault("image"));

    /// <summary>The restart policy as written; null when the service doesn't state one.</summary>
    public string? Restart => Values.Text(Definition.GetValueOrDefault("restart"));

    /// <summary>A step that runs once and exits (the migrator): <c>restart: "no"</c>.</summary>
    public bool IsOneShot => Restart == "no";

    public string? User => Values.Text(Definition.GetValueOrDefault("user"));

    public IReadOnlyDictionary<string, object?>? Healthcheck =>
        Definition.GetValueOrDefault("healthcheck") as IReadOnlyDictionary<string, object?>;

    /// <summary>The healthcheck's test as a list of words (a string test is CMD-SHELL with one word).</summary>
    public IReadOnlyList<string> HealthcheckTest => Healthcheck?.GetValueOrDefault("test") switch
    {
        string shell => ["CMD-SHELL", shell],
        IReadOnlyList<object?> words => words.Select(word => Values.Text(word) ?? "").ToList(),
        _ => [],
    };

    public BuildSpec? Build => Definition.GetValueOrDefault("build") switch
    {
        null => null,
        string context => new BuildSpec(context, "Dockerfile", new Dictionary<string, string?>()),
        var build => new BuildSpec(
            Values.Text(Values.Map(build).GetValueOrDefault("context")) ?? ".",
            Values.Text(Values.Map(build).GetValueOrDefault("dockerfile")) ?? "Dockerfile",
            Values.KeyValues(Values.Map(build).GetValueOrDefault("args"))),
    };

    /// <summary><c>environment:</c> in either form; a key without a value (taken from the host) maps to null.</summary>
    public IReadOnlyDictionary<string, string?> Environment => Values.KeyValues(Definition.GetValueOrDefault("environment"));

    /// <summary><c>depends_on:</c> as service name to condition (the list form means <c>service_started</c>).</summary>
    public IReadOnlyDictionary<string, string> DependsOn => Definition.GetValueOrDefault("depends_on") switch
    {
        IReadOnlyList<object?> names =>
            names.Select(Values.Text).OfType<string>().ToDictionary(name => name, _ => "service_started"),
        var map => Values.Map(map).ToDictionary(
            dependency => dependency.Key,
            dependency => Values.Text(Values.Map(dependency.Value).GetValueOrDefault("condition")) ?? "service_started"),
    };

    /// <summary><c>secrets:</c>; the short form mounts the secret at /run/secrets/&lt;name&gt;.</summary>
    public IReadOnlyList<SecretMount> Secrets => Values.List(Definition.GetValueOrDefault("secrets"))
        .Select(secret => secret switch
        {
            string source => new SecretMount(source, source),
            var mount => new SecretMount(
                Values.Text(Values.Map(mount).GetValueOrDefault("source")) ?? "",
                Values.Text(Values.Map(mount).GetValueOrDefault("target"))
                    ?? Values.Text(Values.Map(mount).GetValueOrDefault("source")) ?? ""),
        })
        .ToList();

    /// <summary><c>ports:</c> entries as written (short strings, or long-form mappings).</summary>
    public IReadOnlyList<object?> Ports => Values.List(Definition.GetValueOrDefault("ports"));

    public IReadOnlyList<VolumeMount> Volumes => Values.List(Definition.GetValueOrDefault("volumes"))
        .Select(volume => volume switch
        {
            string text => ParseShortVolume(text),
            var mount => new VolumeMount(
                Values.Text(Values.Map(mount).GetValueOrDefault("source")) ?? "",
                Values.Text(Values.Map(mount).GetValueOrDefault("target")) ?? "",
                Values.Text(Values.Map(mount).GetValueOrDefault("read_only")) is "true" or "True"),
        })
        .ToList();

    public bool UsesEnvFile => Definition.ContainsKey("env_file");

    /// <summary><c>read_only: true</c>: the container's root file system can't be written.</summary>
    public bool ReadOnlyRootFileSystem => Values.Text(Definition.GetValueOrDefault("read_only")) is "true" or "True";

    public IReadOnlyList<string> CapDrop => Words("cap_drop");

    public IReadOnlyList<string> CapAdd => Words("cap_add");

    public IReadOnlyList<string> SecurityOptions => Words("security_opt");

    /// <summary><c>tmpfs:</c> entries as written ("/tmp:size=64m,mode=1777"), a single string counting as one.</summary>
    public IReadOnlyList<string> Tmpfs => Definition.GetValueOrDefault("tmpfs") is string one ? [one] : Words("tmpfs");

    private IReadOnlyList<string> Words(string key) => Values.List(Definition.GetValueOrDefault(key)).Select(Values.Text).OfType<string>().ToList();

    private static VolumeMount ParseShortVolume(string text)
    {
        var parts = text.Split(':');
        return parts.Length switch
        {
            1 => new VolumeMount("", parts[0], false),
            2 => new VolumeMount(parts[0], parts[1], false),
            _ => new VolumeMount(parts[0], parts[1], parts[2].Split(',').Contains("ro")),
        };
    }
}

/// <summary>Lenient views of the plain values <see cref="YamlTree"/> produces.</summary>
public static class Values
{
    public static IReadOnlyDictionary<string, object?> Map(object? value) =>
        value as IReadOnlyDictionary<string, object?> ?? new Dictionary<string, object?>();

    public static IReadOnlyList<object?> List(object? value) =>
        value as IReadOnlyList<object?> ?? [];

    public static string? Text(object? value) => value as string;

    /// <summary>A mapping, or a list of "KEY=value" strings (a bare "KEY" means no value), as key to value.</summary>
    public static IReadOnlyDictionary<string, string?> KeyValues(object? value) => value switch
    {
        IReadOnlyDictionary<string, object?> map => map.ToDictionary(entry => entry.Key, entry => Text(entry.Value)),
        IReadOnlyList<object?> list => list.Select(Text).OfType<string>().ToDictionary(
            entry => entry.Split('=', 2)[0],
            entry => entry.Contains('=') ? entry.Split('=', 2)[1] : null),
        _ => new Dictionary<string, string?>(),
    };
}
