using CrmEtl.Storage.Runs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrmEtl.Host.Scheduling;

/// <summary>
/// In every worker: at start and then every Scheduler:ReconcileEvery, brings the schedules in line
/// with the instances (so an instance added, edited or disabled from any machine is scheduled without
/// a restart), fires for queued runs that no trigger would take up, and once a day trims the run history.
/// </summary>
public sealed partial class ScheduleReconciler(
    InstanceSchedules schedules, SyncRunLog runs, IOptions<SchedulerOptions> options, TimeProvider clock, ILogger<ScheduleReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastPrune = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(options.Value.ReconcileEvery, clock);
        do
        {
            try
            {
                await schedules.ReconcileAsync(stoppingToken);
                var waiting = await runs.QueuedBeforeAsync(clock.GetUtcNow() - 2 * options.Value.ReconcileEvery, stoppingToken);
                foreach (var runId in await schedules.FireForgottenAsync(waiting, stoppingToken)) SchedulingLog.RunFiredAgain(logger, runId);
                if (clock.GetUtcNow() - lastPrune > TimeSpan.FromDays(1))
                {
                    var pruned = await runs.PruneAsync(clock.GetUtcNow().AddDays(-options.Value.RunHistoryDays), stoppingToken);
                    if (pruned > 0) SchedulingLog.RunsPruned(logger, pruned, options.Value.RunHistoryDays);
                    lastPrune = clock.GetUtcNow();
                }
            }
            catch (Exception e) when (e is NpgsqlException or Quartz.SchedulerException)
            {
                // A database hiccup: the next round tries again.
                SchedulingLog.ReconcileFailed(logger, e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
