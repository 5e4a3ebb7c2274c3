using Backup.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Backup.Dashboard.Tests.Harness;

/// <summary>
/// Debian's Chromium driven by Playwright (ExecutablePath /usr/bin/chromium, or BACKUP_CHROMIUM; --no-sandbox as root),
/// headless. Each test takes its own context (cookies apart); the identity provider's throwaway certificate is accepted.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    readonly IPlaywright playwright;
    readonly IBrowser browser;

    Browser(IPlaywright playwright, IBrowser browser)
    {
        this.playwright = playwright;
        this.browser = browser;
    }

    public static async Task<Browser> LaunchAsync()
    {
        var executable = Environment.GetEnvironmentVariable("BACKUP_CHROMIUM") is { Length: > 0 } chosen ? chosen : "/usr/bin/chromium";
        if (!File.Exists(executable))
            throw new InvalidOperationException($"No Chromium at {executable}: install Debian's (apt-get install -y chromium; deploy/local/infra.sh up does) or set BACKUP_CHROMIUM.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = Environment.UserName == "root" ? ["--no-sandbox"] : [],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>A new context (its own cookies) and page, <paramref name="width"/> pixels wide.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = true,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
        });
        return await context.NewPageAsync();
    }

    /// <summary>Goes to the API's / and, sent to the identity provider, signs in there as <paramref name="user"/>; back on the API once done.</summary>
    public static async Task SignInAsync(IPage page, Uri api, TestUser user)
    {
        await page.GotoAsync(api.ToString());
        await page.SelectOptionAsync("select[name=login-user]", user.Subject);
        await page.ClickAsync("[data-action=idp-sign-in]");
        await page.WaitForURLAsync(url => url.StartsWith(api.ToString(), StringComparison.Ordinal) && !url.Contains("/signin-oidc", StringComparison.Ordinal));
    }

    /// <summary>Where screenshots land: tests/Backup.Dashboard.Tests/TestResults/screenshots.</summary>
    public static string ScreenshotFolder => Path.Combine(RepositoryRoot.Path, "tests", "Backup.Dashboard.Tests", "TestResults", "screenshots");

    /// <summary>The page at 1280 and 390 pixels wide, as <see cref="ScreenshotFolder"/>/<paramref name="name"/>-<c>width</c>.png.</summary>
    public static async Task ScreenshotsAsync(IPage page, string name)
    {
        foreach (var width in new[] { 1280, 390 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await ScreenshotAsync(page, $"{name}-{width}");
        }
    }

    /// <summary>The whole page as it is now, as <see cref="ScreenshotFolder"/>/<paramref name="fileName"/>.png.</summary>
    public static async Task ScreenshotAsync(IPage page, string fileName)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, $"{fileName}.png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
