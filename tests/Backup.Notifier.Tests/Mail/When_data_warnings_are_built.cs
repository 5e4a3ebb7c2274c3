using Backup.Contracts;
using Backup.Notifier.Mail;

namespace Backup.Notifier.Tests.Mail;

/// <summary>The warning of a backup whose data looks wrong: its subject and body for one and for several findings.</summary>
public sealed class When_data_warnings_are_built
{
    static readonly Guid RunId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    static DataFinding Finding(string table, string finding, long before, long? now) =>
        new() { Schema = "public", Table = table, Finding = finding, PreviousRows = before, Rows = now };

    static BackupDataSuspicious Suspicious(params DataFinding[] findings) => new()
    {
        RunId = RunId,
        Source = "shop",
        ArtifactKey = "shop/2026/12/06/020000-" + RunId + ".dump.zst",
        DetectedAt = new DateTimeOffset(2026, 12, 6, 2, 1, 0, TimeSpan.Zero),
        Findings = findings,
    };

    [Fact]
    public void One_finding_names_the_table_and_both_counts_in_the_subject()
    {
        using var mail = DataWarningEmails.Warning("backup@example.com", ["ops@example.com"], Suspicious(Finding("orders", DataFindings.Emptied, 1200, 0)));

        Assert.Equal("[Backup] WARNING shop: table public.orders emptied (1200 → 0 rows)", mail.Subject);
        Assert.Contains("  - public.orders emptied (1200 → 0 rows)", mail.TextBody);
        Assert.Contains("was this table emptied on purpose?", mail.TextBody);
        Assert.Contains(RunId.ToString(), mail.TextBody);
        Assert.Contains("Catalog:DataChecks:Sources:shop", mail.TextBody);
    }

    [Fact]
    public void Several_findings_list_every_table_in_the_body_and_the_first_three_in_the_subject()
    {
        var suspicious = Suspicious(Finding("orders", DataFindings.Dropped, 1000, 300), Finding("carts", DataFindings.Emptied, 50, 0),
            Finding("coupons", DataFindings.Disappeared, 40, null), Finding("reviews", DataFindings.Emptied, 9, 0));
        using var mail = DataWarningEmails.Warning("backup@example.com", ["ops@example.com"], suspicious);

        Assert.StartsWith("[Backup] WARNING shop: tables public.orders dropped (1000 → 300 rows); public.carts emptied", mail.Subject);
        Assert.Contains("  - public.coupons disappeared (40 rows before, no longer in the backup)", mail.TextBody);
        Assert.Contains("  - public.reviews emptied (9 → 0 rows)", mail.TextBody);
        Assert.EndsWith("and 1 more", DataWarningEmails.Summary(suspicious));
    }
}
