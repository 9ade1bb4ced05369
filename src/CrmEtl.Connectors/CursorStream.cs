using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors;

/// <summary>
/// How a connector commits a stream read in update-time order: in batches of at most
/// <paramref name="batchRows"/> records, each with the highest update time it contains as the
/// stream's cursor, so a checkpoint only ever travels with the rows it describes. When the stream
/// ends, the last batch also records the completed pass.
/// </summary>
internal sealed partial class CursorStream(SyncContext context, IReadOnlyDictionary<string, StreamCheckpoint> checkpoints, DateTimeOffset startedAt, int batchRows)
{
    /// <summary>
    /// The mode a run uses: the requested one, or a full resync when <paramref name="stream"/> never completed a
    /// pass or its last complete pass is older than <paramref name="fullResyncAfter"/> (deletions older than that may be gone).
    /// </summary>
    public SyncMode ModeFor(string stream, SyncMode requested, TimeSpan fullResyncAfter)
    {
        var lastPass = checkpoints.GetValueOrDefault(stream)?.CompletedAt;
        if (requested == SyncMode.Full || (lastPass is not null && startedAt - lastPass <= fullResyncAfter)) return requested;
        ConnectorLog.FullResync(context.Logger, stream, lastPass);
        return SyncMode.Full;
    }

    public async Task RunAsync<T>(
        string stream, SyncMode mode, IAsyncEnumerable<T> records, Func<ReplicaBatch, T, DateTimeOffset?> add,
        Action<ReplicaBatch> completed, CancellationToken ct)
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
                if (++inBatch < batchRows) continue;
                batch.Checkpoints.Add(new StreamCheckpoint(stream, cursor, previous?.CompletedAt, previous?.ExtraJson ?? "{}"));
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

    public async Task CommitAsync(string stream, ReplicaBatch batch, CancellationToken ct)
    {
        if (batch.RowCount == 0 && batch.Checkpoints.Count == 0 && batch.Reconciliations.Count == 0 && batch.Deletions.Count == 0) return;
        await context.Stats.For(stream).WriteAsync(() => context.Replica.CommitAsync(context.Instance.Id, batch, ct));
    }

    /// <summary>The incremental lower bound: the committed cursor minus the overlap (inclusive); null for a full read.</summary>
    public DateTimeOffset? Since(string stream, SyncMode mode, TimeSpan overlap) =>
        mode == SyncMode.Full || checkpoints.GetValueOrDefault(stream)?.Cursor is not { } cursor ? null : cursor - overlap;
}
