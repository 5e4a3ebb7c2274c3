using Backup.Archive;
using Backup.Recovery.Drills;

namespace Backup.Restorer.Tests.Drills;

/// <summary>The sequences' dumped values, read from the SEQUENCE SET entries' setval calls as pg_dump writes them.</summary>
public sealed class DumpedSequencesTests
{
    static TocEntry SequenceSet(string definition) =>
        new(7, "SEQUENCE SET", "public", "orders_id_seq", false, 0, TocSection.Data, null, definition);

    [Fact]
    public void A_called_sequence_is_expected_at_its_value()
    {
        var dumped = RestoredObjects.DumpedSequences([SequenceSet("SELECT pg_catalog.setval('public.orders_id_seq', 2000, true);\n")]);

        Assert.Equal(new RestoredObjects.DumpedSequence("public.orders_id_seq", 2000, true), Assert.Single(dumped));
    }

    [Fact]
    public void A_quoted_name_with_a_quote_in_it_is_read_whole()
    {
        var dumped = RestoredObjects.DumpedSequences([SequenceSet("SELECT pg_catalog.setval('\"My Schema\".\"it''s_seq\"', 1, false);\n")]);

        Assert.Equal(new RestoredObjects.DumpedSequence("\"My Schema\".\"it's_seq\"", 1, false), Assert.Single(dumped));
    }

    [Fact]
    public void Entries_of_other_kinds_are_ignored()
    {
        var table = new TocEntry(3, "TABLE", "public", "orders", false, 0, TocSection.PreData);

        Assert.Empty(RestoredObjects.DumpedSequences([table]));
    }
}
