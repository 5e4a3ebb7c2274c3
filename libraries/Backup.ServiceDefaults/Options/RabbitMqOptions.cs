using System.ComponentModel.DataAnnotations;

namespace Backup.ServiceDefaults.Options;

/// <summary>The broker. The password comes from a secret file or an environment variable, never from appsettings.</summary>
public sealed class RabbitMqOptions : IConfigurationSection<RabbitMqOptions>
{
    public static string Section => "RabbitMq";

    [Required] public string Host { get; set; } = "";
    [Range(1, 65535)] public int Port { get; set; } = 5672;
    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "";
    [Required] public string Password { get; set; } = "";
}
