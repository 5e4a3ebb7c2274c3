using System.Data.Common;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backup.Archive;

/// <summary>
/// How a connection to a PostgreSQL server uses TLS, as libpq's sslmode names it: Disable (never), Prefer (when the
/// server offers it, without checking its certificate), Require (always, without checking the certificate), VerifyCA
/// (always, and the certificate must be signed by the root certificate file's CA), VerifyFull (VerifyCA, and the
/// certificate must name the host connected to).
/// </summary>
public enum PgSslMode
{
    Disable,
    Prefer,
    Require,
    VerifyCA,
    VerifyFull,
}

/// <summary>
/// One server's TLS settings, applied the same way to Npgsql (<see cref="ApplyTo"/>) and to pg_dump and pg_restore
/// (<see cref="LibpqSettings"/>, given to <see cref="PgClientEnvironment"/>; never taken from this process's environment).
/// </summary>
/// <param name="RootCertificateFile">PEM file of the CA(s) the server's certificate must be signed by; only with VerifyCA or VerifyFull.</param>
public sealed record PgTls(PgSslMode Mode, string RootCertificateFile)
{
    /// <summary>What a connection did before these settings existed: Npgsql's and libpq's own default, TLS when offered, unverified.</summary>
    public static readonly PgTls Default = new(PgSslMode.Prefer, "");

    public bool Verifies => Mode is PgSslMode.VerifyCA or PgSslMode.VerifyFull;

    /// <summary>libpq's name of the mode (PGSSLMODE), e.g. "verify-full".</summary>
    public string LibpqMode => Mode switch
    {
        PgSslMode.Disable => "disable",
        PgSslMode.Prefer => "prefer",
        PgSslMode.Require => "require",
        PgSslMode.VerifyCA => "verify-ca",
        PgSslMode.VerifyFull => "verify-full",
        _ => throw new ArgumentOutOfRangeException(nameof(Mode), Mode, null),
    };

    /// <summary>PGSSLMODE, and PGSSLROOTCERT when a root certificate file is given.</summary>
    public IEnumerable<KeyValuePair<string, string>> LibpqSettings()
    {
        yield return new("PGSSLMODE", LibpqMode);
        if (RootCertificateFile.Length > 0) yield return new("PGSSLROOTCERT", RootCertificateFile);
    }

    /// <summary>Sets Npgsql's "SSL Mode" and "Root Certificate" on <paramref name="npgsql"/> (an NpgsqlConnectionStringBuilder).</summary>
    public void ApplyTo(DbConnectionStringBuilder npgsql)
    {
        npgsql["SSL Mode"] = Mode.ToString();
        if (RootCertificateFile.Length > 0) npgsql["Root Certificate"] = RootCertificateFile;
    }

    /// <summary>
    /// What is wrong with these settings, by key ("SslMode", "RootCertificateFile"): a verifying mode without a root
    /// certificate file, a file that does not exist or holds no PEM certificate, or a file given to a mode that would
    /// not use it.
    /// </summary>
    public IEnumerable<(string Key, string Problem)> Problems()
    {
        if (!Enum.IsDefined(Mode))
        {
            yield return ("SslMode", "must be Disable, Prefer, Require, VerifyCA or VerifyFull.");
            yield break;
        }
        if (RootCertificateFile.Length == 0)
        {
            if (Verifies)
                yield return ("RootCertificateFile", $"is required with SslMode {Mode}: give the PEM file of the CA that signed the server's certificate.");
            yield break;
        }
        if (!Verifies)
        {
            yield return ("RootCertificateFile", $"is set but SslMode is {Mode}, which does not check the server's certificate: use VerifyFull (or VerifyCA) to check it against this file, or leave the file empty.");
            yield break;
        }
        if (CertificateFileProblem() is { } problem)
            yield return ("RootCertificateFile", problem);
    }

    string? CertificateFileProblem()
    {
        if (!File.Exists(RootCertificateFile))
            return $"'{RootCertificateFile}' does not exist; give the PEM file of the CA that signed the server's certificate.";
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(RootCertificateFile);
            return certificates.Count > 0
                ? null
                : $"'{RootCertificateFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA's certificate in PEM form.";
        }
        catch (CryptographicException e)
        {
            return $"'{RootCertificateFile}' is not a PEM certificate file: {e.Message}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"'{RootCertificateFile}' can't be read: {e.Message}";
        }
    }

    /// <summary>
    /// When <paramref name="failure"/> (a connection's, as Npgsql throws it) is a refused TLS handshake, what went wrong
    /// ("the server's certificate was not accepted: …"); null for any other failure.
    /// </summary>
    public static string? HandshakeProblem(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
            if (e is AuthenticationException)
                return $"the server's TLS certificate was not accepted ({e.Message})";
        return null;
    }
}
