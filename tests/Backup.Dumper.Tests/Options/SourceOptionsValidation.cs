using Backup.Dumper.Options;
using Backup.ServiceDefaults.Options;
using Microsoft.Extensions.Configuration;

namespace Backup.Dumper.Tests.Options;

/// <summary>A source as an operator would configure it, and the problems the service would report for it.</summary>
static class Sources
{
    public static SourceOptions Valid() => new()
    {
        Host = "db.internal",
        Database = "demo_app",
        Username = "backup",
        IncludeSchemas = ["public", "billing"],
        IncludeTables = ["public.customers", "billing.*"],
        ExcludeTables = ["public.sessions"],
    };

    public static List<string> ProblemsOf(SourceOptions source, string name = "demo") =>
        ValidatedOptions.Problems(new SourcesOptions { [name] = source }, SourcesOptions.Section).ToList();

    /// <summary>Binds the "Sources" section the way AddValidatedOptions does, from in-memory settings.</summary>
    public static SourcesOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new SourcesOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(SourcesOptions.Section).Bind(options);
        return options;
    }
}

public class When_a_source_names_only_plain_schemas_and_tables
{
    [Fact]
    public void It_has_no_problems()
    {
        Assert.Empty(Sources.ProblemsOf(Sources.Valid()));
    }

    [Theory]
    [InlineData("public.customers")]
    [InlineData("billing.*")]
    [InlineData("demo_app")]
    [InlineData("*.audit_log")]
    public void It_accepts_the_table(string table)
    {
        var source = Sources.Valid();
        source.IncludeTables = [table];
        source.ExcludeTables = [table];

        Assert.Empty(Sources.ProblemsOf(source));
    }

    [Theory]
    [InlineData("demo_app")]
    [InlineData("demo-app")]
    [InlineData("app.v2")]
    public void It_accepts_the_database(string database)
    {
        var source = Sources.Valid();
        source.Database = database;

        Assert.Empty(Sources.ProblemsOf(source));
    }
}

public class When_a_table_name_could_become_an_option_or_a_command
{
    [Theory]
    [InlineData("-evil")]
    [InlineData("x;drop")]
    [InlineData("a=b")]
    [InlineData("public.customers extra")]
    [InlineData("customers\n")]
    public void It_is_rejected_naming_the_excluded_table_key(string table)
    {
        var source = Sources.Valid();
        source.ExcludeTables = [table];

        var problem = Assert.Single(Sources.ProblemsOf(source));
        Assert.StartsWith("Sources:demo:ExcludeTables:0: ", problem);
    }

    [Theory]
    [InlineData("-evil")]
    [InlineData("x;drop")]
    [InlineData("a=b")]
    public void It_is_rejected_naming_the_included_table_by_its_index(string table)
    {
        var source = Sources.Valid();
        source.IncludeTables = ["public.customers", table];

        var problem = Assert.Single(Sources.ProblemsOf(source));
        Assert.StartsWith("Sources:demo:IncludeTables:1: ", problem);
        Assert.Contains($"'{table}'", problem);
    }
}

public class When_a_database_name_is_a_connection_string_or_an_option
{
    [Theory]
    [InlineData("host=evil dbname=x")]
    [InlineData("-d")]
    [InlineData("postgresql://evil/x")]
    [InlineData("demo\n")]
    public void It_is_rejected_naming_the_database_key(string database)
    {
        var source = Sources.Valid();
        source.Database = database;

        var problem = Assert.Single(Sources.ProblemsOf(source));
        Assert.StartsWith("Sources:demo:Database: ", problem);
    }
}

public class When_a_schema_name_has_a_space
{
    [Fact]
    public void It_is_rejected_naming_the_schema_key()
    {
        var source = Sources.Valid();
        source.ExcludeSchemas = ["audit", "public schema"];

        var problem = Assert.Single(Sources.ProblemsOf(source));
        Assert.StartsWith("Sources:demo:ExcludeSchemas:1: ", problem);
    }
}

public class When_a_host_starts_with_a_dash
{
    [Fact]
    public void It_is_rejected_naming_the_host_key()
    {
        var source = Sources.Valid();
        source.Host = "-oProxyCommand=evil";

        var problem = Assert.Single(Sources.ProblemsOf(source));
        Assert.StartsWith("Sources:demo:Host: ", problem);
    }
}

public class When_a_source_lacks_its_connection
{
    [Fact]
    public void It_names_every_missing_key()
    {
        var problems = Sources.ProblemsOf(new SourceOptions());

        Assert.Equal(
            ["Sources:demo:Database", "Sources:demo:Host", "Sources:demo:Username"],
            problems.Select(p => p[..p.IndexOf(": ", StringComparison.Ordinal)]).Order());
    }
}

public class When_sources_are_bound_from_configuration
{
    [Fact]
    public void It_binds_each_source_with_its_lists()
    {
        var sources = Sources.Bind(new()
        {
            ["Sources:demo:Host"] = "db.internal",
            ["Sources:demo:Port"] = "5433",
            ["Sources:demo:Database"] = "demo_app",
            ["Sources:demo:Username"] = "backup",
            ["Sources:demo:ExcludeTables:0"] = "public.sessions",
            ["Sources:demo:ExcludeTables:1"] = "-evil",
        });

        var demo = Assert.Single(sources).Value;
        Assert.Equal(5433, demo.Port);
        Assert.Equal(["public.sessions", "-evil"], demo.ExcludeTables);
        var problem = Assert.Single(ValidatedOptions.Problems(sources, SourcesOptions.Section));
        Assert.StartsWith("Sources:demo:ExcludeTables:1: ", problem);
    }

    [Theory]
    [InlineData("Demo")]
    [InlineData("../x")]
    [InlineData("-x")]
    [InlineData("demo.prod")]
    public void It_reports_a_source_name_that_could_not_be_part_of_a_key(string name)
    {
        var sources = Sources.Bind(new()
        {
            [$"Sources:{name}:Host"] = "db.internal",
            [$"Sources:{name}:Database"] = "demo_app",
            [$"Sources:{name}:Username"] = "backup",
        });

        Assert.Equal(name, Assert.Single(sources).Key);
        var problem = Assert.Single(ValidatedOptions.Problems(sources, SourcesOptions.Section));
        Assert.StartsWith($"Sources:{name}: ", problem);
    }

    [Fact]
    public void It_reports_a_source_name_with_a_trailing_newline()
    {
        var sources = new SourcesOptions { ["demo\n"] = Sources.Valid() };

        var problem = Assert.Single(ValidatedOptions.Problems(sources, SourcesOptions.Section));
        Assert.StartsWith("Sources:demo\n: ", problem);
    }
}

public class When_a_source_asks_for_TLS
{
    [Fact]
    public void VerifyFull_without_a_root_certificate_file_is_refused_naming_the_key()
    {
        var source = Sources.Valid();
        source.SslMode = Archive.PgSslMode.VerifyFull;

        var problem = Assert.Single(Sources.ProblemsOf(source));

        Assert.StartsWith("Sources:demo:RootCertificateFile", problem);
        Assert.Contains("is required with SslMode VerifyFull", problem);
    }

    [Fact]
    public void A_root_certificate_file_that_does_not_exist_is_refused()
    {
        var source = Sources.Valid();
        source.SslMode = Archive.PgSslMode.VerifyCA;
        source.RootCertificateFile = "/nonexistent/ca.crt";

        var problem = Assert.Single(Sources.ProblemsOf(source));

        Assert.StartsWith("Sources:demo:RootCertificateFile", problem);
        Assert.Contains("'/nonexistent/ca.crt' does not exist", problem);
    }

    [Theory]
    [InlineData("Prefer")]
    [InlineData("Require")]
    public void A_root_certificate_file_with_a_mode_that_checks_no_certificate_is_refused(string mode)
    {
        var source = Sources.Bind(new()
        {
            ["Sources:demo:Host"] = "db.internal",
            ["Sources:demo:Database"] = "demo_app",
            ["Sources:demo:Username"] = "backup",
            ["Sources:demo:SslMode"] = mode,
            ["Sources:demo:RootCertificateFile"] = "/etc/ssl/ca.crt",
        })["demo"];

        var problem = Assert.Single(Sources.ProblemsOf(source));

        Assert.Contains("use VerifyFull", problem);
    }

    [Fact]
    public void Require_alone_is_accepted()
    {
        var source = Sources.Valid();
        source.SslMode = Archive.PgSslMode.Require;

        Assert.Empty(Sources.ProblemsOf(source));
    }
}
