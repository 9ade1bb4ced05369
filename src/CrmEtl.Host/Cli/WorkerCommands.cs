using System.CommandLine;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Api;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Scheduling;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl worker, refresh and runs: running the schedules, asking for a run, reading the run history.</summary>
internal static class WorkerCommands
{
    public static Command Worker()
    {
        var urls = new Option<string?>("--urls") { Description = "Where the HTTP API listens (default Api:Urls, http://127.0.0.1:8080)." };
        var command = new Command("worker", "Run scheduled syncs, refresh requests and the HTTP API until stopped (SIGTERM or Ctrl+C). Start several on one database to share the work.") { urls };
        command.SetAction((parse, ct) => CrmEtlCli.Guard(async () =>
        {
            await using var app = WorkerHost.Build(urls: parse.GetValue(urls));
            await WorkerHost.PrepareAsync(app.Services, ct);
            await app.StartAsync(ct);
            Console.WriteLine($"Worker {Sync.SyncRunCoordinator.WorkerName} running; API on {string.Join(", ", app.Urls)} (send {WorkerApi.KeyHeader}). Stop with Ctrl+C or SIGTERM.");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Refresh()
    {
        var instance = new Argument<string>("instance") { Description = "The instance to sync (its name)." };
        var full = new Option<bool>("--full") { Description = "Re-read everything instead of changes since the last run." };
        var wait = new Option<bool>("--wait") { Description = "Show the run's progress until it ends; exit non-zero if it did not succeed." };
        var command = new Command("refresh", "Ask the workers for a run of an instance now (the same request as POST /api/instances/{id}/refresh).") { instance, full, wait };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var target = await host.Services.GetRequiredService<InstanceLifecycle>().FindAsync(parse.GetValue(instance)!, ct2);
            var accepted = await host.Services.GetRequiredService<RefreshRequests>().RequestAsync(target, parse.GetValue(full) ? SyncMode.Full : SyncMode.Incremental, ct2);
            Console.WriteLine(accepted.Created
                ? $"{target.Name}: run {accepted.RunId} queued; a worker will pick it up."
                : $"{target.Name}: run {accepted.RunId} is already queued or running; it is the one that will bring it up to date.");
            return parse.GetValue(wait) ? await WaitAsync(host.Services.GetRequiredService<SyncRunLog>(), accepted.RunId, ct2) : ExitCodes.Ok;
        }, ct));
        return command;
    }

    public static Command Runs()
    {
        var instance = new Option<string?>("--instance") { Description = "Only this instance's runs." };
        var limit = new Option<int>("--limit") { Description = "How many runs (newest first).", DefaultValueFactory = _ => 20 };
        var command = new Command("runs", "The run history: status, counts, error, worker.") { instance, limit };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            int? instanceId = parse.GetValue(instance) is { } name ? (await host.Services.GetRequiredService<InstanceLifecycle>().FindAsync(name, ct2)).Id : null;
            var runs = await host.Services.GetRequiredService<SyncRunLog>().ListAsync(instanceId, Math.Clamp(parse.GetValue(limit), 1, 1000), ct2);
            if (runs.Count == 0) { Console.WriteLine("No runs yet."); return ExitCodes.Ok; }
            // One plain line per run: readable on a narrow terminal and in a piped log alike.
            foreach (var r in runs)
            {
                var ended = r.EndedAt is { } e ? $" to {e:HH:mm:ss}" : "";
                Console.WriteLine($"run {r.Id}  {r.Instance}  {r.Status}  ({r.RequestedBy}, {r.Mode})  {r.StartedAt:yyyy-MM-dd HH:mm:ss}{ended} UTC  " +
                    $"{r.RowsRead} read, {r.RowsWritten} written, {r.ApiCalls} calls  {r.Worker}" + (r.Resumed > 0 ? $" (taken up again {r.Resumed}x)" : ""));
                if (r.Error is not null) Console.WriteLine($"    {r.Error}");
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>Polls the run until it ends, printing its progress when it changes.</summary>
    private static async Task<int> WaitAsync(SyncRunLog runs, long runId, CancellationToken ct)
    {
        var last = "";
        while (true)
        {
            var run = await runs.FindAsync(runId, ct) ?? throw new InvalidOperationException($"Run {runId} disappeared (its instance was removed).");
            var line = run.Status == "queued"
                ? $"run {run.Id}: queued, waiting for a worker ('crmetl worker')"
                : $"run {run.Id}: {run.Status}, {run.RowsRead} rows read, {run.RowsWritten} written, {run.ApiCalls} calls" + (run.Worker is null ? "" : $" on {run.Worker}");
            if (line != last) Console.WriteLine(line);
            last = line;
            if (run.EndedAt is not null)
            {
                if (run.Error is not null) Console.Error.WriteLine(run.Error);
                return CrmEtlCli.ExitCodeOf(RunStatusNames.ParseStatus(run.Status));
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }
}
