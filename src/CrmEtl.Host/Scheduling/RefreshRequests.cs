using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Storage.Runs;

namespace CrmEtl.Host.Scheduling;

/// <summary>The answer to a refresh request: the run that will bring the instance up to date, and whether this request created it.</summary>
public sealed record RefreshAccepted(long RunId, bool Created);

/// <summary>
/// "Refresh now", for the HTTP API and 'crmetl refresh' alike: queues a run (or returns the one
/// already queued or running) and fires the instance's job, so whichever worker is free runs it.
/// </summary>
public sealed class RefreshRequests(SyncRunLog runs, InstanceSchedules schedules)
{
    public async Task<RefreshAccepted> RequestAsync(Instance instance, SyncMode mode, CancellationToken cancellationToken)
    {
        if (!instance.Enabled)
            throw new InstanceDisabledException($"'{instance.Name}' is disabled, so it is not synced. Enable it first ('crmetl instances enable \"{instance.Name}\"' or POST /api/instances/{instance.Id}/enable).");
        var (runId, created) = await runs.RequestAsync(instance.Id, mode, RunRequester.Refresh, cancellationToken);
        // Firing again for a run that waits is harmless: the trigger is keyed by the run, and a firing with nothing left to run does nothing.
        await schedules.FireNowAsync(instance.Id, runId, cancellationToken);
        return new RefreshAccepted(runId, created);
    }
}

public sealed class InstanceDisabledException(string message) : InvalidOperationException(message);
