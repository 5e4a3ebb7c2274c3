using System.Diagnostics;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.Dashboard.Tests;

/// <summary>
/// The front end's own checks in this suite: services/Backup.Api/wwwroot-tests/run.sh parses every module of the
/// dashboard as an ES module and runs the unit tests of its pure modules with node --test; its output is the failure message.
/// </summary>
[Collection(DashboardCollections.Actions)]
public sealed class The_dashboard_s_scripts_pass_their_own_checks
{
    [Fact]
    public async Task The_syntax_checks_and_node_s_unit_tests_pass()
    {
        var script = Path.Combine(RepositoryRoot.Path, "services", "Backup.Api", "wwwroot-tests", "run.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        using var run = Process.Start(start)!;
        var output = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await run.WaitForExitAsync(deadline.Token);
        Assert.True(run.ExitCode == 0, $"{script} exited {run.ExitCode}:\n{await output}\n{await errors}");
        Assert.Matches("# pass [1-9]", await output); // the unit tests ran
    }
}
