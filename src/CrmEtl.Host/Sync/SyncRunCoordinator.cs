using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Runs;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrmEtl.Host.Sync;

/// <summary>
/// The result of one run, as the command line and tests see it. <see cref="Analytics"/> is the
/// rebuild that followed a complete sync (null otherwise); its problems (e.g. missing exchange
/// rates) are warnings: the run succeeded, and they stay listed in analytics.data_problems.
/// </summary>
public sealed record SyncOutcome(long RunId, RunStatus Status, SyncMode Mode, RunStats Stats, string? Error, TimeSpan Elapsed, BuildResult? Analytics = null)
{
    public IReadOnlyList<string> Warnings => Analytics?.Problems ?? [];
}

/// <summary>
/// Runs one sync of one instance: opens its run log entry, lets the instance's connector run,
/// turns every way a run can end into a status and a message, and records both.
/// </summary>
public sealed partial class SyncRunCoordinator(
    InstanceRepository instances, SyncRunLog runs, IReplicaStore replica, IEnumerable<ICrmConnector> connectors,
    AnalyticsBuilder analytics, TimeProvider clock, ILogger<SyncRunCoordinator> logger)
{
    /// <param name="stats">Where the run counts its progress, for a caller that shows it; a new one if null.</param>
    public async Task<SyncOutcome> RunAsync(string instanceName, SyncMode mode, CancellationToken cancellationToken, RunStats? stats = null)
    {
        var instance = await instances.FindAsync(instanceName, cancellationToken)
            ?? throw new ArgumentException($"There is no instance named '{instanceName}'. List them with 'crmetl instances'.", nameof(instanceName));
        return await RunAsync(instance, mode, cancellationToken, stats);
    }

    public async Task<SyncOutcome> RunAsync(Instance instance, SyncMode mode, CancellationToken cancellationToken, RunStats? stats = null)
    {
        var connector = connectors.FirstOrDefault(c => c.Kind == instance.Kind)
            ?? throw new InvalidOperationException($"No connector for instances of kind '{instance.Kind}'.");
        var started = clock.GetTimestamp();
        var runId = await runs.StartAsync(instance.Id, mode, cancellationToken);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["InstanceId"] = instance.Id, ["RunId"] = runId });
        LogStarted(logger, instance.Name, mode);

        stats ??= new RunStats();
        var usedMode = mode;
        RunStatus status;
        string? error = null;
        BuildResult? built = null;
        try
        {
            usedMode = await connector.RunAsync(new SyncContext(instance, mode, replica, stats, clock, logger), cancellationToken);
            await instances.SetStatusAsync(instance.Id, InstanceStatus.Connected, null, CancellationToken.None);
            // Only a complete replica becomes numbers: after any other ending, BI users keep the previous ones.
            (status, error, built) = await BuildAnalyticsAsync(instance, replicaChanged: stats.Written > 0, cancellationToken);
        }
        catch (CrmAuthException e)
        {
            (status, error) = (RunStatus.AuthFailed, e.Message);
            await instances.SetStatusAsync(instance.Id, InstanceStatus.AuthFailed, e.Message, CancellationToken.None);
        }
        catch (CrmBudgetExhaustedException e)
        {
            (status, error) = (RunStatus.BudgetExhausted, e.Message);
        }
        catch (CrmException e)
        {
            (status, error) = (RunStatus.Failed, e.Message);
            await instances.SetStatusAsync(instance.Id, InstanceStatus.Error, e.Message, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            (status, error) = (RunStatus.Cancelled, "The run was cancelled; what it committed is consistent and the next run continues from there.");
        }
        catch (Exception e)
        {
            // Anything else is a defect or a dead database: the run still ends with a status and a message.
            (status, error) = (RunStatus.Failed, e is NpgsqlException ? $"The database failed during the run: {e.Message}" : e.Message);
            LogUnexpected(logger, e);
        }

        var elapsed = clock.GetElapsedTime(started);
        try
        {
            await runs.FinishAsync(runId, status, stats, error, CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            error = (error is null ? "" : error + " ") + $"The run's outcome could not be recorded: {e.Message}";
            status = status == RunStatus.Succeeded ? RunStatus.Failed : status;
        }
        LogFinished(logger, instance.Name, status.ToDbName(), stats.Read, stats.Written, stats.Calls, stats.Tokens, elapsed.TotalSeconds);
        return new SyncOutcome(runId, status, usedMode, stats, error, elapsed, built);
    }

    /// <summary>
    /// Rebuilds the numbers after a complete sync — unless the sync changed nothing and they are
    /// already built from this replica (configuration changes rebuild them on their own) — and takes
    /// the day's pipeline snapshot either way.
    /// </summary>
    private async Task<(RunStatus, string?, BuildResult?)> BuildAnalyticsAsync(Instance instance, bool replicaChanged, CancellationToken cancellationToken)
    {
        try
        {
            var built = replicaChanged || !await analytics.IsBuiltAsync(instance.Id, cancellationToken)
                ? await analytics.BuildAsync(instance.Id, cancellationToken)
                : null;
            await analytics.SnapshotAsync(instance.Id, cancellationToken);
            return (RunStatus.Succeeded, null, built);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            LogUnexpected(logger, e);
            return (RunStatus.Failed, $"The replica is up to date, but the analytics could not be rebuilt; the previous numbers stay visible: {e.Message}", null);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync of {Instance} started ({Mode})")]
    private static partial void LogStarted(ILogger logger, string instance, SyncMode mode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync of {Instance} ended {Status}: {Read} rows read, {Written} written, {Calls} calls, {Tokens} tokens in {Seconds:0.0} s")]
    private static partial void LogFinished(ILogger logger, string instance, string status, long read, long written, int calls, int tokens, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The run failed")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
