namespace Backup.Deploy.Tests;

/// <summary>deploy/postgres/catalog-roles.tsv: each service's login role to the catalog, the one list of them.</summary>
public static class CatalogRoles
{
    public const string File = "deploy/postgres/catalog-roles.tsv";

    /// <summary>A row: the service (as Migrator__ServiceRoles__ names it), its role, and its short name (of its secret files).</summary>
    public sealed record Row(string Service, string Role, string ShortName);

    public static IReadOnlyList<Row> Rows => System.IO.File.ReadAllLines(Repository.PathOf(File))
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line => line.Split('\t'))
        .Select(columns => new Row(columns[0], columns[1], columns[2]))
        .ToList();
}
