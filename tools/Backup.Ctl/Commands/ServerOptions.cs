using System.CommandLine;
using Backup.Ctl.Postgres;
using Backup.Recovery.Postgres;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary>The PostgreSQL server a command restores into (restore, verify --restore): --host, --port, --username, --password-file, --sslmode, --sslrootcert.</summary>
public sealed class ServerOptions
{
    readonly Option<string?> host = new("--host") { Description = "Server host or socket folder. Default: PGHOST, else localhost.", HelpName = "HOST" };
    readonly Option<int?> port = new("--port") { Description = "Server port. Default: PGPORT, else 5432.", HelpName = "PORT" };
    readonly Option<string?> username = new("--username") { Description = "Role to connect as; it must be allowed to create databases. Default: PGUSER, else the current user.", HelpName = "USER" };
    readonly Option<string?> passwordFile = new("--password-file")
    {
        Description = "File whose first line is the role's password. Default: the entry in PGPASSFILE or ~/.pgpass. Never give a password on the command line.",
        HelpName = "FILE",
    };

    readonly Option<string?> sslMode = new("--sslmode")
    {
        Description = "TLS to the server, as libpq names it: disable, prefer, require, verify-ca or verify-full (the last two check the server's certificate against --sslrootcert). Default: PGSSLMODE, else prefer.",
        HelpName = "MODE",
    };
    readonly Option<string?> sslRootCert = new("--sslrootcert")
    {
        Description = "PEM file of the CA that signed the server's certificate, for verify-ca and verify-full. Default: PGSSLROOTCERT.",
        HelpName = "FILE",
    };

    public void AddTo(Command command)
    {
        command.Add(host);
        command.Add(port);
        command.Add(username);
        command.Add(passwordFile);
        command.Add(sslMode);
        command.Add(sslRootCert);
    }

    public TargetServer Resolve(ParseResult result, Terminal terminal) =>
        CommandLineServer.Resolve(result.GetValue(host), result.GetValue(port), result.GetValue(username), result.GetValue(passwordFile),
            CommandLineServer.ResolveTls(result.GetValue(sslMode), result.GetValue(sslRootCert)),
            warning => terminal.Errors.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]"));
}
