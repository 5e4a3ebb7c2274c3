namespace Backup.Dashboard.Tests;

/// <summary>
/// The browser tests' collections: the classes of one collection run one after another, the two collections side by
/// side (xunit.runner.json: at most 2 at once), so no more than two browsers run together.
/// </summary>
public static class DashboardCollections
{
    /// <summary>Pages over seeded catalog rows, and the sign-in.</summary>
    public const string Display = "Dashboard display";

    /// <summary>Actions that run the real services (backup, restore, schedule edit), and the scripts' own checks.</summary>
    public const string Actions = "Dashboard actions";
}
