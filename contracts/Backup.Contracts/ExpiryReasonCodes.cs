namespace Backup.Contracts;

/// <summary>The wire values of <see cref="BackupExpired.ReasonCode"/>, documented in asyncapi.yaml: what decided a deletion.</summary>
public static class ExpiryReasonCodes
{
    /// <summary>Older than the source's maximum age, and no calendar rule is configured (or, where drills are on, its drill failed).</summary>
    public const string Age = "age";

    /// <summary>Older than the maximum age and kept by no daily, weekly or monthly (grandfather-father-son) rule.</summary>
    public const string Gfs = "gfs";

    /// <summary>Deleted by hand through the API (DELETE /runs/{id}/artifact).</summary>
    public const string Manual = "manual";
}
