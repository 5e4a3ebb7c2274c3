namespace Backup.Api.Auth;

/// <summary>The API's three roles, as authorization policies; each includes the ones below it.</summary>
public static class ApiRoles
{
    /// <summary>Reads runs, their timelines and manifests, and sources.</summary>
    public const string Reader = "reader";

    /// <summary>Also triggers backups, downloads artifacts and requests restores.</summary>
    public const string Operator = "operator";

    /// <summary>Also deletes backups and changes schedules.</summary>
    public const string Admin = "admin";
}
