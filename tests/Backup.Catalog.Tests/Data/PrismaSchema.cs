using System.Text.RegularExpressions;

namespace Backup.Catalog.Tests.Data;

/// <summary>
/// A small reader of the parts of a Prisma schema that describe tables: models, their fields (type, optional, list),
/// @map/@@map, @db.* native types, @id/@@id, @@index and @default(autoincrement()). Enough for data-model.prisma,
/// not a full Prisma parser: relations, enums and views are not read.
/// </summary>
public sealed partial record PrismaSchema(IReadOnlyList<PrismaModel> Models)
{
    public static PrismaSchema Parse(string text)
    {
        var models = new List<PrismaModel>();
        PrismaModel? model = null;
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = StripComment(rawLine).Trim();
            if (line.Length == 0) continue;
            if (model is null)
            {
                if (ModelStart().Match(line) is { Success: true } start)
                    model = new PrismaModel(start.Groups[1].Value) { Table = start.Groups[1].Value };
                continue;
            }
            if (line == "}")
            {
                models.Add(model);
                model = null;
            }
            else if (line.StartsWith("@@map(", StringComparison.Ordinal)) model.Table = FirstString(line) ?? throw Bad(lineNumber, rawLine);
            else if (line.StartsWith("@@id(", StringComparison.Ordinal)) model.PrimaryKey = new PrismaIndex(MapName(line), FieldList(line, lineNumber));
            else if (line.StartsWith("@@index(", StringComparison.Ordinal)) model.Indexes.Add(new PrismaIndex(MapName(line), FieldList(line, lineNumber)));
            else if (line.StartsWith("@@", StringComparison.Ordinal)) model.OtherBlockAttributes.Add(line);
            else if (FieldLine().Match(line) is { Success: true } field)
            {
                var attributes = field.Groups["attributes"].Value;
                var parsed = new PrismaField(field.Groups["name"].Value, field.Groups["type"].Value,
                    Optional: field.Groups["modifier"].Value == "?", List: field.Groups["modifier"].Value == "[]")
                {
                    Column = MapAttribute().Match(attributes) is { Success: true } map ? map.Groups[1].Value : field.Groups["name"].Value,
                    NativeType = NativeType().Match(attributes) is { Success: true } native ? native.Groups[1].Value : null,
                    AutoIncrement = attributes.Contains("@default(autoincrement())", StringComparison.Ordinal),
                };
                model.Fields.Add(parsed);
                if (IdAttribute().Match(attributes) is { Success: true } id)
                    model.PrimaryKey = new PrismaIndex(id.Groups[1].Success ? id.Groups[1].Value : null, [parsed.Name]);
            }
            else throw Bad(lineNumber, rawLine);
        }
        if (model is not null) throw new FormatException($"Model {model.Name} is not closed.");
        return new PrismaSchema(models);
    }

    static FormatException Bad(int line, string text) => new($"data-model.prisma line {line} is not understood: '{text.Trim()}'.");

    static string StripComment(string line)
    {
        var inString = false;
        for (var i = 0; i < line.Length - 1; i++)
        {
            if (line[i] == '"') inString = !inString;
            if (!inString && line[i] == '/' && line[i + 1] == '/') return line[..i];
        }
        return line;
    }

    static string? FirstString(string line) => QuotedString().Match(line) is { Success: true } m ? m.Groups[1].Value : null;

    static string? MapName(string line) => MapArgument().Match(line) is { Success: true } m ? m.Groups[1].Value : null;

    static IReadOnlyList<string> FieldList(string line, int lineNumber) => FieldListArgument().Match(line) is { Success: true } m
        ? [.. m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('(')[0])]
        : throw new FormatException($"data-model.prisma line {lineNumber}: no field list in '{line}'.");

    [GeneratedRegex(@"^model\s+(\w+)\s*\{$")] private static partial Regex ModelStart();
    [GeneratedRegex(@"^(?<name>\w+)\s+(?<type>\w+|Unsupported\(""[^""]+""\))(?<modifier>\?|\[\])?(?<attributes>(\s+@.*)?)$")] private static partial Regex FieldLine();
    [GeneratedRegex(@"@map\(\s*""([^""]+)""\s*\)")] private static partial Regex MapAttribute();
    [GeneratedRegex(@"@db\.(\w+(?:\([^)]*\))?)")] private static partial Regex NativeType();
    [GeneratedRegex(@"@id(?:\(\s*map:\s*""([^""]+)""\s*\))?(?!\w)")] private static partial Regex IdAttribute();
    [GeneratedRegex(@"""([^""]*)""")] private static partial Regex QuotedString();
    [GeneratedRegex(@"map:\s*""([^""]+)""")] private static partial Regex MapArgument();
    [GeneratedRegex(@"\[([^\]]*)\]")] private static partial Regex FieldListArgument();
}

public sealed record PrismaModel(string Name)
{
    public required string Table { get; set; }
    public List<PrismaField> Fields { get; } = [];
    public PrismaIndex? PrimaryKey { get; set; }
    public List<PrismaIndex> Indexes { get; } = [];
    public List<string> OtherBlockAttributes { get; } = [];
}

public sealed record PrismaField(string Name, string Type, bool Optional, bool List)
{
    public required string Column { get; init; }

    /// <summary>The @db.* attribute without "@db.", e.g. "VarChar(63)"; null when the Prisma type's default applies.</summary>
    public string? NativeType { get; init; }

    public bool AutoIncrement { get; init; }

    /// <summary>The PostgreSQL type the field stands for, spelled as EF Core's Npgsql provider spells store types.</summary>
    public string StoreType
    {
        get
        {
            var native = NativeType is null ? null : NativeName().Match(NativeType);
            var argument = native?.Groups[2].Success == true ? native.Groups[2].Value : null;
            var type = (Type, native?.Groups[1].Value) switch
            {
                ("String", null) => "text",
                ("String", "VarChar") => argument is null ? "character varying" : $"character varying({argument})",
                ("String", "Char") => $"character({argument ?? "1"})",
                ("String", "Text") => "text",
                ("String", "Uuid") => "uuid",
                ("DateTime", null) => "timestamp(3) without time zone",
                ("DateTime", "Timestamp") => "timestamp without time zone",
                ("DateTime", "Timestamptz") => argument is null or "6" ? "timestamp with time zone" : $"timestamp({argument}) with time zone",
                ("DateTime", "Date") => "date",
                ("Json", null) => "jsonb",
                ("Json", "JsonB") => "jsonb",
                ("Json", "Json") => "json",
                ("Int", null) => "integer",
                ("Int", "Integer") => "integer",
                ("Int", "SmallInt") => "smallint",
                ("BigInt", null) => "bigint",
                ("BigInt", "BigInt") => "bigint",
                ("Boolean", null) => "boolean",
                ("Float", null) => "double precision",
                ("Decimal", null) => "numeric(65,30)",
                ("Decimal", "Decimal") => $"numeric({argument})",
                ("Bytes", null) => "bytea",
                // Prisma has no type for some of PostgreSQL's (interval): Unsupported("interval") names the store type.
                (var prisma, null) when prisma.StartsWith("Unsupported(\"", StringComparison.Ordinal) => prisma["Unsupported(\"".Length..^2],
                var (prisma, db) => $"{prisma}{(db is null ? "" : " @db." + NativeType)} (not understood)",
            };
            return List ? type + "[]" : type;
        }
    }

    static Regex NativeName() => new(@"^(\w+)(?:\(\s*([^)]*?)\s*\))?$");
}

public sealed record PrismaIndex(string? Name, IReadOnlyList<string> Fields);
