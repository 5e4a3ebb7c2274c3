using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backup.Archive;
using Backup.Ctl.Tests.Infrastructure;
using Backup.Recovery.Postgres;

namespace Backup.Ctl.Tests;

/// <summary>
/// backupctl restores onto the test PostgreSQL (ssl=on, certificate of infra.sh's throwaway CA, BACKUP_PG_CA_FILE)
/// with --sslmode verify-full and --sslrootcert; a CA that did not sign the server's certificate, given the libpq way
/// (PGSSLMODE, PGSSLROOTCERT in backupctl's environment), is refused before anything is created; a verifying mode
/// without a CA file, or a mode libpq has but backupctl does not take, is a usage error.
/// </summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_restoring_over_TLS(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    static string ServerCa => Environment.GetEnvironmentVariable("BACKUP_PG_CA_FILE") is { Length: > 0 } file && File.Exists(file)
        ? file
        : throw new InvalidOperationException("BACKUP_PG_CA_FILE is not set: run with the PostgreSQL of a current deploy/local/infra.sh instance (ssl=on).");

    [Fact]
    public async Task With_verify_full_and_the_servers_CA_it_restores_every_row()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();

        var run = await Backupctl.RunAsync(
            ["restore", "--store", store.Root, key.Value, "--target-database", target, "--sslmode", "verify-full", "--sslrootcert", ServerCa,
             "--password-file", source.Postgres.WritePasswordFile(store.Workspace), .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == 0, run.ToString());
        await RestoredDatabase.AssertEqualToSourceAsync(source, target);
    }

    [Fact]
    public async Task With_PGSSLMODE_verify_full_and_another_CA_it_refuses_the_server_and_creates_nothing()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();
        var otherCa = WriteOtherCa(store.Workspace);

        var run = await Backupctl.RunProcessAsync(
            new Dictionary<string, string>
            {
                ["PGPASSFILE"] = source.Postgres.WritePassFile(store.Workspace),
                ["PGSSLMODE"] = "verify-full",
                ["PGSSLROOTCERT"] = otherCa,
            },
            ["restore", "--store", store.Root, key.Value, "--target-database", target, .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == ExitCodes.DatabaseFailed, run.ToString());
        Assert.Contains("certificate was not accepted", run.Errors);
        Assert.Contains(otherCa, run.Errors);
        Assert.DoesNotContain(source.Postgres.Password, run.All);
        Assert.False(await source.Postgres.DatabaseExistsAsync(target), "the refused restore created its database");
    }

    [Theory]
    [InlineData(new[] { "--sslmode", "verify-full" }, "--sslrootcert is required with SslMode VerifyFull")]
    [InlineData(new[] { "--sslmode", "allow" }, "--sslmode 'allow' is not one of disable, prefer, require, verify-ca, verify-full")]
    [InlineData(new[] { "--sslmode", "verify-ca", "--sslrootcert", "/nonexistent/ca.crt" }, "--sslrootcert '/nonexistent/ca.crt' does not exist")]
    public async Task A_TLS_setting_it_cannot_use_is_a_usage_error(string[] tls, string message)
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);

        var run = await Backupctl.RunAsync(
            ["restore", "--store", store.Root, key.Value, "--target-database", source.NewTargetName(), .. tls, .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains(message, run.Errors);
    }

    /// <summary>
    /// The connections a restore opens (TargetServer's, on Npgsql's slim builder, which leaves TLS out unless asked):
    /// encrypted in every mode but Disable, the server's certificate accepted with its own CA under VerifyCA and
    /// VerifyFull, and refused under VerifyFull with a CA that did not sign it.
    /// </summary>
    [Theory]
    [InlineData(PgSslMode.Disable, false)]
    [InlineData(PgSslMode.Prefer, true)]
    [InlineData(PgSslMode.Require, true)]
    [InlineData(PgSslMode.VerifyCA, true)]
    [InlineData(PgSslMode.VerifyFull, true)]
    public async Task Its_sessions_are_encrypted_unless_TLS_is_disabled(PgSslMode mode, bool encrypted)
    {
        var postgres = source.Postgres;
        var tls = new PgTls(mode, mode is PgSslMode.VerifyCA or PgSslMode.VerifyFull ? ServerCa : "");
        var server = new TargetServer(postgres.Host, postgres.Port, postgres.Username, _ => postgres.Password, BackupCtl.Caller.Name) { Tls = tls };

        await using var connection = server.Connect("postgres");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

        Assert.Equal(encrypted, (bool)(await query.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Its_sessions_refuse_a_server_whose_certificate_another_CA_signed()
    {
        var postgres = source.Postgres;
        var tls = new PgTls(PgSslMode.VerifyFull, WriteOtherCa(store.Workspace));
        var server = new TargetServer(postgres.Host, postgres.Port, postgres.Username, _ => postgres.Password, BackupCtl.Caller.Name) { Tls = tls };

        await using var connection = server.Connect("postgres");
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => connection.OpenAsync());

        Assert.NotNull(PgTls.HandshakeProblem(refused));
    }

    static string WriteOtherCa(string folder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=a CA that signed nothing of the server's", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var file = Path.Combine(folder, "other-ca.crt");
        File.WriteAllText(file, certificate.ExportCertificatePem());
        return file;
    }

    public void Dispose() => store.Dispose();
}
