using System.ComponentModel.DataAnnotations;

namespace Backup.ServiceDefaults.Options;

/// <summary>
/// The broker. The password comes from a secret file or an environment variable, never from appsettings. With
/// <see cref="UseTls"/> the connection is TLS, the server's certificate checked against <see cref="CaFile"/> (and its
/// name against <see cref="ServerName"/>, or <see cref="Host"/>); the port is then 5671 unless set.
/// </summary>
public sealed class RabbitMqOptions : IConfigurationSection<RabbitMqOptions>, ISelfValidatingOptions
{
    public static string Section => "RabbitMq";

    public const int PlainPort = 5672;
    public const int TlsPort = 5671;

    [Required] public string Host { get; set; } = "";

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

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (!UseTls) yield break;
        if (string.IsNullOrWhiteSpace(CaFile))
            yield return (nameof(CaFile), "RabbitMq:UseTls is true, so the CA file (a PEM certificate that signed the broker's certificate) is required.");
        else if (!File.Exists(CaFile))
            yield return (nameof(CaFile), $"the CA file '{CaFile}' does not exist or cannot be read.");
        else if (BrokerCertificateAuthority.Problem(CaFile) is { } problem)
            yield return (nameof(CaFile), problem);
    }
}
