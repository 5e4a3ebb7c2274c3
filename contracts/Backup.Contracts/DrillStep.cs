namespace Backup.Contracts;

/// <summary>
/// One step of a restore drill and how long it took. Steps, in order: "fetch" (the artifact copied from the store
/// while its size and SHA-256 are checked), "decode" (decrypted and decompressed, table of contents read), "schema",
/// "data", "indexes" (indexes, constraints and the rest of the post-data), "verify" (row counts, objects, sequences)
/// and "checks" (the source's own queries).
/// </summary>
public sealed record DrillStep
{
    public required string Name { get; init; }
    public required double Seconds { get; init; }
}
