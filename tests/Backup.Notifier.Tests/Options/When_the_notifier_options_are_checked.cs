using Backup.Notifier.Options;
using Backup.ServiceDefaults.Options;

namespace Backup.Notifier.Tests.Options;

/// <summary>Addresses and URLs are checked at start, each problem naming its configuration key.</summary>
public sealed class When_the_notifier_options_are_checked
{
    static List<string> Problems(NotifierOptions options) => ValidatedOptions.Problems(options, NotifierOptions.Section).ToList();

    static NotifierOptions Valid() => new() { Administrators = ["ops@example.com"], From = "backup@example.com" };

    [Fact]
    public void Good_settings_pass() => Assert.Empty(Problems(Valid()));

    [Theory]
    [InlineData("ops@example.com\r\nBcc: victim@example.com")]
    [InlineData("ops@example.com\nX: y")]
    [InlineData("not-an-address")]
    [InlineData("Ops <ops@example.com>")]
    [InlineData("a@example.com, b@example.com")]
    public void A_bad_administrator_address_is_named(string address)
    {
        var options = Valid();
        options.Administrators = ["ok@example.com", address];
        Assert.Contains("Notifier:Administrators:1: is not a single well-formed email address.", Problems(options));
    }

    [Fact]
    public void A_bad_per_source_address_and_ping_url_are_named()
    {
        var options = Valid();
        options.Sources["demo"] = new SourceNotifierOptions { Administrators = ["x@example.com\r\n"], PingUrl = "ftp://hc/ping" };
        var problems = Problems(options);
        Assert.Contains("Notifier:Sources:demo:Administrators:0: is not a single well-formed email address.", problems);
        Assert.Contains("Notifier:Sources:demo:PingUrl: is not an absolute http(s) URL.", problems);
    }

    [Fact]
    public void A_webhook_needs_an_http_url_and_a_source_a_valid_name()
    {
        var options = Valid();
        options.Webhooks["ops"] = new WebhookOptions { Url = "hooks.example.com/x" };
        options.Sources["Bad Name"] = new SourceNotifierOptions();
        var problems = Problems(options);
        Assert.Contains("Notifier:Webhooks:ops:Url: is not an absolute http(s) URL.", problems);
        Assert.Contains(problems, p => p.StartsWith("Notifier:Sources:Bad Name: is not a valid source name", StringComparison.Ordinal));
    }

    [Fact]
    public void No_administrator_at_all_is_refused()
    {
        var options = Valid();
        options.Administrators = [];
        Assert.Contains("Notifier:Administrators: At least one administrator address is required.", Problems(options));
    }

    [Fact]
    public void A_source_with_its_own_list_replaces_the_global_one()
    {
        var options = Valid();
        options.Sources["demo"] = new SourceNotifierOptions { Administrators = ["owner@example.com"] };
        Assert.Equal(["owner@example.com"], options.AdministratorsOf("demo"));
        Assert.Equal(["ops@example.com"], options.AdministratorsOf("other"));
    }

    [Fact]
    public void Empty_retry_delays_mean_the_defaults()
    {
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)], Valid().EffectiveRetryDelays);
    }

    [Fact]
    public void No_connect_retry_is_refused()
    {
        // Without one, a mail server outage would hand the event back to the broker and get it again with no pause.
        var problems = ValidatedOptions.Problems(new SmtpOptions { Host = "smtp.example.com", Retries = 0 }, SmtpOptions.Section).ToList();
        Assert.Contains(problems, p => p.StartsWith("Smtp:Retries:", StringComparison.Ordinal));
        Assert.Empty(ValidatedOptions.Problems(new SmtpOptions { Host = "smtp.example.com", Retries = 1 }, SmtpOptions.Section));
    }

    [Fact]
    public void A_username_over_a_connection_without_TLS_is_refused_unless_plaintext_auth_is_allowed()
    {
        static List<string> Of(SmtpOptions smtp) => ValidatedOptions.Problems(smtp, SmtpOptions.Section).ToList();
        var plaintext = new SmtpOptions { Host = "smtp.example.com", Port = 25, Security = SmtpSecurity.None, Username = "backup" };

        var problem = Assert.Single(Of(plaintext));
        Assert.StartsWith("Smtp:Security: is None while Smtp:Username is set", problem, StringComparison.Ordinal);
        Assert.Contains("Smtp:AllowPlaintextAuth", problem, StringComparison.Ordinal);

        plaintext.AllowPlaintextAuth = true;
        Assert.Empty(Of(plaintext));
        Assert.Empty(Of(new SmtpOptions { Host = "smtp.example.com", Security = SmtpSecurity.StartTls, Username = "backup" }));
        Assert.Empty(Of(new SmtpOptions { Host = "mailpit", Port = 1025, Security = SmtpSecurity.None }));
    }
}
