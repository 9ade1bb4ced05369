using CrmEtl.Core.Sync;
using CrmEtl.Host.Sync;
using Quartz;

namespace CrmEtl.Host.Scheduling;

/// <summary>
/// The Quartz job of one instance. Quartz never runs two firings of one job at once across the
/// cluster; the work is the coordinator's. A nightly fire starts a run; a refresh trigger or a
/// recovery (the worker running it stopped) takes up the run that waits, if nobody ran it meanwhile.
/// </summary>
[DisallowConcurrentExecution]
public sealed class InstanceSyncJob(SyncRunCoordinator coordinator) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var instanceId = context.MergedJobDataMap.GetInt(InstanceSchedules.InstanceIdKey);
        var nightly = !context.Recovering && context.Trigger.Key.Group == InstanceSchedules.ScheduleGroup;
        var requester = nightly || context.RecoveringTriggerKey?.Group == InstanceSchedules.ScheduleGroup ? RunRequester.Schedule : RunRequester.Refresh;
        await coordinator.RunScheduledAsync(instanceId, requester, startNew: nightly, cancellationToken);
    }
}
