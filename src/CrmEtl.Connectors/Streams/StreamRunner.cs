using System.Text.Json.Nodes;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;

namespace CrmEtl.Connectors.Streams;

/// <summary>How a connector's streams are run (from its options).</summary>
/// <param name="BatchRows">Rows committed per transaction, with their checkpoint.</param>
/// <param name="Overlap">How far before the committed cursor an incremental read starts again.</param>
/// <param name="FullResyncAfter">A full resync happens when the last complete pass of the main stream is older than this.</param>
internal sealed record StreamSettings(int BatchRows, TimeSpan Overlap, TimeSpan FullResyncAfter);

/// <summary>
/// Runs the streams of one sync run: reads each from its committed cursor (minus the overlap) and
/// commits it in batches of at most <see cref="StreamSettings.BatchRows"/> records, each with the
/// highest update time it contains as the stream's cursor, so a checkpoint only ever travels with the
/// rows it describes. When a stream ends, the last batch records the completed pass and, for a run
/// that reconciles, what the CRM no longer lists.
/// </summary>
internal sealed class StreamRunner(SyncContext context, IReadOnlyDictionary<string, StreamCheckpoint> checkpoints, DateTimeOffset startedAt, StreamSettings settings)
{
    /// <summary>Reads the instance's checkpoints: the runner of a run starting now.</summary>
    public static async Task<StreamRunner> StartAsync(SyncContext context, StreamSettings settings, CancellationToken ct) =>
        new(context, await context.Replica.LoadCheckpointsAsync(context.Instance.Id, ct), context.Clock.GetUtcNow(), settings);

    public DateTimeOffset StartedAt => startedAt;

    public StreamCheckpoint? Checkpoint(string stream) => checkpoints.GetValueOrDefault(stream);

    /// <summary>
    /// The mode a run uses: the requested one, or a full resync when <paramref name="stream"/> never completed a
    /// pass or its last complete pass is older than FullResyncAfter (deletions older than that may be gone).
    /// </summary>
    public SyncMode ModeFor(string stream, SyncMode requested)
    {
        var lastPass = checkpoints.GetValueOrDefault(stream)?.CompletedAt;
        if (requested == SyncMode.Full || (lastPass is not null && startedAt - lastPass <= settings.FullResyncAfter)) return requested;
        ConnectorLog.FullResync(context.Logger, stream, lastPass);
        return SyncMode.Full;
    }

    /// <summary>True when <paramref name="stream"/> has not been reconciled (read whole) for <paramref name="every"/>.</summary>
    public bool ReconcileDue(string stream, TimeSpan every)
    {
        var extra = checkpoints.GetValueOrDefault(stream)?.ExtraJson;
        var at = extra is null ? null : JsonNode.Parse(extra)?["reconciled_at"]?.GetValue<DateTimeOffset>();
        return at is null || startedAt - at >= every;
    }

    /// <summary>Runs the declared streams one after the other. They are enumerated lazily: a declaration may depend on what the streams before it read.</summary>
    public async Task RunAllAsync(IEnumerable<ISyncStream> streams, SyncMode mode, CancellationToken ct)
    {
        foreach (var stream in streams) await stream.RunAsync(this, mode, ct);
    }

    /// <summary>Runs a declared stream: a full pass when <paramref name="mode"/> is full, else from its cursor.</summary>
    public Task RunAsync<T>(UpdatedStream<T> stream, SyncMode mode, CancellationToken ct) =>
        RunAsync(stream.Name, mode, stream.Read(Since(stream.Name, mode), ct),
            (batch, record) =>
            {
                var written = stream.Write(batch, record);
                stream.Reconcile?.Saw(written);
                return written.UpdatedAt;
            },
            completed: batch =>
            {
                if (stream.Reconcile is not { } reconcile || !stream.FinishesReconcile) return;
                reconcile.Finish(batch);
                if (reconcile.Remembered) batch.Checkpoints[^1] = batch.Checkpoints[^1] with { ExtraJson = new JsonObject { ["reconciled_at"] = startedAt }.ToJsonString() };
            },
            ct, stream.InUpdateOrder);

    /// <summary>
    /// Commits <paramref name="records"/> (in update-time order) in batches with their cursor; <paramref name="completed"/>
    /// adds to the last batch, which also records the completed pass. Records not in update-time order
    /// (<paramref name="inUpdateOrder"/> false) move the cursor only with the last batch.
    /// </summary>
    public async Task RunAsync<T>(
        string stream, SyncMode mode, IAsyncEnumerable<T> records, Func<ReplicaBatch, T, DateTimeOffset?> add,
        Action<ReplicaBatch> completed, CancellationToken ct, bool inUpdateOrder = true)
    {
        var previous = checkpoints.GetValueOrDefault(stream);
        var cursor = mode == SyncMode.Full ? null : previous?.Cursor;
        var batch = new ReplicaBatch();
        var inBatch = 0;
        // One batch is committed while the next is read: commits stay in order, at most one in flight.
        var committing = Task.CompletedTask;
        try
        {
            await foreach (var record in records)
            {
                var at = add(batch, record);
                if (at > cursor || cursor is null) cursor = at;
                if (++inBatch < settings.BatchRows) continue;
                batch.Checkpoints.Add(new StreamCheckpoint(stream, inUpdateOrder ? cursor : previous?.Cursor, previous?.CompletedAt, previous?.ExtraJson ?? "{}"));
                await committing;
                committing = CommitAsync(stream, batch, ct);
                batch = new ReplicaBatch();
                inBatch = 0;
            }
        }
        catch
        {
            // A failed read still lets the batch in flight finish (its rows and cursor are sound), and never leaves it running.
            await committing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        await committing;
        batch.Checkpoints.Add(new StreamCheckpoint(stream, cursor ?? previous?.Cursor, startedAt, previous?.ExtraJson ?? "{}"));
        completed(batch);
        await CommitAsync(stream, batch, ct);
    }

    /// <summary>Records with no cursor (a list read whole every run), committed in batches.</summary>
    public async Task WholeAsync<T>(string stream, IAsyncEnumerable<T> records, Action<ReplicaBatch, T> add, CancellationToken ct)
    {
        var batch = new ReplicaBatch();
        var inBatch = 0;
        await foreach (var record in records)
        {
            add(batch, record);
            if (++inBatch < settings.BatchRows) continue;
            await CommitAsync(stream, batch, ct);
            batch = new ReplicaBatch();
            inBatch = 0;
        }
        await CommitAsync(stream, batch, ct);
    }

    public async Task CommitAsync(string stream, ReplicaBatch batch, CancellationToken ct)
    {
        if (batch.RowCount == 0 && batch.Checkpoints.Count == 0 && batch.Reconciliations.Count == 0 && batch.Deletions.Count == 0) return;
        await context.Stats.For(stream).WriteAsync(() => context.Replica.CommitAsync(context.Instance.Id, batch, ct));
    }

    /// <summary>The incremental lower bound: the committed cursor minus the overlap (inclusive); null for a full read.</summary>
    public DateTimeOffset? Since(string stream, SyncMode mode) =>
        mode == SyncMode.Full || checkpoints.GetValueOrDefault(stream)?.Cursor is not { } cursor ? null : cursor - settings.Overlap;
}
