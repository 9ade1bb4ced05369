using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Trello;

public static class TrelloRuleKinds
{
    public const string Added = "added", WonOrLost = "won_or_lost", MovedTo = "moved_to";
    public static readonly IReadOnlyList<string> All = [Added, WonOrLost, MovedTo];
}

/// <summary>A rule as set: which instance's deals, which board and list, which event; <see cref="EndedAt"/> once replaced, removed or switched off.</summary>
public sealed record TrelloRule(
    int Id, string Company, int InstanceId, string Instance, string BoardId, string BoardName, string ListId, string ListName, string Kind, string? Outcome,
    long? PipelineId, long? StageId, string? Stage, DateTime CreatedAt, string? CreatedBy, DateTime? EndedAt, string? EndedWhy)
{
    public bool Active => EndedAt is null;

    /// <summary>"a deal is added", "a deal is won or lost", "a deal arrives at Proposal".</summary>
    public string Event => Kind switch
    {
        TrelloRuleKinds.Added => "a deal is added",
        TrelloRuleKinds.WonOrLost => Outcome switch { "won" => "a deal is won", "lost" => "a deal is lost", _ => "a deal is won or lost" },
        _ => $"a deal arrives at {Stage ?? StageId?.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
    };
}

/// <summary>A rule to set.</summary>
public sealed record NewTrelloRule(string Company, int InstanceId, string BoardId, string BoardName, string ListId, string ListName, string Kind, string? Outcome,
    long? PipelineId, long? StageId, string? CreatedBy);

/// <summary>etl.trello_rule: one active rule per board; setting one ends the board's previous rule in the same transaction.</summary>
public sealed class TrelloRuleStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string Select = """
        SELECT r.id, r.company, r.instance_id AS InstanceId, i.name AS Instance, r.board_id AS BoardId, r.board_name AS BoardName, r.list_id AS ListId,
               r.list_name AS ListName, r.kind, r.outcome, r.pipeline_id AS PipelineId, r.stage_id AS StageId, s.name AS Stage,
               r.created_at AS CreatedAt, r.created_by AS CreatedBy, r.ended_at AS EndedAt, r.ended_why AS EndedWhy
        FROM etl.trello_rule r JOIN etl.instance i ON i.id = r.instance_id
        LEFT JOIN crm.stage s ON s.instance_id = r.instance_id AND s.id = r.stage_id
        """;

    /// <summary>Sets the rule; the board's active rule, if any, ends as replaced by it. Returns the new rule and the one it replaced.</summary>
    public async Task<(TrelloRule Rule, TrelloRule? Replaced)> SetAsync(NewTrelloRule rule, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Two admins setting a rule on one board at once: the second waits, then replaces the first.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtext('trello_rule:' || @board))", new { board = rule.BoardId }, tx, cancellationToken: ct));
        var now = clock.GetUtcNow();
        var previous = await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
            "SELECT id FROM etl.trello_rule WHERE board_id = @board AND ended_at IS NULL", new { board = rule.BoardId }, tx, cancellationToken: ct));
        if (previous is { } old)
            await connection.ExecuteAsync(new CommandDefinition("UPDATE etl.trello_rule SET ended_at = @now, ended_why = 'replaced' WHERE id = @old", new { now, old }, tx, cancellationToken: ct));
        var id = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            INSERT INTO etl.trello_rule (company, instance_id, board_id, board_name, list_id, list_name, kind, outcome, pipeline_id, stage_id, created_at, created_by)
            VALUES (@Company, @InstanceId, @BoardId, @BoardName, @ListId, @ListName, @Kind, @Outcome, @PipelineId, @StageId, @now, @CreatedBy) RETURNING id
            """, new { rule.Company, rule.InstanceId, rule.BoardId, rule.BoardName, rule.ListId, rule.ListName, rule.Kind, rule.Outcome, rule.PipelineId, rule.StageId, now, rule.CreatedBy },
            tx, cancellationToken: ct));
        if (previous is { } replaced)
            await connection.ExecuteAsync(new CommandDefinition("UPDATE etl.trello_rule SET ended_why = 'replaced by rule ' || @id WHERE id = @replaced", new { id, replaced }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        var all = await ListAsync(rule.Company, history: true, ct);
        return (all.Single(r => r.Id == id), previous is { } p ? all.Single(r => r.Id == p) : null);
    }

    /// <summary>A company's rules (every company's when null), active ones first; with <paramref name="history"/> the ended ones too.</summary>
    public async Task<IReadOnlyList<TrelloRule>> ListAsync(string? company, bool history, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<TrelloRule>(new CommandDefinition($"""
            {Select}
            WHERE (@company::text IS NULL OR r.company = @company) AND (@history OR r.ended_at IS NULL)
            ORDER BY r.ended_at IS NOT NULL, r.id DESC
            """, new { company, history }, cancellationToken: ct))).ToList();
    }

    /// <summary>Ends a rule (removed by a person, or switched off because its board or list is gone); false when there is no such active rule.</summary>
    public async Task<bool> EndAsync(int id, string? company, string why, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.trello_rule SET ended_at = @now, ended_why = @why WHERE id = @id AND ended_at IS NULL AND (@company::text IS NULL OR company = @company)",
            new { id, company, why, now = clock.GetUtcNow() }, cancellationToken: ct)) == 1;
    }

    /// <summary>The instance's live stages with their pipelines, for a moved_to rule's stage.</summary>
    public async Task<IReadOnlyList<(long Id, string Name, long PipelineId, string Pipeline)>> StagesAsync(int instanceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(long, string, long, string)>(new CommandDefinition("""
            SELECT s.id, s.name, s.pipeline_id, p.name FROM crm.stage s JOIN crm.pipeline p ON p.instance_id = s.instance_id AND p.id = s.pipeline_id
            WHERE s.instance_id = @instanceId AND NOT s.is_deleted AND NOT p.is_deleted ORDER BY p.order_nr, p.id, s.order_nr, s.id
            """, new { instanceId }, cancellationToken: ct))).ToList();
    }
}
