using System.Text.Json;
using CrmEtl.Core.Sync;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Runs;

/// <summary>A run a worker or command has taken up: new, queued before, or left running by a worker that stopped.</summary>
public sealed record ClaimedRun(long RunId, SyncMode Mode, bool Resumed);

/// <summary>
/// etl.sync_run: one row per run with its outcome and per-stream figures. An instance has at most
/// one queued-or-running run (a unique index), which is what coalesces refresh requests.
/// </summary>
public sealed class SyncRunLog(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string Columns = """
        r.id, r.instance_id AS InstanceId, i.name AS Instance, r.mode, r.status, r.requested_by AS RequestedBy, r.worker, r.resumed,
        r.api_calls + r.progress_calls AS ApiCalls, r.tokens + r.progress_tokens AS Tokens, r.rows_read + r.progress_read AS RowsRead,
        r.rows_written + r.progress_written AS RowsWritten, r.streams::text AS Streams, r.error,
        r.requested_at AS RequestedAt, r.started_at AS StartedAt, r.ended_at AS EndedAt
        """;

    /// <summary>
    /// Queues a run of the instance, unless one is already queued or running: then that run's id
    /// comes back with <c>Created</c> false.
    /// </summary>
    public async Task<(long RunId, bool Created)> RequestAsync(int instanceId, SyncMode mode, RunRequester requester, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // A concurrent request may commit its row after this statement's snapshot: then neither part sees a row, and we ask again.
        for (var attempt = 0; ; attempt++)
        {
            var row = await connection.QuerySingleOrDefaultAsync<(long Id, bool Created)?>(new CommandDefinition("""
                WITH created AS (
                    INSERT INTO etl.sync_run (instance_id, mode, status, requested_by, requested_at, started_at) VALUES (@instanceId, @mode, 'queued', @requester, @now, @now)
                    ON CONFLICT (instance_id) WHERE status IN ('queued', 'running') DO NOTHING
                    RETURNING id)
                SELECT id, true FROM created
                UNION ALL
                SELECT id, false FROM etl.sync_run WHERE instance_id = @instanceId AND status IN ('queued', 'running')
                LIMIT 1
                """, new { instanceId, mode = mode.ToDbName(), requester = requester.ToDbName(), now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
            if (row is { } found) return found;
            if (attempt == 5) throw new InvalidOperationException($"Could not queue a run of instance {instanceId}: its active run changed under every attempt.");
        }
    }

    /// <summary>
    /// Takes up the instance's run. The caller holds the instance's lock, so a queued run is waiting
    /// for it and a 'running' one was left by a worker that stopped (its lock went with its
    /// connection); both are taken over under their id. With none, a new run starts if
    /// <paramref name="startNew"/>, else null.
    /// </summary>
    public async Task<ClaimedRun?> ClaimAsync(int instanceId, SyncMode mode, RunRequester requester, string worker, bool startNew, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var taken = await connection.QuerySingleOrDefaultAsync<(long Id, string Mode, bool Resumed)?>(new CommandDefinition("""
            UPDATE etl.sync_run r
            SET status = 'running', worker = @worker,
                started_at = CASE WHEN r.status = 'queued' AND r.resumed = 0 THEN @now ELSE r.started_at END,
                resumed = r.resumed + CASE WHEN r.status = 'running' THEN 1 ELSE 0 END,
                -- what a stopped worker reported of its attempt counts as done
                api_calls = r.api_calls + r.progress_calls, tokens = r.tokens + r.progress_tokens,
                rows_read = r.rows_read + r.progress_read, rows_written = r.rows_written + r.progress_written,
                progress_calls = 0, progress_tokens = 0, progress_read = 0, progress_written = 0
            FROM etl.sync_run old
            WHERE r.id = old.id AND r.instance_id = @instanceId AND r.status IN ('queued', 'running')
            RETURNING r.id, r.mode, old.status = 'running' OR r.resumed > 0
            """, new { instanceId, worker, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        if (taken is { } t) return new ClaimedRun(t.Id, RunStatusNames.ParseMode(t.Mode), t.Resumed);
        if (!startNew) return null;
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO etl.sync_run (instance_id, mode, status, requested_by, worker, requested_at, started_at) VALUES (@instanceId, @mode, 'running', @requester, @worker, @now, @now)
            RETURNING id
            """, new { instanceId, mode = mode.ToDbName(), requester = requester.ToDbName(), worker, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return new ClaimedRun(id, mode, false);
    }

    /// <summary>The queued runs requested before <paramref name="before"/>: (run, instance), oldest first.</summary>
    public async Task<IReadOnlyList<(long RunId, int InstanceId)>> QueuedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long, int)>(new CommandDefinition(
            "SELECT id, instance_id FROM etl.sync_run WHERE status = 'queued' AND requested_at < @before ORDER BY id",
            new { before }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Puts a run that a shutting-down worker stopped back in the queue, for the next worker to continue.</summary>
    public async Task RequeueAsync(long runId, RunStats stats, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.sync_run SET status = 'queued', resumed = resumed + 1, progress_calls = 0, progress_tokens = 0, progress_read = 0, progress_written = 0, api_calls = api_calls + @calls, tokens = tokens + @tokens,
                rows_read = rows_read + @read, rows_written = rows_written + @written
            WHERE id = @runId AND status = 'running'
            """, new { runId, calls = stats.Calls, tokens = stats.Tokens, read = stats.Read, written = stats.Written }, cancellationToken: cancellationToken));
    }

    /// <summary>The counts so far, for whoever watches the run ('crmetl refresh --wait', GET /api/runs/{id}).</summary>
    public async Task ReportProgressAsync(long runId, RunStats stats, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.sync_run SET streams = @streams::jsonb, progress_calls = @calls, progress_tokens = @tokens, progress_read = @read, progress_written = @written
            WHERE id = @runId AND status = 'running'
            """, new { runId, streams = StreamsJson(stats), calls = stats.Calls, tokens = stats.Tokens, read = stats.Read, written = stats.Written },
            cancellationToken: cancellationToken));
    }

    public async Task FinishAsync(long runId, RunStatus status, RunStats stats, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Figures of earlier attempts (before a shutdown put the run back in the queue) are kept and added to.
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.sync_run
            SET ended_at = @now, status = @status, api_calls = api_calls + @calls, tokens = tokens + @tokens,
                rows_read = rows_read + @read, rows_written = rows_written + @written, streams = @streams::jsonb, error = @error,
                progress_calls = 0, progress_tokens = 0, progress_read = 0, progress_written = 0
            WHERE id = @runId
            """, new
        {
            runId, now = clock.GetUtcNow(), status = status.ToDbName(), calls = stats.Calls, tokens = stats.Tokens,
            read = stats.Read, written = stats.Written, streams = StreamsJson(stats), error,
        }, cancellationToken: cancellationToken));
    }

    public async Task<SyncRunRecord?> FindAsync(long runId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SyncRunRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.sync_run r JOIN etl.instance i ON i.id = r.instance_id WHERE r.id = @runId", new { runId }, cancellationToken: cancellationToken));
    }

    /// <summary>The newest runs first, of one instance or of all.</summary>
    public Task<IReadOnlyList<SyncRunRecord>> ListAsync(int? instanceId, int limit, CancellationToken cancellationToken) =>
        SearchAsync(new RunSearch(instanceId is { } id ? [id] : null, Limit: limit), cancellationToken);

    /// <summary>The newest runs first that match every filter given.</summary>
    public async Task<IReadOnlyList<SyncRunRecord>> SearchAsync(RunSearch search, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<SyncRunRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM etl.sync_run r JOIN etl.instance i ON i.id = r.instance_id
            WHERE (@instanceIds::integer[] IS NULL OR r.instance_id = ANY (@instanceIds))
              AND (@status::text IS NULL OR r.status = @status)
              AND (@from::timestamptz IS NULL OR r.started_at >= @from) AND (@to::timestamptz IS NULL OR r.started_at < @to)
            ORDER BY r.id DESC LIMIT @limit
            """, new { instanceIds = search.InstanceIds?.ToArray(), search.Status, from = search.From?.UtcDateTime, to = search.To?.UtcDateTime, limit = search.Limit },
            cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Deletes finished runs that ended before the cut-off; returns how many.</summary>
    public async Task<int> PruneAsync(DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM etl.sync_run WHERE ended_at < @endedBefore AND status NOT IN ('queued', 'running')",
            new { endedBefore = endedBefore.UtcDateTime }, cancellationToken: cancellationToken));
    }

    private static string StreamsJson(RunStats stats) => JsonSerializer.Serialize(stats.Streams.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(
        s => s.Key,
        s => new { read = s.Value.Read, written = s.Value.Written, calls = s.Value.Calls, tokens = s.Value.Tokens }));
}

/// <summary>Which runs to list: of these instances (null: all), with this status, started in [From, To).</summary>
public sealed record RunSearch(IReadOnlyList<int>? InstanceIds = null, string? Status = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 50);

/// <summary>One run as people see it. While it runs, the counts include the progress reported so far.</summary>
public sealed record SyncRunRecord(
    long Id, int InstanceId, string Instance, string Mode, string Status, string RequestedBy, string? Worker, int Resumed,
    int ApiCalls, int Tokens, long RowsRead, long RowsWritten, string Streams, string? Error,
    DateTime RequestedAt, DateTime StartedAt, DateTime? EndedAt);
