using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Backup.ServiceDefaults;

namespace Backup.Storage;

/// <summary>
/// The store-relative name of an artifact, always made by the service from a validated source name, a run id and
/// a time: "demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump". A key that arrives in a message
/// is parsed against exactly that shape before it is used, so no message can name a path of its choosing.
/// </summary>
public sealed partial record ArtifactKey
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,62}/\d{4}/\d{2}/\d{2}/\d{8}T\d{6}Z-[0-9a-f]{32}\.dump\z",
        RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    ArtifactKey(string value) => Value = value;

    public string Value { get; }

    public string Source => Value[..Value.IndexOf('/')];

    public string FileName => Value[(Value.LastIndexOf('/') + 1)..];

    public static ArtifactKey Create(string source, Guid runId, DateTimeOffset at)
    {
        if (!SourceNames.IsValid(source))
            throw new ArgumentException($"'{source}' is not a valid source name ({SourceNames.Rule}).", nameof(source));
        var utc = at.ToUniversalTime();
        return new ArtifactKey(string.Create(CultureInfo.InvariantCulture,
            $"{source}/{utc:yyyy}/{utc:MM}/{utc:dd}/{utc:yyyyMMdd'T'HHmmss'Z'}-{runId:N}.dump"));
    }

    public static bool TryParse(string? value, [NotNullWhen(true)] out ArtifactKey? key)
    {
        key = value is not null && Shape().IsMatch(value) ? new ArtifactKey(value) : null;
        return key is not null;
    }

    public static ArtifactKey Parse(string? value) =>
        TryParse(value, out var key) ? key : throw new FormatException("Not an artifact key made by this service.");

    public override string ToString() => Value;
}
