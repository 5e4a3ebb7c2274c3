using System.Diagnostics;
using Backup.Archive;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// The archive the dumper stores is pg_dump's own output with its one-chunk-per-row data merged into ~1 MiB chunks,
/// and the manifest's row counts are counted in it as it passes. Here on real pg_dump output of awkward tables: the
/// counts must equal count(*) in the source, and stock pg_restore must restore the rewritten archive (from a pipe,
/// and with -j2 from a file) to exactly the source's rows; a cut or damaged archive must fail, never count wrong.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_dumper_rewrites_pg_dump_output(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly string source = $"rechunk_{Guid.NewGuid():N}";
    readonly List<string> databases = [];
    byte[] original = [];
    byte[] rewritten = [];
    RewrittenArchive result = null!;

    static readonly string[] Tables =
        ["public.wide", "public.awkward", "public.empty", "public.huge_row", "public.skipped", "other.items"];

    PostgresEndpoint Postgres => infrastructure.Postgres;

    public async Task InitializeAsync()
    {
        await Postgres.ExecuteAsync("postgres", $"CREATE DATABASE {source}");
        databases.Add(source);
        await Postgres.ExecuteAsync(source, """
            CREATE TABLE wide (id int PRIMARY KEY, body text, payload bytea);
            INSERT INTO wide SELECT i, repeat(md5(i::text), 1 + i % 7), decode(md5(i::text), 'hex') FROM generate_series(1, 40000) i;
            -- newlines, carriage returns, tabs, backslashes and a literal "\." inside values: COPY escapes them all
            CREATE TABLE awkward (id int, note text, doc jsonb);
            INSERT INTO awkward VALUES
              (1, E'two\nlines', '{"a": "x\ny"}'),
              (2, E'back\\slash and \\. and \\N', '{"b": "\\\\"}'),
              (3, E'tab\there\r\ncrlf', NULL),
              (4, NULL, '[]'),
              (5, E'\n\n\n', '{}'),
              (6, E'\\.\n', '{"c": "\\u0000"}'),
              (7, '', '{"d": ""}');
            CREATE TABLE empty (id int);
            CREATE TABLE huge_row (id int, blob text);
            INSERT INTO huge_row VALUES (1, repeat(E'line\n', 700000)), (2, 'small');
            CREATE TABLE skipped (id int);
            INSERT INTO skipped SELECT generate_series(1, 10);
            CREATE SCHEMA other;
            CREATE TABLE other.items (id int, name text);
            INSERT INTO other.items SELECT i, 'item ' || i FROM generate_series(1, 1234) i;
            """);
        original = await PgDumpAsync("--format=custom", "--compress=0", "--exclude-table-data=public.skipped", source);
        using var output = new MemoryStream();
        result = await ArchiveRewriter.RewriteAsync(new MemoryStream(original),
            (bytes, _) => { output.Write(bytes.Span); return ValueTask.CompletedTask; }, copyUnreadable: false, CancellationToken.None);
        rewritten = output.ToArray();
    }

    public async Task DisposeAsync()
    {
        foreach (var database in databases)
            await Postgres.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    }

    [Fact]
    public async Task It_counts_exactly_the_rows_of_every_table_with_data()
    {
        var counted = result.TableRows.ToDictionary(t => $"{t.Schema}.{t.Name}", t => t.Rows);
        Assert.Equal(Tables.Where(t => t != "public.skipped").Order(), counted.Keys.Order());
        foreach (var (table, rows) in counted)
            Assert.Equal(await Postgres.ScalarAsync<long>(source, $"SELECT count(*) FROM {table}"), rows);
        Assert.Equal(0, counted["public.empty"]);
        Assert.Equal(7, counted["public.awkward"]);
    }

    [Fact]
    public void It_keeps_a_table_whose_rows_are_left_out_as_a_definition_only()
    {
        Assert.Contains("public.skipped", result.Tables);
        Assert.DoesNotContain("public.skipped", result.TablesWithData);
    }

    [Fact]
    public void It_merges_the_per_row_chunks_and_writes_what_it_says()
    {
        Assert.True(result.Rewritten);
        Assert.Equal(original.Length, result.BytesRead);
        Assert.Equal(rewritten.Length, result.BytesWritten);
        Assert.True(result.ChunksRead > 40000, $"pg_dump -Z0 writes a chunk per row ({result.ChunksRead})");
        Assert.True(result.ChunksWritten < 20, $"merged into a few ({result.ChunksWritten})");
        Assert.True(rewritten.Length < original.Length);
    }

    [Fact]
    public async Task Pg_restore_lists_the_same_table_of_contents()
    {
        var before = await PgRestoreListAsync(original);
        var after = await PgRestoreListAsync(rewritten);
        Assert.Equal(Strip(before), Strip(after));
        Assert.Contains("TABLE DATA public wide", after);

        // The archive's header says when it was dumped; the rest of the listing must match line for line.
        static string[] Strip(string listing) => listing.Split('\n').Where(l => !l.StartsWith(';')).ToArray();
    }

    [Fact]
    public async Task Stock_pg_restore_restores_it_streamed_to_the_same_rows()
    {
        var target = await NewDatabaseAsync();
        await RunAsync("pg_restore", rewritten, "--no-owner", "--exit-on-error", $"--dbname={target}");
        await AssertSameContentsAsync(target);
    }

    [Fact]
    public async Task Stock_pg_restore_restores_it_with_two_jobs_from_a_file_with_offsets()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rechunk-{Guid.NewGuid():N}.dump");
        try
        {
            await using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                var written = await SeekableArchiveFile.WriteAsync(new MemoryStream(original), stream, CancellationToken.None);
                Assert.Equal(result.TableRows, written.TableRows);
                Assert.Equal(rewritten.Length, stream.Length);
            }
            var listing = await RunAsync("pg_restore", [], "--list", file);
            Assert.Contains("TABLE DATA other items", listing);

            var target = await NewDatabaseAsync();
            await RunAsync("pg_restore", [], "--no-owner", "--exit-on-error", "--jobs=2", $"--dbname={target}", file);
            await AssertSameContentsAsync(target);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_cut_archive_fails_instead_of_counting_fewer_rows()
    {
        // Cut inside the table of contents, inside the data, and exactly before the last data block: all must fail.
        var lastBlock = (int)result.DataBlockPositions.Values.Max();
        foreach (var cut in new[] { original[..200], original[..(original.Length / 2)], original[..^1], rewritten[..lastBlock] })
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => RewriteAsync(cut));
            Assert.Contains("cut short", e.Message);
        }
    }

    [Fact]
    public async Task A_damaged_archive_fails_instead_of_counting_wrong()
    {
        // A chunk length one byte short makes the next length read from the middle of a row.
        var damaged = (byte[])rewritten.Clone();
        var block = (int)result.DataBlockPositions[result.Entries.Single(e => e.QualifiedName == "public.wide" && e.IsTableData).DumpId];
        damaged[block + 1 + 5 + 1] -= 1; // type byte, dump id, then the first chunk's length (least significant byte)
        await Assert.ThrowsAsync<InvalidDataException>(() => RewriteAsync(damaged));

        var notAnArchive = "PGDMQ"u8.ToArray().Concat(rewritten[5..]).ToArray();
        await Assert.ThrowsAsync<InvalidDataException>(() => RewriteAsync(notAnArchive));
    }

    [Fact]
    public async Task A_compressed_archive_is_refused_for_counting_and_copied_unchanged_for_restoring()
    {
        var compressed = await PgDumpAsync("--format=custom", source);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => RewriteAsync(compressed));
        Assert.Contains("compressed", e.Message);

        using var output = new MemoryStream();
        var copied = await ArchiveRewriter.RewriteAsync(new MemoryStream(compressed),
            (bytes, _) => { output.Write(bytes.Span); return ValueTask.CompletedTask; }, copyUnreadable: true, CancellationToken.None);
        Assert.False(copied.Rewritten);
        Assert.Equal(compressed, output.ToArray());
    }

    async Task<RewrittenArchive> RewriteAsync(byte[] archive) =>
        await ArchiveRewriter.RewriteAsync(new MemoryStream(archive), (_, _) => ValueTask.CompletedTask, copyUnreadable: false,
            CancellationToken.None);

    async Task<string> NewDatabaseAsync()
    {
        var name = $"rechunk_restored_{Guid.NewGuid():N}";
        await Postgres.ExecuteAsync("postgres", $"CREATE DATABASE {name} TEMPLATE template0");
        databases.Add(name);
        return name;
    }

    async Task AssertSameContentsAsync(string restored)
    {
        foreach (var table in Tables)
        {
            // Row count and a checksum of every row's text, in a fixed order.
            var sql = $"SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t";
            var expected = table == "public.skipped" ? "0:" : await Postgres.ScalarAsync<string>(source, sql);
            Assert.Equal(expected, await Postgres.ScalarAsync<string>(restored, sql));
        }
    }

    Task<byte[]> PgDumpAsync(params string[] arguments) => RunBinaryAsync("pg_dump", [], [.. arguments[..^1], "--", arguments[^1]]);

    async Task<string> PgRestoreListAsync(byte[] archive) => await RunAsync("pg_restore", archive, "--list");

    async Task<string> RunAsync(string tool, byte[] input, params string[] arguments) =>
        System.Text.Encoding.UTF8.GetString(await RunBinaryAsync(tool, input, arguments));

    /// <summary>A PostgreSQL client program with an argument list, the password in a 0600 PGPASSFILE, bytes in and out.</summary>
    async Task<byte[]> RunBinaryAsync(string tool, byte[] input, string[] arguments)
    {
        var passFile = Path.GetTempFileName();
        File.SetUnixFileMode(passFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(passFile, $"*:*:*:{Postgres.Username}:{Postgres.Password}\n");
        try
        {
            var start = new ProcessStartInfo(Path.Combine(Postgres.BinDirectory, tool))
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { $"--host={Postgres.Host}", $"--port={Postgres.Port}", $"--username={Postgres.Username}", "--no-password" }
                         .Concat(arguments))
                start.ArgumentList.Add(argument);
            start.Environment["PGPASSFILE"] = passFile;
            using var process = Process.Start(start)!;
            using var output = new MemoryStream();
            var reading = process.StandardOutput.BaseStream.CopyToAsync(output);
            var errors = process.StandardError.ReadToEndAsync();
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(input);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // pg_restore --list leaves once it has read the table of contents.
            }
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(deadline.Token);
            await reading;
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{tool} exited {process.ExitCode}: {await errors}");
            return output.ToArray();
        }
        finally
        {
            File.Delete(passFile);
        }
    }
}
