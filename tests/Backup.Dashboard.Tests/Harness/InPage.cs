using System.Text.Json;
using Microsoft.Playwright;

namespace Backup.Dashboard.Tests.Harness;

/// <summary>What the scenario tests do in a dashboard page: wait until a page's data is drawn, call the API as the page's script does.</summary>
public static class InPage
{
    /// <summary>Goes to <paramref name="path"/> and waits until main[data-page=<paramref name="name"/>] has drawn its data (aria-busy false).</summary>
    public static async Task OpenAsync(IPage page, Uri api, string path, string name)
    {
        await page.GotoAsync(new Uri(api, path).ToString());
        await DrawnAsync(page, name);
    }

    public static Task DrawnAsync(IPage page, string name) =>
        page.Locator($"main[data-page={name}][aria-busy=false]").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });

    public static async Task<JsonElement> SessionAsync(IPage page)
    {
        var session = await FetchAsync(page, "GET", "/dashboard/session");
        if (session.Status != 200) throw new InvalidOperationException($"/dashboard/session answered {session.Status}");
        return JsonDocument.Parse(session.Body).RootElement.Clone();
    }

    /// <summary>GET <paramref name="path"/> with the page's session, as JSON.</summary>
    public static async Task<JsonElement> GetJsonAsync(IPage page, string path)
    {
        var answer = await FetchAsync(page, "GET", path);
        if (answer.Status != 200) throw new InvalidOperationException($"{path} answered {answer.Status}: {answer.Body}");
        return JsonDocument.Parse(answer.Body).RootElement.Clone();
    }

    /// <summary>fetch() in the page, as the dashboard's script calls the API: the browser sends the session cookie.</summary>
    public static async Task<(int Status, string Body)> FetchAsync(IPage page, string method, string path, string? csrfToken = null)
    {
        var answer = await page.EvaluateAsync<JsonElement>("""
            async ([method, path, token]) => {
              const response = await fetch(path, { method, headers: token ? { 'X-CSRF-TOKEN': token } : {} });
              return { status: response.status, body: await response.text() };
            }
            """, new object?[] { method, path, csrfToken });
        return (answer.GetProperty("status").GetInt32(), answer.GetProperty("body").GetString() ?? "");
    }
}
