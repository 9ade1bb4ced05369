using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;

namespace CrmEtl.Connectors.Streams;

/// <summary>What writing one record gave: its id (for reconciliation) and its update time (the stream's cursor).</summary>
internal readonly record struct Written(long Id, string? TextId, DateTimeOffset? UpdatedAt)
{
    public Written(long id, DateTimeOffset? updatedAt) : this(id, null, updatedAt) { }
    public Written(string id, DateTimeOffset? updatedAt) : this(0, id, updatedAt) { }
}

/// <summary>One stream of a connector's run, in the order the connector declares them.</summary>
internal interface ISyncStream
{
    string Name { get; }

    Task RunAsync(StreamRunner runner, SyncMode mode, CancellationToken ct);
}

/// <summary>
/// A stream whose reading is its own (reference data read whole, a stage history that depends on what
/// the deals stream wrote): declared by name, in its place among the others.
/// </summary>
internal sealed record DependentStream(string Name, Func<SyncMode, CancellationToken, Task> Run) : ISyncStream
{
    public Task RunAsync(StreamRunner runner, SyncMode mode, CancellationToken ct) => Run(mode, ct);
}

/// <summary>
/// A stream a connector declares: a list read in update-time order from a lower bound (null: all of
/// it), each record written into the replica batch by <see cref="Write"/>. The runner pages it,
/// commits it in batches with its cursor, and, when the run reconciles, gives what it saw to
/// <see cref="Reconcile"/>.
/// </summary>
/// <param name="Read">The records updated since the bound (inclusive), oldest first; the connector's client pages them.</param>
internal sealed record UpdatedStream<T>(string Name, Func<DateTimeOffset?, CancellationToken, IAsyncEnumerable<T>> Read, Func<ReplicaBatch, T, Written> Write) : ISyncStream
{
    /// <summary>
    /// False when the list cannot be read in update-time order (e.g. by id): then a batch committed before the end keeps
    /// the stream's previous cursor, and only the completed pass moves it (a run stopped midway reads the window again).
    /// </summary>
    public bool InUpdateOrder { get; init; } = true;

    /// <summary>Read whole even in an incremental run (a periodic reconciliation); null: the run's mode.</summary>
    public SyncMode? Mode { get; init; }

    /// <summary>Where the ids of a complete pass go; null when this run does not reconcile the stream.</summary>
    public Reconcile? Reconcile { get; init; }

    /// <summary>False when a later stream shares <see cref="Reconcile"/> and finishes it (e.g. deals, then archived deals).</summary>
    public bool FinishesReconcile { get; init; } = true;

    public Task RunAsync(StreamRunner runner, SyncMode mode, CancellationToken ct) => runner.RunAsync(this, Mode ?? mode, ct);
}

/// <summary>
/// The ids one or more complete passes saw, so that what the CRM no longer lists is flagged deleted
/// when the last of them ends. <paramref name="Remembered"/>: the pass is noted in the stream's
/// checkpoint (reconciled_at), for CRMs whose lists are re-read whole only every so often.
/// </summary>
internal sealed class Reconcile(ReplicaEntity entity, bool remembered = false)
{
    private readonly IdSet _numbers = new();
    private readonly HashSet<string> _texts = new(StringComparer.Ordinal);

    public bool Remembered => remembered;

    public void Saw(Written written)
    {
        if (written.TextId is { } text) _texts.Add(text);
        else _numbers.Add(written.Id);
    }

    /// <summary>Flags what was not seen deleted, in the batch that ends the last pass.</summary>
    public void Finish(ReplicaBatch batch) =>
        batch.Reconciliations.Add(new Reconciliation(entity, _texts.Count > 0
            ? _texts.Contains
            : id => long.TryParse(id, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) && _numbers.Contains(n)));
}
