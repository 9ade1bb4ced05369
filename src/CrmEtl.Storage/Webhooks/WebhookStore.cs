using CrmEtl.Core.Instances;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Webhooks;

/// <summary>An instance's webhook as listed (never its password).</summary>
public sealed record WebhookInfo(int InstanceId, string Instance, string CrmWebhookId, string SubscriptionUrl, string AuthUser, DateTime CreatedAt,
    long Received, DateTime? LastReceivedAt, DateTime? SyncDueAt, long? LastRunId);

/// <summary>etl.webhook: one subscription per instance; received events and the debounced sync they ask for.</summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource, ISecretProtector protector, TimeProvider clock)
{
    private const string Select = """
        SELECT w.instance_id AS InstanceId, i.name AS Instance, w.crm_webhook_id AS CrmWebhookId, w.subscription_url AS SubscriptionUrl, w.auth_user AS AuthUser,
               w.created_at AS CreatedAt, w.received, w.last_received_at AS LastReceivedAt, w.sync_due_at AS SyncDueAt, w.last_run_id AS LastRunId
        FROM etl.webhook w JOIN etl.instance i ON i.id = w.instance_id
        """;

    public async Task SaveAsync(int instanceId, string crmWebhookId, string url, string user, string password, string? createdBy, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO etl.webhook (instance_id, crm_webhook_id, subscription_url, auth_user, auth_password, created_at, created_by)
            VALUES (@instanceId, @crmWebhookId, @url, @user, @password, @now, @createdBy)
            ON CONFLICT (instance_id) DO UPDATE SET crm_webhook_id = excluded.crm_webhook_id, subscription_url = excluded.subscription_url,
                auth_user = excluded.auth_user, auth_password = excluded.auth_password, created_at = excluded.created_at, created_by = excluded.created_by,
                received = 0, last_received_at = NULL, sync_due_at = NULL
            """, new { instanceId, crmWebhookId, url, user, password = protector.Protect(password), now = clock.GetUtcNow(), createdBy }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<WebhookInfo>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<WebhookInfo>(new CommandDefinition(Select + " ORDER BY i.name", cancellationToken: ct))).ToList();
    }

    public async Task<WebhookInfo?> FindAsync(int instanceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<WebhookInfo>(new CommandDefinition(Select + " WHERE w.instance_id = @instanceId", new { instanceId }, cancellationToken: ct));
    }

    /// <summary>The user and decrypted password the receiver expects for the instance; null when it has no webhook.</summary>
    public async Task<(string User, string Password)?> CredentialsAsync(int instanceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string User, string Password)?>(new CommandDefinition(
            "SELECT auth_user, auth_password FROM etl.webhook WHERE instance_id = @instanceId", new { instanceId }, cancellationToken: ct));
        return row is { } r ? (r.User, protector.Unprotect(r.Password)) : null;
    }

    public async Task<bool> RemoveAsync(int instanceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM etl.webhook WHERE instance_id = @instanceId", new { instanceId }, cancellationToken: ct)) == 1;
    }

    /// <summary>Counts a received event and makes a sync due after <paramref name="debounce"/> (unless one is due already: many events, one run).</summary>
    public async Task ReceivedAsync(int instanceId, TimeSpan debounce, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.webhook SET received = received + 1, last_received_at = @now, sync_due_at = coalesce(sync_due_at, @due) WHERE instance_id = @instanceId
            """, new { instanceId, now, due = now + debounce }, cancellationToken: ct));
    }

    /// <summary>The instances whose debounced sync is due, with the due time seen (to clear only that one).</summary>
    public async Task<IReadOnlyList<(int InstanceId, DateTime DueAt)>> DueAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(int, DateTime)>(new CommandDefinition(
            "SELECT instance_id, sync_due_at FROM etl.webhook WHERE sync_due_at <= @now", new { now = clock.GetUtcNow() }, cancellationToken: ct))).ToList();
    }

    /// <summary>The sync was asked for: clears the due time seen (a later event's stays) and records the run.</summary>
    public async Task SyncRequestedAsync(int instanceId, DateTime dueAt, long runId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.webhook SET sync_due_at = NULL, last_run_id = @runId WHERE instance_id = @instanceId AND sync_due_at = @dueAt",
            new { instanceId, dueAt, runId }, cancellationToken: ct));
    }
}
