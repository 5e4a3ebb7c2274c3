namespace Backup.Deploy.Tests;

public static class Expect
{
    /// <summary>Fails with every violation written out in full (xunit's Assert.Empty cuts long items short).</summary>
    public static void NoViolations(IEnumerable<string?> violations)
    {
        var list = violations.ToList();
        if (list.Count > 0)
        {
            Assert.Fail($"{list.Count} violation(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", list));
        }
    }
}
