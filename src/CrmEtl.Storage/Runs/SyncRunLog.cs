using System.Text.Json;
using CrmEtl.Core.Sync;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Runs;

/// <summary>etl.sync_run: one row per run with its outcome and per-stream figures.</summary>
public sealed class SyncRunLog(NpgsqlDataSource dataSource)
{
    public async Task<long> StartAsync(int instanceId, SyncMode mode, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO etl.sync_run (instance_id, mode) VALUES (@instanceId, @mode) RETURNING id",
            new { instanceId, mode = mode == SyncMode.Full ? "full" : "incremental" }, cancellationToken: cancellationToken));
    }

    public async Task FinishAsync(long runId, RunStatus status, RunStats stats, string? error, CancellationToken cancellationToken)
    {
        var streams = JsonSerializer.Serialize(stats.Streams.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(
            s => s.Key,
            s => new { read = s.Value.Read, written = s.Value.Written, calls = s.Value.Calls, tokens = s.Value.Tokens }));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.sync_run
            SET ended_at = now(), status = @status, api_calls = @calls, tokens = @tokens,
                rows_read = @read, rows_written = @written, streams = @streams::jsonb, error = @error
            WHERE id = @runId
            """, new
        {
            runId, status = status.ToDbName(), calls = stats.Calls, tokens = stats.Tokens,
            read = stats.Read, written = stats.Written, streams, error,
        }, cancellationToken: cancellationToken));
    }

    public async Task<SyncRunRecord?> FindAsync(long runId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SyncRunRecord>(new CommandDefinition("""
            SELECT id, instance_id AS InstanceId, mode, status, api_calls AS ApiCalls, tokens, rows_read AS RowsRead,
                   rows_written AS RowsWritten, streams::text AS Streams, error, started_at AS StartedAt, ended_at AS EndedAt
            FROM etl.sync_run WHERE id = @runId
            """, new { runId }, cancellationToken: cancellationToken));
    }

    /// <summary>When the instance last finished a run successfully, or null.</summary>
    public async Task<DateTimeOffset?> LastSuccessAsync(int instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var at = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT max(started_at) FROM etl.sync_run WHERE instance_id = @instanceId AND status = 'succeeded'",
            new { instanceId }, cancellationToken: cancellationToken));
        return at is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
    }
}

public sealed record SyncRunRecord(
    long Id, int InstanceId, string Mode, string Status, int ApiCalls, int Tokens, long RowsRead, long RowsWritten,
    string Streams, string? Error, DateTime StartedAt, DateTime? EndedAt);
