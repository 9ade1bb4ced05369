using CrmEtl.Core.Trello;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Trello;

/// <summary>A claimed event, with its rule's board and list (and whether the rule still stands).</summary>
public sealed record TrelloEventToDeliver(
    long Id, string EventKey, int RuleId, bool RuleActive, string? RuleEndedWhy, string Company, int InstanceId, long DealId, string Kind,
    DateTime HappenedAt, string BoardId, string BoardName, string ListId, string ListName, string? RuleStage, int Attempts, bool MaybeSent);

/// <summary>An event as listed: what, for which deal, to which list, and how its delivery stands.</summary>
public sealed record TrelloDelivery(
    long Id, string EventKey, int RuleId, string Company, string Instance, long DealId, string? DealTitle, string Kind, DateTime HappenedAt,
    DateTime FoundAt, string Status, int Attempts, DateTime NextAttemptAt, string? LastError, string? CardId, string? CardUrl, DateTime? DeliveredAt,
    string BoardName, string ListName);

public static class TrelloDeliveryStatus
{
    public const string Pending = "pending", Delivered = "delivered", Failed = "failed", Cancelled = "cancelled";
    public static readonly IReadOnlyList<string> All = [Pending, Delivered, Failed, Cancelled];
}

/// <summary>
/// etl.trello_event, the outbox of deal events (found by <see cref="TrelloEventFinder"/>): claimed for a lease by one
/// worker at a time, marked maybe-sent before Trello is asked, then delivered (with the card), put off, failed or cancelled.
/// </summary>
public sealed class TrelloOutbox(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>The companies with events due now that nobody holds.</summary>
    public async Task<IReadOnlyList<string>> CompaniesDueAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT DISTINCT r.company FROM etl.trello_event e JOIN etl.trello_rule r ON r.id = e.rule_id
            WHERE e.status = 'pending' AND e.next_attempt_at <= @now AND (e.claimed_until IS NULL OR e.claimed_until < @now)
            """, new { now = clock.GetUtcNow() }, cancellationToken: ct))).ToList();
    }

    /// <summary>Claims up to <paramref name="limit"/> of the company's due events for <paramref name="lease"/>, oldest first.</summary>
    public async Task<IReadOnlyList<TrelloEventToDeliver>> ClaimAsync(string company, string worker, int limit, TimeSpan lease, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var now = clock.GetUtcNow();
        return (await connection.QueryAsync<TrelloEventToDeliver>(new CommandDefinition("""
            WITH claimed AS (
                UPDATE etl.trello_event e SET claimed_by = @worker, claimed_until = @until
                FROM (SELECT e2.id FROM etl.trello_event e2 JOIN etl.trello_rule r ON r.id = e2.rule_id
                      WHERE e2.status = 'pending' AND e2.next_attempt_at <= @now AND (e2.claimed_until IS NULL OR e2.claimed_until < @now) AND r.company = @company
                      ORDER BY e2.next_attempt_at, e2.id LIMIT @limit
                      FOR UPDATE OF e2 SKIP LOCKED) due
                WHERE e.id = due.id
                RETURNING e.*)
            SELECT c.id, c.event_key AS EventKey, c.rule_id AS RuleId, r.ended_at IS NULL AS RuleActive, r.ended_why AS RuleEndedWhy, r.company,
                   c.instance_id AS InstanceId, c.deal_id AS DealId, c.kind, c.happened_at AS HappenedAt, r.board_id AS BoardId, r.board_name AS BoardName,
                   r.list_id AS ListId, r.list_name AS ListName, s.name AS RuleStage, c.attempts, c.maybe_sent AS MaybeSent
            FROM claimed c JOIN etl.trello_rule r ON r.id = c.rule_id
            LEFT JOIN crm.stage s ON s.instance_id = r.instance_id AND s.id = r.stage_id
            ORDER BY c.next_attempt_at, c.id
            """, new { company, worker, limit, now, until = now + lease }, cancellationToken: ct))).ToList();
    }

    /// <summary>Notes that Trello is about to be asked for the card; false when the claim has run out (another worker may have it).</summary>
    public async Task<bool> MarkMaybeSentAsync(long id, string worker, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.trello_event SET maybe_sent = true WHERE id = @id AND status = 'pending' AND claimed_by = @worker AND claimed_until > @now",
            new { id, worker, now = clock.GetUtcNow() }, cancellationToken: ct)) == 1;
    }

    public async Task DeliveredAsync(long id, TrelloCardInfo card, string? note, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.trello_event SET status = 'delivered', card_id = @cardId, card_url = @url, delivered_at = @now, maybe_sent = false,
                claimed_by = NULL, claimed_until = NULL, last_error = @note
            WHERE id = @id
            """, new { id, cardId = card.Id, url = card.ShortUrl ?? card.Url, now = clock.GetUtcNow(), note }, cancellationToken: ct));
    }

    /// <summary>
    /// Puts the event off until <paramref name="at"/> with the reason; a failed attempt counts towards
    /// <paramref name="maxAttempts"/>, after which the event is failed. Returns the event's status.
    /// </summary>
    public async Task<string> RetryLaterAsync(long id, DateTimeOffset at, string error, bool countsAsAttempt, bool maybeSent, int maxAttempts, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition("""
            UPDATE etl.trello_event SET attempts = attempts + @counts, next_attempt_at = @at, last_error = @error, maybe_sent = @maybeSent,
                claimed_by = NULL, claimed_until = NULL,
                status = CASE WHEN attempts + @counts >= @maxAttempts THEN 'failed' ELSE 'pending' END
            WHERE id = @id RETURNING status
            """, new { id, at, error, counts = countsAsAttempt ? 1 : 0, maybeSent, maxAttempts }, cancellationToken: ct)) ?? TrelloDeliveryStatus.Failed;
    }

    /// <summary>Ends the event as failed (a refusal that trying again will not cure) or cancelled (its rule ended), with the reason.</summary>
    public async Task EndAsync(long id, string status, string why, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.trello_event SET status = @status, last_error = @why, claimed_by = NULL, claimed_until = NULL, attempts = attempts + 1 WHERE id = @id",
            new { id, status, why }, cancellationToken: ct));
    }

    /// <summary>Cancels a rule's waiting events (its board or list is gone); returns how many.</summary>
    public async Task<int> CancelPendingAsync(int ruleId, string why, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.trello_event SET status = 'cancelled', last_error = @why, claimed_by = NULL, claimed_until = NULL WHERE rule_id = @ruleId AND status = 'pending'",
            new { ruleId, why }, cancellationToken: ct));
    }

    /// <summary>Failed events back in the queue, due now, with their attempts counted afresh: one (by id) or all of a company's. Returns how many.</summary>
    public async Task<int> RetryFailedAsync(string? company, long? id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.trello_event e SET status = 'pending', attempts = 0, next_attempt_at = @now, last_error = 'retried by hand; before: ' || coalesce(e.last_error, '')
            FROM etl.trello_rule r
            WHERE r.id = e.rule_id AND e.status = 'failed' AND (@id::bigint IS NULL OR e.id = @id) AND (@company::text IS NULL OR r.company = @company)
            """, new { company, id, now = clock.GetUtcNow() }, cancellationToken: ct));
    }

    /// <summary>A company's events (every company's when null), newest first, of one status or all.</summary>
    public async Task<IReadOnlyList<TrelloDelivery>> ListAsync(string? company, string? status, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<TrelloDelivery>(new CommandDefinition("""
            SELECT e.id, e.event_key AS EventKey, e.rule_id AS RuleId, r.company, i.name AS Instance, e.deal_id AS DealId, d.title AS DealTitle, e.kind,
                   e.happened_at AS HappenedAt, e.found_at AS FoundAt, e.status, e.attempts, e.next_attempt_at AS NextAttemptAt, e.last_error AS LastError,
                   e.card_id AS CardId, e.card_url AS CardUrl, e.delivered_at AS DeliveredAt, r.board_name AS BoardName, r.list_name AS ListName
            FROM etl.trello_event e JOIN etl.trello_rule r ON r.id = e.rule_id JOIN etl.instance i ON i.id = e.instance_id
            LEFT JOIN crm.deal d ON d.instance_id = e.instance_id AND d.id = e.deal_id
            WHERE (@company::text IS NULL OR r.company = @company) AND (@status::text IS NULL OR e.status = @status)
            ORDER BY e.id DESC LIMIT @limit
            """, new { company, status, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>What the replica knows of the deal for its card; null when the deal is not in the replica.</summary>
    public async Task<DealCardFacts?> DealAsync(int instanceId, long dealId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DealCardFacts>(new CommandDefinition("""
            SELECT i.name AS Instance, i.kind AS InstanceKind, i.web_url AS WebAddress, d.id AS DealId, d.title, d.value, d.currency, d.status,
                   p.name AS Pipeline, s.name AS Stage, u.name AS Owner, d.expected_close_date AS ExpectedClose, c.name AS ContactName,
                   c.emails::text AS ContactEmails, c.phones::text AS ContactPhones, o.name AS Organization, d.lost_reason AS LostReason
            FROM crm.deal d JOIN etl.instance i ON i.id = d.instance_id
            LEFT JOIN crm.pipeline p ON p.instance_id = d.instance_id AND p.id = d.pipeline_id
            LEFT JOIN crm.stage s ON s.instance_id = d.instance_id AND s.id = d.stage_id
            LEFT JOIN crm.crm_user u ON u.instance_id = d.instance_id AND u.id = d.owner_id
            LEFT JOIN crm.contact c ON c.instance_id = d.instance_id AND c.id = d.person_id
            LEFT JOIN crm.organization o ON o.instance_id = d.instance_id AND o.id = d.org_id
            WHERE d.instance_id = @instanceId AND d.id = @dealId
            """, new { instanceId, dealId }, cancellationToken: ct));
    }
}
