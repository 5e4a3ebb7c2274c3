using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Storage;

/// <summary>The filesystem artifact store, shared by the dumper (writes), notifier (reads) and retention (deletes).</summary>
public sealed class StorageOptions : IConfigurationSection<StorageOptions>
{
    public static string Section => "Storage";

    /// <summary>Folder that holds the artifacts, one sub-folder per source and day.</summary>
    [Required] public string Root { get; set; } = "";
}
