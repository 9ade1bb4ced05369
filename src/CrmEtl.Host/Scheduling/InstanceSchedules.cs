using CrmEtl.Core.Instances;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CrmEtl.Host.Scheduling;

/// <summary>
/// Keeps Quartz in line with the instances: one durable job per instance and one cron trigger
/// evaluated in the instance's time zone; none for a disabled or removed instance. Refresh
/// requests are one-off triggers of the same job, so they never run beside a scheduled run.
/// </summary>
public sealed partial class InstanceSchedules(ISchedulerFactory schedulers, InstanceRepository instances, TimeProvider clock, ILogger<InstanceSchedules> logger)
{
    public const string JobGroup = "instances";
    public const string ScheduleGroup = "schedules";
    public const string RefreshGroup = "refresh";
    public const string InstanceIdKey = "instanceId";
    public const string RunIdKey = "runId";

    public static JobKey JobOf(int instanceId) => new($"instance-{instanceId}", JobGroup);
    public static TriggerKey ScheduleOf(int instanceId) => new($"nightly-{instanceId}", ScheduleGroup);
    public static TriggerKey RefreshOf(long runId) => new($"refresh-{runId}", RefreshGroup);

    /// <summary>The cron trigger for an instance's schedule, in its time zone. A fire missed while no worker ran fires once, as soon as one runs.</summary>
    /// <param name="clock">The trigger's clock (Quartz computes fires and misfires with it): it may fire from its now on.</param>
    public static ITrigger BuildScheduleTrigger(Instance instance, TimeProvider clock) => TriggerBuilder.Create(clock)
        .WithIdentity(ScheduleOf(instance.Id))
        .StartAt(clock.GetUtcNow())
        .ForJob(JobOf(instance.Id))
        .WithDescription($"{instance.Name}: '{instance.Schedule}' in {instance.TimeZone}")
        .WithSchedule(CronScheduleBuilder.Create(instance.Schedule)
            .InTimeZone(TimeZoneInfo.FindSystemTimeZoneById(instance.TimeZone))
            .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
        .Build();

    /// <summary>Schedules (or unschedules) one instance as it is now stored.</summary>
    public async Task ApplyAsync(int instanceId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var instance = await instances.FindAsync(instanceId, cancellationToken);
        if (instance is null || !instance.Enabled)
        {
            if (instance is null) await scheduler.DeleteJob(JobOf(instanceId), cancellationToken);
            else await scheduler.UnscheduleJob(ScheduleOf(instanceId), cancellationToken);
            return;
        }
        await EnsureAsync(scheduler, instance, cancellationToken);
    }

    /// <summary>Brings every schedule in line with the instances table; run by every worker now and then.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var all = await instances.ListAsync(cancellationToken);
        foreach (var instance in all)
        {
            if (instance.Enabled) await EnsureAsync(scheduler, instance, cancellationToken);
            else await scheduler.UnscheduleJob(ScheduleOf(instance.Id), cancellationToken);
        }
        var known = all.Select(i => JobOf(i.Id)).ToHashSet();
        var jobs = await scheduler.QueryJobs(new JobQuery { Group = GroupMatcher<JobKey>.GroupEquals(JobGroup), Take = 10_000 }, cancellationToken);
        foreach (var job in jobs.Items)
            if (!known.Contains(job.Key)) await scheduler.DeleteJob(job.Key, cancellationToken);
    }

    /// <summary>Fires the instance's job now for a queued run (whichever worker is free picks it up).</summary>
    public async Task FireNowAsync(int instanceId, long runId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (!await scheduler.Exists(JobOf(instanceId), cancellationToken))
            await scheduler.AddJob(BuildJob(instanceId), AddJobOptions.Replacing, cancellationToken);
        var trigger = TriggerBuilder.Create(clock)
            .WithIdentity(RefreshOf(runId))
            .ForJob(JobOf(instanceId))
            .UsingJobData(RunIdKey, runId)
            .StartNow()
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, cancellationToken);
    }

    /// <summary>
    /// Fires again for queued runs that no trigger will take up (the process that queued one stopped
    /// before it fired, or its firing ended without claiming it); returns the runs fired for.
    /// </summary>
    public async Task<IReadOnlyList<long>> FireForgottenAsync(IReadOnlyList<(long RunId, int InstanceId)> queued, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var fired = new List<long>();
        foreach (var (runId, instanceId) in queued)
        {
            // A fired trigger stays stored until its job ends, so one that exists is waiting or running, anywhere in the cluster.
            if (await scheduler.Exists(RefreshOf(runId), cancellationToken)) continue;
            await FireNowAsync(instanceId, runId, cancellationToken);
            fired.Add(runId);
        }
        return fired;
    }

    /// <summary>When the instance's schedule fires next, or null when it has none (disabled).</summary>
    public async Task<DateTimeOffset?> NextFireAsync(int instanceId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return (await scheduler.GetTrigger(ScheduleOf(instanceId), cancellationToken))?.NextFireTimeUtc;
    }

    private async Task EnsureAsync(IScheduler scheduler, Instance instance, CancellationToken cancellationToken)
    {
        if (await scheduler.GetTrigger(ScheduleOf(instance.Id), cancellationToken) is ICronTrigger existing
            && existing.CronExpressionString == instance.Schedule && existing.TimeZone.Id == instance.TimeZone)
            return;
        await scheduler.ScheduleJob(BuildJob(instance.Id), [BuildScheduleTrigger(instance, clock)], ScheduleJobOptions.Replacing, cancellationToken);
        SchedulingLog.Scheduled(logger, instance.Name, instance.Schedule, instance.TimeZone);
    }

    private static IJobDetail BuildJob(int instanceId) => JobBuilder.Create<InstanceSyncJob>()
        .WithIdentity(JobOf(instanceId))
        .UsingJobData(InstanceIdKey, instanceId)
        .StoreDurably()
        .RequestRecovery()
        .Build();
}
