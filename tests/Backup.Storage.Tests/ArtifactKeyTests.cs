using System.Globalization;
using Backup.Storage;

namespace Backup.Storage.Tests;

static class Keys
{
    public static readonly Guid RunId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    public const string Demo = "demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump";
}

public class When_an_artifact_key_is_made_from_a_UTC_time
{
    [Fact]
    public void It_names_the_source_folder_the_day_the_time_and_the_run()
    {
        var key = ArtifactKey.Create("demo", Keys.RunId, new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero),
            ArtifactEncoding.Plain);

        Assert.Equal(Keys.Demo, key.Value);
        Assert.Equal("demo", key.Source);
        Assert.Equal("20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump", key.FileName);
        Assert.Equal(Keys.Demo, key.ToString());
        Assert.Equal(Keys.RunId, key.RunId);
        Assert.Equal(Keys.RunId, ArtifactKey.Parse(Keys.Demo + ".zst.gpg").RunId);
    }

    [Fact]
    public void It_ends_in_the_encoding_s_extension_and_names_its_manifest_beside_it()
    {
        var at = new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);
        var zstd = ArtifactKey.Create("demo", Keys.RunId, at);
        var encrypted = ArtifactKey.Create("demo", Keys.RunId, at, ArtifactEncoding.ZstdOpenPgp);

        Assert.Equal(Keys.Demo + ".zst", zstd.Value);
        Assert.Equal(ArtifactEncoding.Zstd, zstd.Encoding);
        Assert.Equal(Keys.Demo + ".zst.gpg", encrypted.Value);
        Assert.Equal(ArtifactEncoding.ZstdOpenPgp, encrypted.Encoding);
        Assert.Equal(Keys.Demo[..^5] + ".manifest.json", zstd.ManifestPath);
        Assert.Equal(zstd.ManifestPath, encrypted.ManifestPath);
        Assert.True(ArtifactKey.TryParse(encrypted.Value, out _));
        Assert.False(ArtifactKey.TryParse(Keys.Demo + ".gpg", out _));
    }

    [Fact]
    public void It_parses_back_to_an_equal_key()
    {
        var key = ArtifactKey.Create("demo", Keys.RunId, new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));

        Assert.True(ArtifactKey.TryParse(key.Value, out var parsed));
        Assert.Equal(key, parsed);
    }
}

public class When_an_artifact_key_is_made_from_a_time_with_an_offset
{
    [Fact]
    public void It_uses_the_UTC_time()
    {
        var berlin = new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.FromHours(1));

        Assert.Equal(Keys.Demo, ArtifactKey.Create("demo", Keys.RunId, berlin, ArtifactEncoding.Plain).Value);
    }

    [Fact]
    public void It_uses_the_UTC_day_when_the_local_day_is_another()
    {
        var tokyoMorning = new DateTimeOffset(2026, 11, 25, 1, 30, 0, TimeSpan.FromHours(9));

        Assert.Equal("demo/2026/11/24/20261124T163000Z-0f8fad5bd9cb469fa16570867728950e.dump",
            ArtifactKey.Create("demo", Keys.RunId, tokyoMorning, ArtifactEncoding.Plain).Value);
    }
}

public class When_the_process_culture_uses_another_calendar
{
    [Fact]
    public void It_still_names_the_key_by_the_gregorian_UTC_date()
    {
        var original = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("th-TH"); // Thai Buddhist calendar: 2026 is 2569
            var key = ArtifactKey.Create("demo", Keys.RunId, new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero), ArtifactEncoding.Plain);

            Assert.Equal(Keys.Demo, key.Value);
        }
        finally
        {
            CultureInfo.CurrentCulture = original;
        }
    }
}

public class When_an_artifact_key_arrives_in_a_message
{
    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("demo/../../x.dump")]
    [InlineData("demo/2026/11/24/../../../../etc/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump")]
    [InlineData("/etc/passwd")]
    [InlineData("/demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump")]
    [InlineData("Demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump")]
    [InlineData("demo/2026/11/24/20261124T020000Z-0F8FAD5BD9CB469FA16570867728950E.dump")]
    [InlineData("demo\\2026\\11\\24\\20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump")]
    [InlineData("demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump\n")]
    [InlineData("demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump\0")]
    [InlineData(" demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump")]
    [InlineData("")]
    [InlineData(null)]
    public void It_is_rejected_unless_it_has_exactly_the_shape_the_service_makes(string? value)
    {
        Assert.False(ArtifactKey.TryParse(value, out var key));
        Assert.Null(key);
        Assert.Throws<FormatException>(() => ArtifactKey.Parse(value));
    }

    [Fact]
    public void It_is_accepted_when_it_has_that_shape()
    {
        Assert.True(ArtifactKey.TryParse(Keys.Demo, out var key));
        Assert.Equal("demo", key.Source);
    }
}

public class When_an_artifact_key_is_made_for_an_invalid_source
{
    [Theory]
    [InlineData("Demo")]
    [InlineData("../x")]
    [InlineData("-x")]
    [InlineData("demo/x")]
    [InlineData("")]
    public void It_is_refused(string source)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ArtifactKey.Create(source, Keys.RunId, new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero)));
        Assert.Equal("source", error.ParamName);
    }
}
