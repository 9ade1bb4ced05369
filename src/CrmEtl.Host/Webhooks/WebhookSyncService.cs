using CrmEtl.Core.Sync;
using CrmEtl.Host.Scheduling;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Runs;
using CrmEtl.Storage.Webhooks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrmEtl.Host.Webhooks;

/// <summary>In every worker: asks for the incremental run of each instance whose webhook-made sync is due.</summary>
public sealed partial class WebhookSyncService(
    WebhookStore store, InstanceRepository instances, RefreshRequests refreshes, SyncRunLog runs, IOptions<WebhookOptions> options, TimeProvider clock,
    ILogger<WebhookSyncService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckEvery, clock);
        do
        {
            try
            {
                foreach (var (instanceId, dueAt) in await store.DueAsync(stoppingToken)) await RequestAsync(instanceId, dueAt, stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or Quartz.SchedulerException)
            {
                NotRequested(logger, e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RequestAsync(int instanceId, DateTime dueAt, CancellationToken ct)
    {
        var instance = await instances.FindAsync(instanceId, ct);
        if (instance is null || !instance.Enabled)
        {
            await store.SyncRequestedAsync(instanceId, dueAt, 0, ct); // nothing to sync: the event is dropped with the instance's runs
            return;
        }
        var (runId, created) = await refreshes.RequestAsync(instance, SyncMode.Incremental, ct);
        // A run already under way may have read past the change: the sync stays due until a run that starts after it is queued.
        if (!created && (await runs.FindAsync(runId, ct))?.Status != "queued") return;
        await store.SyncRequestedAsync(instanceId, dueAt, runId, ct);
        SyncRequested(logger, instance.Name, runId);
    }

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Webhooks of {Instance} asked for run {RunId}")]
    private static partial void SyncRequested(ILogger logger, string instance, long runId);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "A sync asked by webhooks could not be queued yet: {Reason}")]
    private static partial void NotRequested(ILogger logger, string reason);
}
