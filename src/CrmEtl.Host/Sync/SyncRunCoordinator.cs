using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Telemetry;
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

/// <summary>Another process is running the instance ('crmetl sync' does not wait for it).</summary>
public sealed class InstanceBusyException(string message) : InvalidOperationException(message);

/// <summary>
/// Runs one sync of one instance: holds the instance's lock, takes up its run (new, queued, or left
/// behind by a worker that stopped), lets the instance's connector run, turns every way a run can
/// end into a status and a message, and records both.
/// </summary>
public sealed partial class SyncRunCoordinator(
    InstanceRepository instances, InstanceLocks locks, SyncRunLog runs, IReplicaStore replica, IEnumerable<ICrmConnector> connectors,
    AnalyticsBuilder analytics, NpgsqlDataSource dataSource, SyncTelemetry telemetry, TimeProvider clock, ILogger<SyncRunCoordinator> logger)
{
    /// <summary>This process, as run history names it.</summary>
    public static readonly string WorkerName = $"{Environment.MachineName}/{Environment.ProcessId}";

    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(2);

    /// <summary>'crmetl sync': runs the instance now in this process, unless another process is running it.</summary>
    /// <param name="stats">Where the run counts its progress, for a caller that shows it; a new one if null.</param>
    public async Task<SyncOutcome> RunAsync(string instanceName, SyncMode mode, CancellationToken cancellationToken, RunStats? stats = null)
    {
        await ReconnectIfRestartedAsync(cancellationToken);
        var instance = await instances.FindAsync(instanceName, cancellationToken)
            ?? throw new ArgumentException($"There is no instance named '{instanceName}'. List them with 'crmetl instances'.", nameof(instanceName));
        await using var held = await locks.TryAcquireAsync(instance.Id, cancellationToken)
            ?? throw new InstanceBusyException($"'{instance.Name}' is being synced by another process right now. Watch it with 'crmetl runs --instance \"{instance.Name}\"', or ask for a run after it with 'crmetl refresh \"{instance.Name}\"'.");
        var claimed = await runs.ClaimAsync(instance.Id, mode, RunRequester.Command, WorkerName, startNew: true, cancellationToken);
        return await RunClaimedAsync(instance, claimed!, stats ?? new RunStats(), requeueOnCancel: false, cancellationToken);
    }

    /// <summary>
    /// A worker's run: a scheduled fire (<paramref name="startNew"/>), a refresh or a recovery (they
    /// only take up the run that waits, which someone else may have run already). Waits while another
    /// process holds the instance. Cancelled (the worker is shutting down), the run goes back to the
    /// queue for the next worker and the cancellation is rethrown. Null when there was nothing to run.
    /// </summary>
    public async Task<SyncOutcome?> RunScheduledAsync(int instanceId, RunRequester requester, bool startNew, CancellationToken cancellationToken)
    {
        await ReconnectIfRestartedAsync(cancellationToken);
        if (await instances.FindAsync(instanceId, cancellationToken) is null) return null;
        await using var held = await locks.AcquireAsync(instanceId, TimeSpan.FromSeconds(1), cancellationToken);
        // Read again under the lock: it may have been edited, disabled or removed meanwhile.
        var instance = await instances.FindAsync(instanceId, cancellationToken);
        if (instance is null) return null;
        var claimed = await runs.ClaimAsync(instance.Id, SyncMode.Incremental, requester, WorkerName, startNew && instance.Enabled, cancellationToken);
        if (claimed is null) return null;
        if (!instance.Enabled)
        {
            await runs.FinishAsync(claimed.RunId, RunStatus.Cancelled, new RunStats(), $"'{instance.Name}' is disabled; enable it with 'crmetl instances enable \"{instance.Name}\"'.", CancellationToken.None);
            return null;
        }
        return await RunClaimedAsync(instance, claimed, new RunStats(), requeueOnCancel: true, cancellationToken);
    }

    private async Task<SyncOutcome> RunClaimedAsync(Instance instance, ClaimedRun claimed, RunStats stats, bool requeueOnCancel, CancellationToken cancellationToken)
    {
        var connector = connectors.FirstOrDefault(c => c.Kind == instance.Kind)
            ?? throw new InvalidOperationException($"No connector for instances of kind '{instance.Kind}'.");
        var started = clock.GetTimestamp();
        var runId = claimed.RunId;
        var mode = claimed.Mode;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["InstanceId"] = instance.Id, ["RunId"] = runId });
        using var activity = SyncTelemetry.StartRun(instance, runId, mode);
        if (claimed.Resumed) SyncLog.RunResumed(logger, instance.Name, mode);
        else SyncLog.RunStarted(logger, instance.Name, mode);

        using var progressStop = new CancellationTokenSource();
        var progress = ReportProgressAsync(runId, stats, progressStop.Token);
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
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && requeueOnCancel)
        {
            await progressStop.CancelAsync();
            await progress;
            await runs.RequeueAsync(runId, stats, CancellationToken.None);
            SyncLog.RunRequeued(logger, instance.Name, stats.Read, stats.Written);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            (status, error) = (RunStatus.Cancelled, "The run was cancelled; what it committed is consistent and the next run continues from there.");
        }
        catch (Exception e)
        {
            // Anything else is a defect or a dead database: the run still ends with a status and a message.
            (status, error) = (RunStatus.Failed, e is NpgsqlException db ? DatabaseFailure(db) : e.Message);
            SyncLog.RunFailedUnexpectedly(logger, e);
            // The connection broke (the server stopped or restarted): the pool's idle connections are as dead.
            if (e is NpgsqlException and not PostgresException) dataSource.Clear();
        }
        await progressStop.CancelAsync();
        await progress;

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
        telemetry.RunEnded(activity, instance, status, error, elapsed, stats);
        if (status == RunStatus.Succeeded) SyncLog.RunSucceeded(logger, instance.Name, stats.Read, stats.Written, stats.Calls, stats.Tokens, elapsed.TotalSeconds);
        else SyncLog.RunNotSucceeded(logger, instance.Name, status.ToDbName(), error, stats.Read, stats.Written, stats.Calls, stats.Tokens, elapsed.TotalSeconds);
        return new SyncOutcome(runId, status, usedMode, stats, error, elapsed, built);
    }

    /// <summary>Writes the run's counts every few seconds while it runs, for whoever watches it.</summary>
    private async Task ReportProgressAsync(long runId, RunStats stats, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(ProgressEvery, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await runs.ReportProgressAsync(runId, stats, stop);
                }
                catch (NpgsqlException e)
                {
                    // Progress is for show; the run itself notices a dead database.
                    SyncLog.ProgressNotRecorded(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
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
            SyncLog.RunFailedUnexpectedly(logger, e);
            return (RunStatus.Failed, $"The replica is up to date, but the analytics could not be rebuilt; the previous numbers stay visible: {e.Message}", null);
        }
    }

    /// <summary>
    /// Makes sure the pool's connections reach the database: after PostgreSQL restarted, the idle ones still
    /// point at the server that went away and would fail the run's first statement. One that fails so
    /// empties the pool, and the check runs once more on a new connection.
    /// </summary>
    private async Task ReconnectIfRestartedAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(ct);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            dataSource.Clear();
        }
    }

    /// <summary>What a run that the database failed tells its user: out of disk or memory is named as such.</summary>
    private static string DatabaseFailure(NpgsqlException e) => e is PostgresException { SqlState: [ '5', '3', .. ] } pg
        ? $"The database server ran out of resources during the run ({pg.SqlState}: {pg.MessageText}). Free disk space (or memory) on the PostgreSQL server; what the run committed is kept, and the next run continues from there."
        : $"The database failed during the run: {e.Message}";
}
