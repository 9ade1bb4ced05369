using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Trello;

/// <summary>
/// Finds the Trello rules' events in what a sync commit changed, inside its transaction, and puts them in the outbox
/// (etl.trello_event). Before the commit writes, <see cref="StartAsync"/> keeps what the replica had of its deals (status
/// and close time) and of the stage histories it replaces; after, <see cref="FindAsync"/> compares:
/// <list type="bullet">
/// <item>added: a deal new to the replica, added at or after its rule was set;</item>
/// <item>won / lost: a deal whose status became won or lost (or was closed again at another time: reopened and won
/// again), closed at or after the rule was set;</item>
/// <item>moved_to: every arrival at the rule's stage that the deal's history did not have, at or after the rule was set
/// (a deal that passed through the stage between two syncs fires once per arrival).</item>
/// </list>
/// Each event's key (rule, deal, kind, the time of the arrival, win or loss) makes finding it again a no-op, so a re-run,
/// resync or recompute never fires twice. Nothing is found before the instance's first successful run (its first sync
/// brings the past, not events), nor when it has no rule. The CRMs give times to the second: a rule counts from the
/// second it was set in.
/// </summary>
public sealed class TrelloEventFinder
{
    private readonly NpgsqlConnection _connection;
    private readonly int _instanceId;
    private readonly long[] _dealIds, _historyDealIds;

    private TrelloEventFinder(NpgsqlConnection connection, int instanceId, long[] dealIds, long[] historyDealIds) =>
        (_connection, _instanceId, _dealIds, _historyDealIds) = (connection, instanceId, dealIds, historyDealIds);

    /// <summary>Keeps what the replica has of the commit's deals and histories; null when the instance's rules cannot fire.</summary>
    public static async Task<TrelloEventFinder?> StartAsync(NpgsqlConnection connection, int instanceId, long[] dealIds, long[] historyDealIds, CancellationToken ct)
    {
        if (dealIds.Length == 0 && historyDealIds.Length == 0) return null;
        var watched = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM etl.trello_rule WHERE instance_id = @instanceId AND ended_at IS NULL)
               AND EXISTS (SELECT 1 FROM etl.sync_run WHERE instance_id = @instanceId AND status = 'succeeded')
            """, new { instanceId }, cancellationToken: ct));
        if (!watched) return null;
        await connection.ExecuteAsync(new CommandDefinition("""
            CREATE TEMP TABLE trello_deal_before ON COMMIT DROP AS
                SELECT id, status, close_time FROM crm.deal WHERE instance_id = @instanceId AND id = ANY(@dealIds);
            CREATE TEMP TABLE trello_arrival_before ON COMMIT DROP AS
                SELECT deal_id, stage_id, entered_at FROM crm.deal_stage_history WHERE instance_id = @instanceId AND deal_id = ANY(@historyDealIds);
            """, new { instanceId, dealIds, historyDealIds }, cancellationToken: ct));
        return new TrelloEventFinder(connection, instanceId, dealIds, historyDealIds);
    }

    /// <summary>The event key's SQL: r{rule}-d{deal}-{kind}-{time, UTC to the second}.</summary>
    private static string Key(string kind, string at) => $"'r' || r.id || '-d' || d.id || '-' || {kind} || '-' || to_char({at} AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"')";

    /// <summary>Puts the events of what was written in the outbox; returns how many were new.</summary>
    public async Task<int> FindAsync(DateTimeOffset now, CancellationToken ct)
    {
        const string closedAt = "coalesce(CASE d.status WHEN 'won' THEN d.won_time ELSE d.lost_time END, d.close_time)";
        const string rules = "etl.trello_rule r JOIN crm.deal d ON d.instance_id = r.instance_id";
        const string active = "r.instance_id = @instanceId AND r.ended_at IS NULL AND NOT d.is_deleted";
        var found = await _connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO etl.trello_event (event_key, rule_id, instance_id, deal_id, kind, happened_at, found_at, next_attempt_at)
            SELECT e.event_key, e.rule_id, @instanceId, e.deal_id, e.kind, e.happened_at, @now, @now FROM (
                SELECT {Key("'added'", "d.add_time")} AS event_key, r.id AS rule_id, d.id AS deal_id, 'added' AS kind, d.add_time AS happened_at
                FROM {rules} AND d.id = ANY(@dealIds)
                WHERE {active} AND r.kind = 'added' AND d.add_time >= date_trunc('second', r.created_at)
                  AND NOT EXISTS (SELECT 1 FROM trello_deal_before b WHERE b.id = d.id)
                UNION ALL
                SELECT {Key("d.status", closedAt)}, r.id, d.id, d.status, {closedAt}
                FROM {rules} AND d.id = ANY(@dealIds)
                WHERE {active} AND r.kind = 'won_or_lost' AND d.status IN ('won', 'lost') AND r.outcome IN (d.status, 'both')
                  AND {closedAt} >= date_trunc('second', r.created_at)
                  AND NOT EXISTS (SELECT 1 FROM trello_deal_before b WHERE b.id = d.id AND b.status = d.status AND b.close_time IS NOT DISTINCT FROM d.close_time)
                UNION ALL
                SELECT {Key("'moved_to-s' || h.stage_id", "h.entered_at")}, r.id, d.id, 'moved_to', h.entered_at
                FROM {rules} AND d.id = ANY(@historyDealIds)
                JOIN crm.deal_stage_history h ON h.instance_id = d.instance_id AND h.deal_id = d.id AND h.stage_id = r.stage_id
                WHERE {active} AND r.kind = 'moved_to' AND h.entered_at >= date_trunc('second', r.created_at)
                  AND NOT EXISTS (SELECT 1 FROM trello_arrival_before b WHERE b.deal_id = h.deal_id AND b.stage_id = h.stage_id AND b.entered_at = h.entered_at)
            ) e
            ON CONFLICT (event_key) DO NOTHING
            """, new { instanceId = _instanceId, dealIds = _dealIds, historyDealIds = _historyDealIds, now }, cancellationToken: ct));
        await _connection.ExecuteAsync(new CommandDefinition("DROP TABLE trello_deal_before; DROP TABLE trello_arrival_before", cancellationToken: ct));
        return found;
    }
}
