using Backup.ServiceDefaults.Options;

namespace Backup.Storage.Tests.S3;

public class When_storage_settings_are_checked_at_start
{
    static List<string> Problems(StorageOptions options) => ValidatedOptions.Problems(options, StorageOptions.Section).ToList();

    static StorageOptions S3(Action<S3StorageOptions> change)
    {
        var options = new StorageOptions
        {
            Backend = StorageBackend.S3,
            S3 = new S3StorageOptions { ServiceUrl = "http://minio:9000", Bucket = "backups", AccessKey = "k", SecretKey = "s" },
        };
        change(options.S3);
        return options;
    }

    [Fact]
    public void The_filesystem_is_the_default_and_needs_a_root()
    {
        Assert.Equal(["Storage:Root: The Root field is required: the folder that holds the artifacts (or set Storage:Backend to S3)."],
            Problems(new StorageOptions()));
        Assert.Empty(Problems(new StorageOptions { Root = "/var/lib/backup/artifacts" }));
    }

    [Fact]
    public void S3_needs_no_root_and_accepts_a_complete_bucket_setting()
    {
        Assert.Empty(Problems(S3(_ => { })));
        Assert.Empty(Problems(S3(s3 => s3.Prefix = "prod/backups/")));
    }

    [Fact]
    public void S3_names_each_missing_or_bad_setting_without_repeating_a_secret()
    {
        var problems = Problems(S3(s3 =>
        {
            s3.ServiceUrl = "ftp://minio";
            s3.Bucket = "";
            s3.AccessKey = "";
            s3.SecretKey = " ";
            s3.PartSizeMiB = 4;
        }));

        Assert.Equal(
        [
            "Storage:S3:ServiceUrl: 'ftp://minio' is not an http(s) URL without user information, e.g. http://minio:9000.",
            "Storage:S3:Bucket: The Bucket field is required: the bucket that holds the artifacts.",
            "Storage:S3:AccessKey: The AccessKey field is required; give it as the secret file Storage__S3__AccessKey.",
            "Storage:S3:SecretKey: The SecretKey field is required; give it as the secret file Storage__S3__SecretKey.",
            "Storage:S3:PartSizeMiB: 4 is out of range: S3 parts are 5 to 512 MiB here (default 16).",
        ], problems);
    }

    [Theory]
    [InlineData("/backups")]
    [InlineData("backups/../other")]
    [InlineData("back ups")]
    [InlineData("a//b")]
    public void A_prefix_that_is_not_plain_folder_names_is_refused(string prefix)
    {
        var problem = Assert.Single(Problems(S3(s3 => s3.Prefix = prefix)));
        Assert.StartsWith($"Storage:S3:Prefix: '{prefix}' is not a usable prefix", problem);
    }

    [Fact]
    public void A_url_with_user_information_is_refused_without_echoing_it()
    {
        var problem = Assert.Single(Problems(S3(s3 => s3.ServiceUrl = "http://admin:hunter2@minio:9000")));
        Assert.DoesNotContain("hunter2", problem);
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("ab")]
    [InlineData("a..b")]
    public void A_bucket_name_S3_would_refuse_is_refused(string bucket)
    {
        var problem = Assert.Single(Problems(S3(s3 => s3.Bucket = bucket)));
        Assert.StartsWith($"Storage:S3:Bucket: '{bucket}' is not a valid bucket name", problem);
    }
}
