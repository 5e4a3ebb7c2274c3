using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Dashboard.Tests.Harness;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Backup.Dashboard.Tests;

/// <summary>
/// The dashboard's sign-in in a real browser: authorization code with PKCE (S256) at a real OpenID Connect provider,
/// the session cookie's attributes, the roles the session shows, the 403 page for a user without a backup role, 401
/// (not a redirect) for the API without a session, the anti-forgery token a session's changes need (a refused change is
/// neither audited nor published), and the development sign-in that exists only with its key.
/// </summary>
[Collection(DashboardCollections.Display)]
public sealed class When_an_administrator_signs_in_to_the_dashboard(SignedInDashboard dashboard) : IClassFixture<SignedInDashboard>
{
    Uri Api => dashboard.Api.Address;

    [Fact]
    public async Task The_browser_signs_in_with_PKCE_and_the_session_shows_the_roles_in_an_HttpOnly_Secure_Lax_cookie()
    {
        var page = await dashboard.Browser.NewPageAsync();
        var earlier = dashboard.IdentityProvider.AuthorizationRequests.Count;
        await Browser.SignInAsync(page, Api, TestUser.AdminAdam);

        var authorization = Assert.Single(dashboard.IdentityProvider.AuthorizationRequests.Skip(earlier));
        Assert.Equal(TestIdentityProvider.ClientId, authorization["client_id"].ToString());
        Assert.Equal(new Uri(Api, "signin-oidc").ToString(), authorization["redirect_uri"].ToString());
        Assert.Equal("S256", authorization["code_challenge_method"].ToString());
        Assert.Matches("^[A-Za-z0-9_-]{43}$", authorization["code_challenge"].ToString());
        Assert.Equal("code", authorization["response_type"].ToString());

        var session = await SessionAsync(page);
        Assert.Equal("admin-adam", session.GetProperty("subject").GetString());
        Assert.Equal("Adam Admin", session.GetProperty("name").GetString());
        Assert.Equal(["reader", "operator", "admin"], session.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
        Assert.False(string.IsNullOrEmpty(session.GetProperty("csrfToken").GetString()));
        Assert.Equal("/signout", session.GetProperty("signOutPath").GetString());

        var cookie = Assert.Single(await page.Context.CookiesAsync([Api.ToString()]), c => c.Name == "backup.session");
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Lax, cookie.SameSite);
        Assert.Equal("/", cookie.Path);

        var shell = await page.Context.APIRequest.GetAsync(Api.ToString());
        Assert.Equal("no-store", shell.Headers["cache-control"]);
        Assert.StartsWith("default-src 'self'; script-src 'self'; style-src 'self';", shell.Headers["content-security-policy"]);
        Assert.Contains($"form-action 'self' {dashboard.IdentityProvider.Authority.GetLeftPart(UriPartial.Authority)}", shell.Headers["content-security-policy"]);
        Assert.Equal("nosniff", shell.Headers["x-content-type-options"]);
        Assert.Equal("no-referrer", shell.Headers["referrer-policy"]);
        await Browser.ScreenshotsAsync(page, "signed-in-administrator");
    }

    [Fact]
    public async Task A_user_without_a_backup_role_gets_the_403_page_naming_the_role_names_the_API_accepts()
    {
        var page = await dashboard.Browser.NewPageAsync();
        var answered = new List<IResponse>();
        page.Response += (_, response) => answered.Add(response);
        await Browser.SignInAsync(page, Api, TestUser.NobodyNick);

        Assert.Contains(answered, response => response.Url == Api.ToString() && response.Status == 403);
        await page.Locator("main[data-page=no-role]").WaitForAsync();
        var accepted = await page.Locator("[data-testid=accepted-roles]").InnerTextAsync();
        Assert.Contains("backup.reader", accepted);
        Assert.Contains("backup.operator", accepted);
        Assert.Contains("backup.admin", accepted);
        var session = await FetchAsync(page, "GET", "/dashboard/session");
        Assert.Equal(403, session.Status);
    }

    [Fact]
    public async Task Without_a_session_the_API_answers_401_and_a_page_redirects_to_the_identity_provider()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Api };
        var runs = await anonymous.GetAsync("/api/v1/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, runs.StatusCode);
        Assert.Null(runs.Headers.Location);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/dashboard/session")).StatusCode);

        foreach (var path in new[] { "/", "/runs", $"/runs/{Guid.NewGuid()}", "/sources/demo" })
        {
            var page = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Found, page.StatusCode);
            Assert.StartsWith(new Uri(dashboard.IdentityProvider.Authority, "connect/authorize").ToString(), page.Headers.Location?.ToString());
        }

        // An answer of the provider that does not check out (a forged or replayed callback): a page, not a 500.
        var forged = await anonymous.GetAsync("/signin-oidc?code=forged&state=forged");
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("Sign-in failed", await forged.Content.ReadAsStringAsync());

        var asset = await anonymous.GetAsync("/assets/does-not-exist.js");
        Assert.Equal(HttpStatusCode.NotFound, asset.StatusCode); // answered, not sent to sign in: /assets/* is anonymous
    }

    [Fact]
    public async Task A_session_s_change_needs_the_anti_forgery_token_and_a_refused_one_is_neither_audited_nor_published()
    {
        var operatorPage = await dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(operatorPage, Api, TestUser.OperatorOlga);
        var token = (await SessionAsync(operatorPage)).GetProperty("csrfToken").GetString();

        var forged = await FetchAsync(operatorPage, "POST", "/api/v1/sources/demo/backups");
        Assert.Equal(400, forged.Status);
        Assert.Equal("Anti-forgery token missing or invalid", JsonDocument.Parse(forged.Body).RootElement.GetProperty("title").GetString());
        var wrong = await FetchAsync(operatorPage, "POST", "/api/v1/sources/demo/backups", "not-the-token");
        Assert.Equal(400, wrong.Status);
        Assert.Equal(0, await TriggersAuditedAsync());
        Assert.Equal(0, await QueuedMessagesAsync());

        var accepted = await FetchAsync(operatorPage, "POST", "/api/v1/sources/demo/backups", token);
        Assert.Equal(202, accepted.Status);
        Assert.Equal(1, await TriggersAuditedAsync("operator-olga"));
        await IntegrationTests.Infrastructure.Eventually.True(
            async () => await dashboard.Infrastructure.Broker.QueueDepthAsync(dashboard.System.VirtualHost, "dump-database") == 1,
            "the accepted trigger to be queued for the dumper");

        var readerPage = await dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(readerPage, Api, TestUser.ReaderAnn);
        var readerToken = (await SessionAsync(readerPage)).GetProperty("csrfToken").GetString();
        Assert.Equal(403, (await FetchAsync(readerPage, "POST", "/api/v1/sources/demo/backups", readerToken)).Status);
        // The operator's token is not the reader's: bound to the session's user.
        Assert.Equal(400, (await FetchAsync(readerPage, "POST", "/api/v1/sources/demo/backups", token)).Status);
        Assert.Equal(200, (await FetchAsync(readerPage, "GET", "/api/v1/runs")).Status);
    }

    [Fact]
    public async Task The_development_sign_in_exists_only_with_a_development_key()
    {
        var admin = await dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(admin, Api, TestUser.AdminAdam);
        Assert.Equal(404, (await admin.GotoAsync(new Uri(Api, "signin/dev").ToString()))?.Status);

        var keys = Directory.CreateTempSubdirectory("backup-dashboard-dev-key-");
        try
        {
            await using var development = await StartDevelopmentApiAsync(keys.FullName);
            var page = await dashboard.Browser.NewPageAsync();
            await page.GotoAsync(new Uri(development.Address, "runs").ToString());
            Assert.Equal(new Uri(development.Address, "signin/dev?returnUrl=%2Fruns").ToString(), page.Url);
            await DevelopmentSignInAsync(page, "dev-dora", "operator");
            await page.WaitForURLAsync(new Uri(development.Address, "runs").ToString());

            var session = await SessionAsync(page);
            Assert.Equal("dev-dora", session.GetProperty("subject").GetString());
            Assert.Equal(["reader", "operator"], session.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));

            // With an authority too, the key is ignored: no way around the platform's sign-in.
            await using var both = await DashboardApi.StartAsync(dashboard.System, settings =>
            {
                dashboard.SignInAtTheIdentityProvider(settings);
                settings["Dashboard:DevelopmentSigningKeyFile"] = Path.Combine(keys.FullName, "dev.pem");
            });
            using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = both.Address };
            var refused = await anonymous.PostAsync("/signin/dev", new FormUrlEncodedContent(
                new Dictionary<string, string> { ["subject"] = "mallory", ["role"] = "admin" }));
            // No such route: like any unknown path without a session, sent to the platform's sign-in; no session made.
            Assert.Equal(HttpStatusCode.Found, refused.StatusCode);
            Assert.StartsWith(new Uri(dashboard.IdentityProvider.Authority, "connect/authorize").ToString(), refused.Headers.Location?.ToString());
            Assert.DoesNotContain(refused.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("backup.session=", StringComparison.Ordinal));
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_session_outlives_a_restart_of_the_API_when_its_keys_are_kept_in_a_folder()
    {
        var folder = Directory.CreateTempSubdirectory("backup-dashboard-keys-");
        try
        {
            var keys = Directory.CreateDirectory(Path.Combine(folder.FullName, "data-protection"));
            var page = await dashboard.Browser.NewPageAsync();
            await using (var before = await StartDevelopmentApiAsync(folder.FullName, keys.FullName))
            {
                await page.GotoAsync(before.Address.ToString());
                await DevelopmentSignInAsync(page, "dev-dan", "admin");
                await page.WaitForURLAsync(before.Address.ToString());
            }
            Assert.NotEmpty(keys.GetFiles("key-*.xml"));

            // A new process on another port: the browser sends the cookie (cookies are per host, not per port).
            await using var after = await StartDevelopmentApiAsync(folder.FullName, keys.FullName);
            await page.GotoAsync(new Uri(after.Address, "runs").ToString());
            Assert.Equal(new Uri(after.Address, "runs").ToString(), page.Url);
            Assert.Equal("dev-dan", (await SessionAsync(page)).GetProperty("subject").GetString());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    // The API with the development sign-in: a key pair written to folder, the public half its only signing key.
    async Task<DashboardApi> StartDevelopmentApiAsync(string folder, string? keysFolder = null)
    {
        var publicKey = Path.Combine(folder, "dev.pub.pem");
        var privateKey = Path.Combine(folder, "dev.pem");
        if (!File.Exists(privateKey))
        {
            using var key = RSA.Create(2048);
            await File.WriteAllTextAsync(publicKey, key.ExportSubjectPublicKeyInfoPem());
            await File.WriteAllTextAsync(privateKey, key.ExportPkcs8PrivateKeyPem());
        }
        return await DashboardApi.StartAsync(dashboard.System, settings =>
        {
            settings["Auth:Issuer"] = "https://auth.development.test";
            settings["Auth:Audience"] = "backup-api";
            settings["Auth:SigningKeyFiles:0"] = publicKey;
            settings["Dashboard:DevelopmentSigningKeyFile"] = privateKey;
            if (keysFolder is not null) settings["Dashboard:KeysFolder"] = keysFolder;
        });
    }

    static async Task DevelopmentSignInAsync(IPage page, string subject, string role)
    {
        await page.FillAsync("input[name=subject]", subject);
        await page.SelectOptionAsync("select[name=role]", role);
        await page.ClickAsync("[data-action=dev-sign-in]");
    }

    static async Task<JsonElement> SessionAsync(IPage page)
    {
        var session = await FetchAsync(page, "GET", "/dashboard/session");
        Assert.Equal(200, session.Status);
        return JsonDocument.Parse(session.Body).RootElement.Clone();
    }

    // fetch() in the page, as the dashboard's script calls the API: the browser sends the session cookie.
    static async Task<(int Status, string Body)> FetchAsync(IPage page, string method, string path, string? csrfToken = null)
    {
        var answer = await page.EvaluateAsync<JsonElement>("""
            async ([method, path, token]) => {
              const response = await fetch(path, { method, headers: token ? { 'X-CSRF-TOKEN': token } : {} });
              return { status: response.status, body: await response.text() };
            }
            """, new object?[] { method, path, csrfToken });
        return (answer.GetProperty("status").GetInt32(), answer.GetProperty("body").GetString() ?? "");
    }

    async Task<int> TriggersAuditedAsync(string? actor = null)
    {
        await using var catalog = dashboard.System.Catalog();
        return await catalog.AuditEntries.CountAsync(entry => entry.Action == "backup.trigger" && (actor == null || entry.Actor == actor));
    }

    // Every queue of the system's virtual host (the dumper's, the catalog's, ...).
    async Task<long> QueuedMessagesAsync() =>
        (await dashboard.Infrastructure.Broker.QueueDepthsAsync(dashboard.System.VirtualHost)).Values.Sum();
}
