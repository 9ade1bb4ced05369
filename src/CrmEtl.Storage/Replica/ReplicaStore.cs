using System.Text;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using CrmEtl.Storage.Trello;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace CrmEtl.Storage.Replica;

/// <summary>
/// Writes replica batches: each table's rows are binary-COPied into a temp staging table and
/// upserted (only rows that really changed are written), the Trello rules' events in the written deals are put in
/// their outbox, then checkpoints are saved — all in one transaction.
/// </summary>
public sealed class ReplicaStore(NpgsqlDataSource dataSource, TimeProvider clock) : IReplicaStore
{
    public async Task<IReadOnlyDictionary<string, StreamCheckpoint>> LoadCheckpointsAsync(int instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Stream, DateTime? Cursor, DateTime? CompletedAt, string Extra)>(new CommandDefinition(
            "SELECT stream, cursor_value, completed_at, extra::text FROM etl.sync_state WHERE instance_id = @instanceId",
            new { instanceId }, cancellationToken: cancellationToken));
        return rows.ToDictionary(
            r => r.Stream,
            r => new StreamCheckpoint(r.Stream, AsUtc(r.Cursor), AsUtc(r.CompletedAt), r.Extra),
            StringComparer.Ordinal);
    }

    public async Task<long> CommitAsync(int instanceId, ReplicaBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var trello = await TrelloEventFinder.StartAsync(connection, instanceId, batch.Deals.Select(d => d.Id).Distinct().ToArray(),
            batch.StageHistories.Select(h => h.DealId).Distinct().ToArray(), cancellationToken);
        long written = 0;
        written += await UpsertAsync(connection, instanceId, ReplicaTables.Pipeline, batch.Pipelines, cancellationToken);
        written += await UpsertAsync(connection, instanceId, ReplicaTables.Stage, batch.Stages, cancellationToken);
        written += await UpsertAsync(connection, instanceId, ReplicaTables.User, batch.Users, cancellationToken);
        written += await UpsertAsync(connection, instanceId, ReplicaTables.Currency, batch.Currencies, cancellationToken);
        written += await UpsertAsync(connection, instanceId, ReplicaTables.ActivityType, batch.ActivityTypes, cancellationToken);
        written += await UpsertAsync(connection, instanceId, ReplicaTables.DealField, batch.DealFields, cancellationToken);
        written += await UpsertAsync(connection, instanceId, ReplicaTables.Deal, batch.Deals, cancellationToken);
        written += await UpsertAsync(connection, instanceId, ReplicaTables.Activity, batch.Activities, cancellationToken);
        written += await UpsertAsync(connection, instanceId, ReplicaTables.Lead, batch.Leads, cancellationToken);
        written += await ReplaceStageHistoriesAsync(connection, instanceId, batch.StageHistories, cancellationToken);
        // Contacts and organizations feed the customer card, not the analytics: they leave the replica's version alone.
        long contacts = 0;
        contacts += await UpsertAsync(connection, instanceId, ReplicaTables.Contact, batch.Contacts, cancellationToken);
        contacts += await UpsertAsync(connection, instanceId, ReplicaTables.Organization, batch.Organizations, cancellationToken);
        foreach (var reconciliation in batch.Reconciliations)
        {
            var flagged = await ReconcileAsync(connection, instanceId, reconciliation, cancellationToken);
            if (ForAnalytics(reconciliation.Entity)) written += flagged;
            else contacts += flagged;
        }
        foreach (var deletions in batch.Deletions.GroupBy(d => d.Entity))
        {
            var flagged = await MarkDeletedAsync(connection, instanceId, deletions.Key, deletions.Select(d => d.Id).ToArray(), cancellationToken);
            if (ForAnalytics(deletions.Key)) written += flagged;
            else contacts += flagged;
        }
        if (trello is not null) await trello.FindAsync(clock.GetUtcNow(), cancellationToken);
        foreach (var checkpoint in batch.Checkpoints)
            await SaveCheckpointAsync(connection, instanceId, checkpoint, cancellationToken);
        // What tells the analytics builder its replica facts are out of date.
        if (written > 0)
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE etl.instance SET replica_version = replica_version + 1 WHERE id = @instanceId", new { instanceId }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return written + contacts;
    }

    private static bool ForAnalytics(ReplicaEntity entity) => entity is ReplicaEntity.Deal or ReplicaEntity.Activity or ReplicaEntity.Lead;

    public async Task<IReadOnlyList<DealHistoryDue>> DealsDueForHistoryAsync(int instanceId, long afterDealId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, long? StageId, DateTime AddTime, DateTime? StageChangeTime)>(new CommandDefinition("""
            SELECT id, stage_id, add_time, stage_change_time
            FROM crm.deal
            WHERE instance_id = @instanceId AND history_due AND NOT is_deleted AND id > @afterDealId
            ORDER BY id
            LIMIT @limit
            """, new { instanceId, afterDealId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new DealHistoryDue(r.Id, r.StageId, AsUtc(r.AddTime)!.Value, AsUtc(r.StageChangeTime))).ToList();
    }

    public async Task<IReadOnlyList<DealHistoryDue>> DealsForHistoryAsync(int instanceId, IReadOnlyCollection<long> dealIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, long? StageId, DateTime AddTime, DateTime? StageChangeTime)>(new CommandDefinition("""
            SELECT id, stage_id, add_time, stage_change_time
            FROM crm.deal
            WHERE instance_id = @instanceId AND NOT is_deleted AND id = ANY(@ids)
            ORDER BY id
            """, new { instanceId, ids = dealIds.ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(r => new DealHistoryDue(r.Id, r.StageId, AsUtc(r.AddTime)!.Value, AsUtc(r.StageChangeTime))).ToList();
    }

    public async Task<IReadOnlyDictionary<long, IReadOnlyList<StageArrival>>> StageHistoriesAsync(int instanceId, IReadOnlyCollection<long> dealIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long DealId, int Ord, long StageId, long? FromStageId, DateTime EnteredAt)>(new CommandDefinition("""
            SELECT deal_id, ord, stage_id, from_stage_id, entered_at
            FROM crm.deal_stage_history
            WHERE instance_id = @instanceId AND deal_id = ANY(@ids)
            ORDER BY deal_id, ord
            """, new { instanceId, ids = dealIds.ToArray() }, cancellationToken: cancellationToken));
        return rows.GroupBy(r => r.DealId).ToDictionary(
            g => g.Key,
            g => (IReadOnlyList<StageArrival>)g.Select(r => new StageArrival(r.Ord, r.StageId, r.FromStageId, AsUtc(r.EnteredAt)!.Value)).ToList());
    }

    private static async Task<long> UpsertAsync<TRow>(NpgsqlConnection connection, int instanceId, ReplicaTable<TRow> table, List<TRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return 0;
        // The same record can arrive twice in one batch (overlapping windows): the last one wins.
        var distinct = rows.AsEnumerable().Reverse().DistinctBy(table.KeyOf).ToList();
        var columns = table.Columns.Select(c => c.Name).ToList();
        var columnList = string.Join(", ", columns);

        await connection.ExecuteAsync(new CommandDefinition(
            $"CREATE TEMP TABLE staging (LIKE {table.Name} INCLUDING DEFAULTS) ON COMMIT DROP", cancellationToken: ct));
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY staging (instance_id, {columnList}) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var row in distinct)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(instanceId, NpgsqlDbType.Integer, ct);
                foreach (var column in table.Columns)
                {
                    var value = column.Get(row);
                    if (value is null) await importer.WriteNullAsync(ct);
                    else await importer.WriteAsync(value, column.Type, ct);
                }
            }
            await importer.CompleteAsync(ct);
        }

        var keys = string.Join(", ", table.Key);
        var updates = string.Join(", ", columns.Where(c => !table.Key.Contains(c)).Select(c => $"{c} = EXCLUDED.{c}"));
        if (table.OnChange is not null) updates += ", " + table.OnChange;
        var changed = string.Join(", ", columns.Select(c => "t." + c));
        var incoming = string.Join(", ", columns.Select(c => "EXCLUDED." + c));
        var upsert = $"""
            INSERT INTO {table.Name} AS t (instance_id, {columnList})
            SELECT instance_id, {columnList} FROM staging
            ON CONFLICT (instance_id, {keys}) DO UPDATE SET {updates}
            WHERE ({changed}) IS DISTINCT FROM ({incoming})
            """;
        var written = table.ChangeEntity is { } entity
            ? await connection.ExecuteScalarAsync<long>(new CommandDefinition(ReplicaChanges.Logged(entity, upsert + $" RETURNING t.{table.Key[0]}"), new { instanceId }, cancellationToken: ct))
            : await connection.ExecuteAsync(new CommandDefinition(upsert, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("DROP TABLE staging", cancellationToken: ct));
        return written;
    }

    private static async Task<long> ReplaceStageHistoriesAsync(NpgsqlConnection connection, int instanceId, List<DealStageHistory> histories, CancellationToken ct)
    {
        if (histories.Count == 0) return 0;
        var dealIds = histories.Select(h => h.DealId).Distinct().ToArray();
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM crm.deal_stage_history WHERE instance_id = @instanceId AND deal_id = ANY(@dealIds)",
            new { instanceId, dealIds }, cancellationToken: ct));

        long written = 0;
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY crm.deal_stage_history (instance_id, deal_id, ord, stage_id, from_stage_id, entered_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var history in histories.AsEnumerable().Reverse().DistinctBy(h => h.DealId))
            foreach (var arrival in history.Arrivals)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(instanceId, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(history.DealId, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(arrival.Ord, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(arrival.StageId, NpgsqlDbType.Bigint, ct);
                if (arrival.FromStageId is { } from) await importer.WriteAsync(from, NpgsqlDbType.Bigint, ct);
                else await importer.WriteNullAsync(ct);
                await importer.WriteAsync(arrival.EnteredAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
                written++;
            }
            await importer.CompleteAsync(ct);
        }

        await connection.ExecuteAsync(new CommandDefinition(ReplicaChanges.Logged(ReplicaChanges.Deal, "SELECT unnest(@dealIds)"), new { instanceId, dealIds }, cancellationToken: ct));

        // The history now matches the deal as of fetchedFor; a deal that moved meanwhile stays due, and so does one
        // updated within seconds of the question (see DealStageHistory.AskedAt; 5 s allow for the clocks' difference).
        var fetched = histories.Select(h => h.DealId).ToArray();
        var fetchedFor = histories.Select(h => h.FetchedFor?.ToUniversalTime()).ToArray();
        var askedAt = histories.Select(h => h.AskedAt?.ToUniversalTime()).ToArray();
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE crm.deal d
            SET history_fetched_for = f.fetched_for,
                history_due = d.stage_change_time IS DISTINCT FROM f.fetched_for OR coalesce(d.update_time >= f.asked_at - interval '5 seconds', false)
            FROM unnest(@fetched, @fetchedFor, @askedAt) AS f(deal_id, fetched_for, asked_at)
            -- the id list lets the planner look the deals up by key instead of scanning them all
            WHERE d.instance_id = @instanceId AND d.id = ANY(@fetched) AND d.id = f.deal_id
            """, new { instanceId, fetched, fetchedFor, askedAt }, cancellationToken: ct));
        return written;
    }

    /// <summary>The table an entity lives in, and the entity its changes are logged as (none for what analytics do not read).</summary>
    private static (string Table, string? Change) Of(ReplicaEntity entity) => entity switch
    {
        ReplicaEntity.Deal => (ReplicaTables.Deal.Name, ReplicaChanges.Deal),
        ReplicaEntity.Activity => (ReplicaTables.Activity.Name, ReplicaChanges.Activity),
        ReplicaEntity.Lead => (ReplicaTables.Lead.Name, ReplicaChanges.Lead),
        ReplicaEntity.Contact => (ReplicaTables.Contact.Name, null),
        ReplicaEntity.Organization => (ReplicaTables.Organization.Name, null),
        _ => throw new ArgumentOutOfRangeException(nameof(entity)),
    };

    /// <summary>Flags the given records deleted (those not flagged yet) and logs them as changed; returns how many were flagged.</summary>
    private static Task<long> MarkDeletedAsync(NpgsqlConnection connection, int instanceId, ReplicaEntity entity, string[] ids, CancellationToken ct)
    {
        var (table, change) = Of(entity);
        var flag = $"UPDATE {table} SET is_deleted = true WHERE instance_id = @instanceId AND id::text = ANY(@ids) AND NOT is_deleted RETURNING id";
        return connection.ExecuteScalarAsync<long>(new CommandDefinition(
            change is null ? $"WITH flagged AS ({flag}) SELECT count(*) FROM flagged" : ReplicaChanges.Logged(change, flag),
            new { instanceId, ids }, cancellationToken: ct));
    }

    private static async Task<long> ReconcileAsync(NpgsqlConnection connection, int instanceId, Reconciliation reconciliation, CancellationToken ct)
    {
        var (table, _) = Of(reconciliation.Entity);
        var gone = new List<string>();
        await using (var reader = await new NpgsqlCommand($"SELECT id::text FROM {table} WHERE instance_id = @i AND NOT is_deleted", connection)
        {
            Parameters = { new NpgsqlParameter<int>("i", instanceId) },
        }.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetString(0);
                if (!reconciliation.Seen(id)) gone.Add(id);
            }
        }
        return gone.Count == 0 ? 0 : await MarkDeletedAsync(connection, instanceId, reconciliation.Entity, gone.ToArray(), ct);
    }

    private static Task<int> SaveCheckpointAsync(NpgsqlConnection connection, int instanceId, StreamCheckpoint checkpoint, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO etl.sync_state AS s (instance_id, stream, cursor_value, completed_at, extra, updated_at)
            VALUES (@instanceId, @Stream, @Cursor, @CompletedAt, @Extra::jsonb, now())
            ON CONFLICT (instance_id, stream) DO UPDATE
            SET cursor_value = EXCLUDED.cursor_value, completed_at = EXCLUDED.completed_at,
                extra = EXCLUDED.extra, updated_at = now()
            """, new
        {
            instanceId, checkpoint.Stream,
            Cursor = checkpoint.Cursor?.UtcDateTime, CompletedAt = checkpoint.CompletedAt?.UtcDateTime,
            Extra = checkpoint.ExtraJson,
        }, cancellationToken: ct));

    private static DateTimeOffset? AsUtc(DateTime? value) =>
        value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}

/// <summary>
/// crm.replica_change: the deals (a deal's stage history counts as the deal), activities and leads
/// written since the instance's last analytics build, so that the next build redoes only those.
/// Nothing is logged before the first build, which takes everything anyway.
/// </summary>
public static class ReplicaChanges
{
    public const string Deal = "d", Activity = "a", Lead = "l";

    /// <summary>
    /// Runs <paramref name="write"/> (a statement or query yielding the written ids, with @instanceId) and
    /// logs the ids it yields; the result is the number of rows written.
    /// </summary>
    public static string Logged(string entity, string write) => $"""
        WITH written(id) AS ({write}),
        logged AS (
            INSERT INTO crm.replica_change (instance_id, entity, id)
            SELECT @instanceId, '{entity}', w.id::text FROM written w
            WHERE EXISTS (SELECT 1 FROM analytics.build b WHERE b.instance_id = @instanceId)
            ON CONFLICT DO NOTHING)
        SELECT count(*) FROM written
        """;
}
