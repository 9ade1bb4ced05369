using System.Text.Json;
using System.Text.RegularExpressions;
using CrmEtl.Host.Cli;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>Logs an operator can collect and alert on: compact JSON on request, and every event with its id (docs/OPERATIONS.md).</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own worker, sandbox and database
public sealed partial class LogsTests
{
    [Test]
    public async Task With_logs_format_json_every_log_line_is_one_json_event_and_runs_carry_the_event_ids_operators_alert_on()
    {
        await using var world = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 4, Deals = 80, Activities = 100, Leads = 10 });
        var replica = await world.NewReplicaAsync();
        var json = new Dictionary<string, string?> { ["Logs:Format"] = "json", ["Pipedrive:RetryDelay"] = "00:00:00.010" };

        world.Sandbox.Faults.AddServerErrors(1);
        var succeeded = await SyncAsync(replica.ConnectionString, json, ExitCodes.Ok);
        world.Sandbox.Faults.Revoked = true;
        var refused = await SyncAsync(replica.ConnectionString, json, ExitCodes.AuthFailed);

        Assert.That(succeeded.Select(e => e.Id), Does.Contain(2001).And.Contain(1001).And.Contain(2003), "started, retried, succeeded");
        var notSucceeded = refused.Single(e => e.Id == 2004);
        Assert.That(notSucceeded.Event.GetProperty("Status").GetString(), Is.EqualTo("auth_failed"));
        Assert.That(notSucceeded.Event.GetProperty("@l").GetString(), Is.EqualTo("Warning"));
        Assert.That(notSucceeded.Event.GetProperty("RunId").GetInt64(), Is.GreaterThan(0), "run events carry the run's scope");

        await using var bad = WorkerProcess.Run(replica.ConnectionString, new() { ["Logs:Format"] = "xml" }, "instances");
        Assert.That(await bad.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Null);
        Assert.That(bad.ExitCode, Is.EqualTo(ExitCodes.BadInput), bad.Output);
        Assert.That(bad.Output, Does.Contain("Logs:Format must be 'text' or 'json'."));
    }

    /// <summary>
    /// Runs 'crmetl sync' as a process. What it wrote to stderr is log events, each one JSON line, and the command's own
    /// words to the person running it (the run's error, "warning: ..."), never a text log line. Returns the events with their ids.
    /// </summary>
    private static async Task<List<(int? Id, JsonElement Event)>> SyncAsync(string connectionString, Dictionary<string, string?> settings, int expectedExit)
    {
        await using var process = WorkerProcess.Run(connectionString, settings, "sync", "--instance", "Acme");
        Assert.That(await process.WaitForExitAsync(TimeSpan.FromSeconds(120)), Is.Not.Null, process.Output);
        Assert.That(process.ExitCode, Is.EqualTo(expectedExit), process.Output);
        var lines = process.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines.Where(l => TextLogLine().IsMatch(l)), Is.Empty, "no log event is written as text");
        var events = new List<(int?, JsonElement)>();
        foreach (var line in lines.Where(l => l.StartsWith('{')))
        {
            var parsed = JsonDocument.Parse(line).RootElement;
            Assert.That(parsed.TryGetProperty("@t", out _) && parsed.TryGetProperty("@m", out _), Is.True, line);
            events.Add((parsed.TryGetProperty("EventId", out var id) && id.TryGetProperty("Id", out var n) ? n.GetInt32() : null, parsed));
        }
        return events;
    }

    [GeneratedRegex(@"^\[\d\d:\d\d:\d\d [A-Z]{3}\]")]
    private static partial Regex TextLogLine();
}
