using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backup.Archive;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Npgsql;

namespace Backup.Dumper.Tests.Dumping;

/// <summary>
/// A source's TLS settings as pg_dump gets them (PGSSLMODE, PGSSLROOTCERT in its allowlist environment, never the
/// dumper's own PGSSL* variables) and as Npgsql gets them (SSL Mode, Root Certificate).
/// </summary>
public sealed class When_a_source_is_reached_over_TLS : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("backup-dumper-tls-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static PgDumpTool Tool() => new(Microsoft.Extensions.Options.Options.Create(new DumperOptions()));

    [Fact]
    public void pg_dump_gets_libpqs_names_of_the_mode_and_the_root_certificate_file()
    {
        var start = Tool().Start("pg_dump", ["--schema-only"], "/run/pgpass", new PgTls(PgSslMode.VerifyFull, "/etc/backup/source-ca.crt"));

        Assert.Equal("verify-full", start.Environment["PGSSLMODE"]);
        Assert.Equal("/etc/backup/source-ca.crt", start.Environment["PGSSLROOTCERT"]);
        Assert.Equal("/run/pgpass", start.Environment["PGPASSFILE"]);
    }

    [Theory]
    [InlineData(PgSslMode.Disable, "disable")]
    [InlineData(PgSslMode.Prefer, "prefer")]
    [InlineData(PgSslMode.Require, "require")]
    [InlineData(PgSslMode.VerifyCA, "verify-ca")]
    public void Each_mode_reaches_pg_dump_by_its_libpq_name(PgSslMode mode, string libpq)
    {
        var start = Tool().Start("pg_dump", [], null, new PgTls(mode, ""));

        Assert.Equal(libpq, start.Environment["PGSSLMODE"]);
        Assert.False(start.Environment.ContainsKey("PGSSLROOTCERT"), "a root certificate file nobody gave");
    }

    [Fact]
    public void The_dumpers_own_PGSSL_variables_never_reach_pg_dump()
    {
        Environment.SetEnvironmentVariable("PGSSLMODE", "disable");
        Environment.SetEnvironmentVariable("PGSSLROOTCERT", "/somewhere/else.crt");
        try
        {
            var withTls = Tool().Start("pg_dump", [], null, new PgTls(PgSslMode.VerifyFull, "/etc/backup/source-ca.crt"));
            var version = Tool().Start("pg_dump", ["--version"]);

            Assert.Equal("verify-full", withTls.Environment["PGSSLMODE"]);
            Assert.Equal("/etc/backup/source-ca.crt", withTls.Environment["PGSSLROOTCERT"]);
            Assert.False(version.Environment.ContainsKey("PGSSLMODE"), "pg_dump --version got the dumper's PGSSLMODE");
            Assert.False(version.Environment.ContainsKey("PGSSLROOTCERT"), "pg_dump --version got the dumper's PGSSLROOTCERT");
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGSSLMODE", null);
            Environment.SetEnvironmentVariable("PGSSLROOTCERT", null);
        }
    }

    [Fact]
    public void Npgsql_gets_the_same_mode_and_root_certificate()
    {
        var settings = new NpgsqlConnectionStringBuilder { Host = "db.internal" };

        new PgTls(PgSslMode.VerifyFull, "/etc/backup/source-ca.crt").ApplyTo(settings);

        Assert.Equal(SslMode.VerifyFull, settings.SslMode);
        Assert.Equal("/etc/backup/source-ca.crt", settings.RootCertificate);
    }

    [Fact]
    public void The_default_is_Prefer_as_Npgsql_and_libpq_had_it()
    {
        var source = new SourceOptions();
        var settings = new NpgsqlConnectionStringBuilder();

        source.Tls.ApplyTo(settings);

        Assert.Equal(PgSslMode.Prefer, source.SslMode);
        Assert.Equal(SslMode.Prefer, settings.SslMode);
        Assert.Null(settings.RootCertificate);
    }

    [Fact]
    public void A_CA_file_in_PEM_is_accepted_with_VerifyFull()
    {
        var file = Path.Combine(folder, "ca.crt");
        using (var key = ECDsa.Create())
        using (var ca = new CertificateRequest("CN=test CA", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1)))
            File.WriteAllText(file, ca.ExportCertificatePem());

        Assert.Empty(new PgTls(PgSslMode.VerifyFull, file).Problems());
    }

    [Fact]
    public void A_file_that_is_not_PEM_is_refused_naming_it()
    {
        var file = Path.Combine(folder, "ca.der");
        File.WriteAllBytes(file, [0x30, 0x82, 0x01, 0x0a, 0x02]);

        var problem = Assert.Single(new PgTls(PgSslMode.VerifyFull, file).Problems());

        Assert.Equal("RootCertificateFile", problem.Key);
        Assert.Contains(file, problem.Problem);
        Assert.Contains("PEM", problem.Problem);
    }
}
