namespace Backup.Archive;

/// <summary>Reads an archive's table of contents, field by field as pg_restore's ReadToc does for versions 1.14 to 1.16.</summary>
static class TableOfContents
{
    /// <summary>The custom format's offset flags: no offset written (a piped archive), an offset, no data at all.</summary>
    internal const byte OffsetNotSet = 1, OffsetSet = 2, NoData = 3;

    internal static async Task<IReadOnlyList<TocEntry>> ReadAsync(ArchiveInput input, ArchiveHeader header,
        CancellationToken cancellationToken)
    {
        const string where = "the table of contents";
        var count = await input.ReadIntAsync(where, cancellationToken);
        if (count < 0) throw new InvalidDataException($"The table of contents says it has {count} entries: the archive is damaged.");
        var entries = new List<TocEntry>(Math.Min(count, 100_000));
        for (var i = 0; i < count; i++)
        {
            var dumpId = await input.ReadIntAsync(where, cancellationToken);
            if (dumpId <= 0) throw new InvalidDataException($"Entry {i} of the table of contents has dump id {dumpId}: the archive is damaged.");
            var hadDumper = await input.ReadIntAsync(where, cancellationToken);
            await input.ReadStringAsync(where, cancellationToken); // catalog table oid
            await input.ReadStringAsync(where, cancellationToken); // oid
            var tag = await input.ReadStringAsync(where, cancellationToken) ?? "";
            var desc = await input.ReadStringAsync(where, cancellationToken) ?? "";
            var section = await input.ReadIntAsync(where, cancellationToken);
            var definition = await input.ReadStringAsync(where, cancellationToken);
            await input.ReadStringAsync(where, cancellationToken); // drop statement
            var copyStatement = await input.ReadStringAsync(where, cancellationToken);
            var schema = await input.ReadStringAsync(where, cancellationToken);
            await input.ReadStringAsync(where, cancellationToken); // tablespace
            await input.ReadStringAsync(where, cancellationToken); // table access method
            if (header.HasRelKind) await input.ReadIntAsync(where, cancellationToken);
            await input.ReadStringAsync(where, cancellationToken); // owner
            await input.ReadStringAsync(where, cancellationToken); // "false": no OIDs
            var dependencies = new List<int>();
            while (await input.ReadStringAsync(where, cancellationToken) is { } dependency) // ended by none
                if (int.TryParse(dependency, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                    dependencies.Add(id);
            var offsetField = input.Position;
            var flag = await input.ReadByteAsync(where, cancellationToken);
            for (var b = 0; b < header.OffsetSize; b++)
                await input.ReadByteAsync(where, cancellationToken);
            if (flag is not (OffsetNotSet or OffsetSet or NoData))
                throw new InvalidDataException($"Entry {dumpId} ({desc} {tag}) of the table of contents has data flag {flag}: the archive is damaged.");
            // Only what a restore and a drill need is kept (a schema's definitions can be large): the encoding, and the value
            // each sequence was dumped at.
            entries.Add(new TocEntry(dumpId, desc, schema, tag, hadDumper != 0 && flag != NoData, offsetField, section,
                desc == "TABLE DATA" ? copyStatement : null, desc is "ENCODING" or "SEQUENCE SET" ? definition : null) { Dependencies = dependencies });
        }
        return entries;
    }
}
