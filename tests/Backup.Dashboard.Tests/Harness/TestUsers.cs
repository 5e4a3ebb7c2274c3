namespace Backup.Dashboard.Tests.Harness;

/// <summary>A user of the test identity provider: the ID token's sub, name and roles.</summary>
public sealed record TestUser(string Subject, string Name, string[] Roles)
{
    public static readonly TestUser ReaderAnn = new("reader-ann", "Ann Reader", ["backup.reader"]);
    public static readonly TestUser OperatorOlga = new("operator-olga", "Olga Operator", ["backup.operator"]);
    public static readonly TestUser AdminAdam = new("admin-adam", "Adam Admin", ["backup.admin", "wiki.editor"]);
    // Signed in at the platform, but with no role of the backup service.
    public static readonly TestUser NobodyNick = new("nobody-nick", "Nick Nobody", ["wiki.editor"]);

    public static readonly IReadOnlyList<TestUser> All = [ReaderAnn, OperatorOlga, AdminAdam, NobodyNick];
}
