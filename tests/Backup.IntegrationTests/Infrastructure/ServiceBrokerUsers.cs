using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>One line of deploy/rabbitmq/permissions.tsv: a service's broker user and its three permission regexes.</summary>
public sealed record BrokerPermission(string User, string Configure, string Write, string Read)
{
    /// <summary>The file the local stack and the compose stack read too, parsed (comments and blank lines skipped).</summary>
    public static IReadOnlyList<BrokerPermission> All { get; } = File
        .ReadAllLines(Path.Combine(RepositoryRoot.Path, "deploy", "rabbitmq", "permissions.tsv"))
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line => line.Split('\t') is [var user, var configure, var write, var read]
            ? new BrokerPermission(user, configure, write, read)
            : throw new FormatException($"permissions.tsv: not 'user<TAB>configure<TAB>write<TAB>read': {line}"))
        .ToList();

    /// <summary>The user of a service by its application name: Backup.Dumper logs in as backup-dumper.</summary>
    public static string UserOf(string applicationName) => applicationName.Replace('.', '-').ToLowerInvariant();
}

/// <summary>
/// The services' broker users of deploy/rabbitmq/permissions.tsv on the test broker: created once per test run (no
/// tags, a random password), and given their permissions on each test's virtual host, so every service of a
/// <see cref="BackupSystem"/> logs in as itself with only what the file grants it.
/// </summary>
public static class ServiceBrokerUsers
{
    static readonly SemaphoreSlim Creating = new(1, 1);
    static readonly HashSet<string> CreatedOn = []; // the brokers (management addresses) the users exist on

    /// <summary>
    /// The password of every service user on the test broker (never on a command line). On an infra.sh broker it is
    /// derived from the broker administrator's password, so every test process on that broker sets the same one: test
    /// projects running side by side (the dashboard tests beside these) don't change each other's users' passwords.
    /// </summary>
    public static string Password { get; } = Environment.GetEnvironmentVariable("BACKUP_RABBITMQ_PASSWORD") is { Length: > 0 } administrator
        ? Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(administrator), "backup test service users"u8))[..32]
        : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static async Task GrantAsync(BrokerEndpoint broker, string virtualHost)
    {
        using var http = broker.ManagementClient();
        await Creating.WaitAsync();
        try
        {
            if (!CreatedOn.Contains(http.BaseAddress!.ToString()))
                foreach (var permission in BrokerPermission.All)
                    (await http.PutAsJsonAsync($"api/users/{Uri.EscapeDataString(permission.User)}",
                        new { password = Password, tags = "" })).EnsureSuccessStatusCode();
            CreatedOn.Add(http.BaseAddress!.ToString());
        }
        finally { Creating.Release(); }
        foreach (var permission in BrokerPermission.All)
            (await http.PutAsJsonAsync($"api/permissions/{Uri.EscapeDataString(virtualHost)}/{Uri.EscapeDataString(permission.User)}",
                new { configure = permission.Configure, write = permission.Write, read = permission.Read })).EnsureSuccessStatusCode();
    }

    /// <summary>The management API as <paramref name="user"/>: a service user gets 401 (no management tag).</summary>
    public static HttpClient ManagementClientAs(BrokerEndpoint broker, string user)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{broker.Host}:{broker.ManagementPort}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{Password}")));
        return http;
    }
}
