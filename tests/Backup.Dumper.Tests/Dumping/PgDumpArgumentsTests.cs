using Backup.Dumper.Dumping;
using Backup.Dumper.Options;

namespace Backup.Dumper.Tests.Dumping;

public class When_pg_dump_arguments_are_made_for_a_source
{
    static SourceOptions Source() => new()
    {
        Host = "db.internal",
        Port = 5433,
        Database = "demo_app",
        Username = "backup",
        Password = "s3cret-pa55word",
        IncludeSchemas = ["public", "billing"],
        ExcludeSchemas = ["audit"],
        IncludeTables = ["public.customers", "billing.*"],
        ExcludeTables = ["public.sessions", "billing.tmp_*"],
    };

    [Fact]
    public void It_lists_every_value_as_its_own_argument_and_the_database_last_after_a_double_dash()
    {
        string[] expected =
        [
            "--format=custom",
            "--compress=0",
            "--no-password",
            "--host=db.internal",
            "--port=5433",
            "--username=backup",
            "--schema=public",
            "--schema=billing",
            "--exclude-schema=audit",
            "--table=public.customers",
            "--table=billing.*",
            "--exclude-table=public.sessions",
            "--exclude-table=billing.tmp_*",
            "--",
            "demo_app",
        ];

        Assert.Equal(expected, PgDumpArguments.For(Source()));
    }

    [Fact]
    public void It_names_no_schema_or_table_when_the_whole_database_is_critical()
    {
        var source = new SourceOptions { Host = "10.0.0.7", Database = "demo_app", Username = "backup" };

        string[] expected =
            ["--format=custom", "--compress=0", "--no-password", "--host=10.0.0.7", "--port=5432", "--username=backup", "--", "demo_app"];
        Assert.Equal(expected, PgDumpArguments.For(source));
    }

    [Fact]
    public void It_never_puts_the_password_in_an_argument()
    {
        var source = Source();

        var arguments = PgDumpArguments.For(source);

        Assert.DoesNotContain(arguments, argument => argument.Contains(source.Password, StringComparison.Ordinal));
        Assert.DoesNotContain(arguments, argument => argument.Contains("password=", StringComparison.OrdinalIgnoreCase));
    }
}

public class When_a_pgpass_line_is_written
{
    [Fact]
    public void It_escapes_colons_and_backslashes_in_the_password()
    {
        var source = new SourceOptions { Host = "db.internal", Database = "demo_app", Username = "backup", Password = @"p:a\ss" };

        Assert.Equal(@"db.internal:5432:demo_app:backup:p\:a\\ss", PgDumpArguments.PgPassLine(source));
    }

    [Fact]
    public void It_escapes_the_colons_of_an_IPv6_host()
    {
        var source = new SourceOptions { Host = "::1", Port = 6432, Database = "demo_app", Username = "backup", Password = "pw" };

        Assert.Equal(@"\:\:1:6432:demo_app:backup:pw", PgDumpArguments.PgPassLine(source));
    }
}

public class When_pg_dump_is_given_the_exported_snapshot
{
    static readonly SourceOptions Source = new() { Host = "db", Database = "demo_app", Username = "backup", ExcludeTableData = ["public.audit_log"] };

    [Fact]
    public void It_dumps_that_snapshot_and_keeps_the_schema_of_tables_whose_data_is_left_out()
    {
        var arguments = PgDumpArguments.For(Source, "00000003-0000001B-1");

        Assert.Contains("--snapshot=00000003-0000001B-1", arguments);
        Assert.Contains("--exclude-table-data=public.audit_log", arguments);
        Assert.Equal(["--", "demo_app"], arguments.TakeLast(2));
    }

    [Theory]
    [InlineData("--evil")]
    [InlineData("00000003-0000001B-1 --file=/etc/passwd")]
    [InlineData("x")]
    public void It_refuses_anything_that_is_not_a_snapshot_id(string snapshot) =>
        Assert.Throws<ArgumentException>(() => PgDumpArguments.For(Source, snapshot));
}
