using Backup.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Backup.Catalog.Tests.Data;

/// <summary>
/// specs/011-automated-backup/data-model.prisma describes the catalog database for the platform's Prisma users; the EF
/// model (which the migrations follow) is the truth. Every table, column (store type, nullability, identity), primary
/// key and index must agree; each difference is named. No database is needed: the EF model is built in memory.
/// </summary>
public class PrismaModelMatchesTheEfModel
{
    // PostgreSQL system columns: EF maps xmin as the runs' concurrency token, Prisma cannot declare them.
    static readonly HashSet<string> SystemColumns = ["xmin", "xmax", "cmin", "cmax", "ctid", "tableoid"];

    [Fact]
    public void Every_table_column_key_and_index_agrees()
    {
        var differences = Differences(EfFacts(), PrismaFacts(PrismaSchema.Parse(File.ReadAllText(SchemaPath))));

        Assert.True(differences.Count == 0,
            $"The EF model and {SchemaPath} differ in {differences.Count} place(s):\n  " + string.Join("\n  ", differences));
    }

    [Fact]
    public void Every_table_of_the_ef_model_is_a_model_in_the_prisma_schema()
    {
        var tables = PrismaSchema.Parse(File.ReadAllText(SchemaPath)).Models.Select(m => m.Table).ToHashSet();

        Assert.Superset(tables, EfFacts().Keys.Where(k => k.StartsWith("table ", StringComparison.Ordinal)).Select(k => k[6..]).ToHashSet());
        Assert.Contains("backup_runs", tables);
        Assert.Contains("audit_log", tables);
    }

    [Fact]
    public void A_broken_copy_is_reported_difference_by_difference()
    {
        var text = File.ReadAllText(SchemaPath);
        var broken = Replace(text,
            ("  failureCode   String?    @map(\"failure_code\") @db.VarChar(64)\n", ""),                    // a column dropped
            ("  sizeBytes     BigInt?    @map(\"size_bytes\")", "  sizeBytes     Int?       @map(\"size_bytes\")"), // a type changed
            ("  detail    String?  @db.VarChar(500)\n\n  @@index([runId, id]", "  detail    String   @db.VarChar(500)\n\n  @@index([runId, id]"), // nullability
            ("@@map(\"audit_log\")", "@@map(\"audit_logs\")"),                                          // a table renamed
            ("@@id([kind, key], map: \"pk_jobs\")", "@@id([kind], map: \"pk_jobs\")"),                   // a key changed
            ("  @@index([kind, group, state], map: \"ix_jobs_kind_group_state\")\n", ""),               // an index dropped
            ("  id          BigInt    @id(map: \"pk_outbox_messages\") @default(autoincrement())", "  id          BigInt    @id(map: \"pk_outbox_messages\")")); // identity

        var differences = Differences(EfFacts(), PrismaFacts(PrismaSchema.Parse(broken)));

        Assert.Contains("backup_runs.failure_code: only in the EF model (character varying(64) null)", differences);
        Assert.Contains("backup_runs.size_bytes: EF says bigint null, data-model.prisma says integer null", differences);
        Assert.Contains("backup_run_transitions.detail: EF says character varying(500) null, data-model.prisma says character varying(500) not null", differences);
        Assert.Contains("table audit_log: only in the EF model (table)", differences);
        Assert.Contains("table audit_logs: only in data-model.prisma (table)", differences);
        Assert.Contains("jobs primary key: EF says pk_jobs (kind, key), data-model.prisma says pk_jobs (kind)", differences);
        Assert.Contains("jobs index ix_jobs_kind_group_state: only in the EF model ((kind, group, state))", differences);
        Assert.Contains("outbox_messages.id: EF says bigint not null identity, data-model.prisma says bigint not null", differences);
        // Beyond those: audit_log's columns, key and index, reported under both table names; nothing else.
        Assert.All(differences.Where(d => !d.StartsWith("backup_runs.", StringComparison.Ordinal) && !d.StartsWith("backup_run_transitions.", StringComparison.Ordinal)
                && !d.StartsWith("jobs ", StringComparison.Ordinal) && !d.StartsWith("outbox_messages.", StringComparison.Ordinal)),
            d => Assert.Contains("audit_log", d));
        Assert.Equal(6 + 2 * 11, differences.Count);
    }

    static string Replace(string text, params (string From, string To)[] changes)
    {
        foreach (var (from, to) in changes)
        {
            var at = text.IndexOf(from, StringComparison.Ordinal);
            Assert.True(at >= 0 && text.IndexOf(from, at + 1, StringComparison.Ordinal) < 0, $"'{from}' is not once in data-model.prisma.");
            text = text[..at] + to + text[(at + from.Length)..];
        }
        return text;
    }

    public static string SchemaPath
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "specs", "011-automated-backup", "data-model.prisma");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("specs/011-automated-backup/data-model.prisma not found above " + AppContext.BaseDirectory);
        }
    }

    static List<string> Differences(SortedDictionary<string, string> ef, SortedDictionary<string, string> prisma)
    {
        var differences = new List<string>();
        foreach (var key in ef.Keys.Union(prisma.Keys).Order(StringComparer.Ordinal))
        {
            var inEf = ef.TryGetValue(key, out var e);
            var inPrisma = prisma.TryGetValue(key, out var p);
            if (inEf && !inPrisma) differences.Add($"{key}: only in the EF model ({e})");
            else if (!inEf && inPrisma) differences.Add($"{key}: only in data-model.prisma ({p})");
            else if (e != p) differences.Add($"{key}: EF says {e}, data-model.prisma says {p}");
        }
        return differences;
    }

    /// <summary>The tables as EF Core's relational model has them (what the migrations create).</summary>
    static SortedDictionary<string, string> EfFacts()
    {
        using var db = new CatalogDesignTimeFactory().CreateDbContext([]);
        var facts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in db.Model.GetRelationalModel().Tables)
        {
            facts[$"table {table.Name}"] = "table";
            foreach (var column in table.Columns.Where(c => !SystemColumns.Contains(c.Name)))
            {
                var identity = column.PropertyMappings.Any(m => m.Property.GetValueGenerationStrategy() is
                    NpgsqlValueGenerationStrategy.IdentityAlwaysColumn or NpgsqlValueGenerationStrategy.IdentityByDefaultColumn
                    or NpgsqlValueGenerationStrategy.SerialColumn);
                facts[$"{table.Name}.{column.Name}"] = $"{column.StoreType} {(column.IsNullable ? "null" : "not null")}{(identity ? " identity" : "")}";
            }
            if (table.PrimaryKey is { } key)
                facts[$"{table.Name} primary key"] = $"{key.Name} ({string.Join(", ", key.Columns.Select(c => c.Name))})";
            foreach (var index in table.Indexes)
                facts[$"{table.Name} index {index.Name}"] = $"({string.Join(", ", index.Columns.Select(c => c.Name))})";
        }
        return facts;
    }

    /// <summary>The same facts as the Prisma schema states them, in the database's names.</summary>
    static SortedDictionary<string, string> PrismaFacts(PrismaSchema schema)
    {
        var facts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in schema.Models)
        {
            facts[$"table {model.Table}"] = "table";
            var columns = model.Fields.ToDictionary(f => f.Name, f => f.Column);
            string Columns(IEnumerable<string> fields) => string.Join(", ", fields.Select(f => columns.GetValueOrDefault(f, $"?{f}")));
            foreach (var field in model.Fields)
                facts[$"{model.Table}.{field.Column}"] =
                    $"{field.StoreType} {(field.Optional ? "null" : "not null")}{(field.AutoIncrement ? " identity" : "")}";
            if (model.PrimaryKey is { } key)
                facts[$"{model.Table} primary key"] = $"{key.Name ?? model.Table + "_pkey"} ({Columns(key.Fields)})";
            foreach (var index in model.Indexes)
                facts[$"{model.Table} index {index.Name ?? model.Table + "_" + string.Join("_", index.Fields) + "_idx"}"] = $"({Columns(index.Fields)})";
            foreach (var attribute in model.OtherBlockAttributes)
                facts[$"{model.Table} {attribute}"] = "not understood by the comparison";
        }
        return facts;
    }
}
