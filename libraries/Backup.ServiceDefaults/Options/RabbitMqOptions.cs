using System.ComponentModel.DataAnnotations;

namespace Backup.ServiceDefaults.Options;

/// <summary>
/// The broker. The password comes from a secret file or an environment variable, never from appsettings. With
/// <see cref="UseTls"/> the connection is TLS, the server's certificate checked against <see cref="CaFile"/> (and its
/// name against <see cref="ServerName"/>, or <see cref="Host"/>); the port is then 5671 unless set. A cluster is named by
/// <see cref="Hosts"/> ("node1:5672,node2:5672,node3:5672"): the services connect to one node and, when it goes away,
/// to the next that answers.
/// </summary>
public sealed class RabbitMqOptions : IConfigurationSection<RabbitMqOptions>, ISelfValidatingOptions
{
    public static string Section => "RabbitMq";

    public const int PlainPort = 5672;
    public const int TlsPort = 5671;

    /// <summary>The broker's host name; required unless <see cref="Hosts"/> names a cluster's nodes.</summary>
    public string Host { get; set; } = "";

    /// <summary>
    /// The nodes of a RabbitMQ cluster, "host:port" (or "host", on <see cref="EffectivePort"/>) separated by commas. Set,
    /// the connection goes to these nodes in turn (the first that answers), and <see cref="Host"/> only names the broker
    /// (the name a TLS certificate must carry, unless <see cref="ServerName"/> is set).
    /// </summary>
    public string? Hosts { get; set; }

    /// <summary>The AMQP port: <see cref="PlainPort"/>, or <see cref="TlsPort"/> with <see cref="UseTls"/>, unless set.</summary>
    [Range(1, 65535)] public int? Port { get; set; }

    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "";
    [Required] public string Password { get; set; } = "";

    /// <summary>Connect over TLS (AMQPS), verifying the server's certificate against <see cref="CaFile"/>.</summary>
    public bool UseTls { get; set; }

    /// <summary>The PEM file of the certificate authority (or authorities) that signed the broker's certificate.</summary>
    public string? CaFile { get; set; }

    /// <summary>The name the broker's certificate must carry, when it is not <see cref="Host"/>.</summary>
    public string? ServerName { get; set; }

    public int EffectivePort => Port ?? (UseTls ? TlsPort : PlainPort);

    /// <summary>The nodes to connect to: those of <see cref="Hosts"/>, or <see cref="Host"/> alone. Valid options only.</summary>
    public IReadOnlyList<BrokerNode> Nodes => string.IsNullOrWhiteSpace(Hosts)
        ? [new BrokerNode(Host, EffectivePort)]
        : Hosts.Split(',').Select(entry => BrokerNode.Parse(entry, EffectivePort)!.Value).ToList();

    /// <summary>The name the bus gives the broker: <see cref="Host"/>, or the first node of <see cref="Hosts"/>.</summary>
    public BrokerNode PrimaryNode => string.IsNullOrWhiteSpace(Host) ? Nodes[0] : new BrokerNode(Host, EffectivePort);

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (string.IsNullOrWhiteSpace(Hosts))
        {
            if (string.IsNullOrWhiteSpace(Host))
                yield return (nameof(Host), "The Host field is required (or RabbitMq:Hosts, the nodes of a cluster).");
        }
        else
        {
            foreach (var problem in HostsProblems(Hosts))
                yield return (nameof(Hosts), problem);
        }

        if (!UseTls) yield break;
        if (string.IsNullOrWhiteSpace(CaFile))
            yield return (nameof(CaFile), "RabbitMq:UseTls is true, so the CA file (a PEM certificate that signed the broker's certificate) is required.");
        else if (!File.Exists(CaFile))
            yield return (nameof(CaFile), $"the CA file '{CaFile}' does not exist or cannot be read.");
        else if (BrokerCertificateAuthority.Problem(CaFile) is { } problem)
            yield return (nameof(CaFile), problem);
    }

    static IEnumerable<string> HostsProblems(string hosts)
    {
        var seen = new HashSet<BrokerNode>();
        foreach (var entry in hosts.Split(','))
        {
            if (BrokerNode.Parse(entry, PlainPort) is not { } node)
                yield return $"'{entry.Trim()}' is not a node: write host:port or host, separated by commas (for example \"rabbit-1:5672,rabbit-2:5672\").";
            else if (!seen.Add(node))
                yield return $"the node '{entry.Trim()}' is named twice.";
        }
    }
}

/// <summary>One broker node: a host name (or address) and its AMQP port.</summary>
public readonly record struct BrokerNode(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port}";

    /// <summary>"host:port", or "host" on <paramref name="defaultPort"/>; null when the text is neither.</summary>
    public static BrokerNode? Parse(string text, int defaultPort)
    {
        var parts = text.Trim().Split(':');
        if (parts.Length > 2 || !IsHostName(parts[0])) return null;
        if (parts.Length == 1) return new BrokerNode(parts[0], defaultPort);
        return int.TryParse(parts[1], System.Globalization.NumberStyles.None, null, out var port) && port is >= 1 and <= 65535
            ? new BrokerNode(parts[0], port)
            : null;
    }

    static bool IsHostName(string host) =>
        host.Length is > 0 and <= 253 && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
