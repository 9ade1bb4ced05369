using System.Security.Cryptography;
using System.Text.Json;
using CrmEtl.Core.Forms;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Forms;

/// <summary>A form module: its company, name, public key, the instance it writes to and its settings.</summary>
public sealed record FormModule(int Id, string Company, string Name, string Key, int InstanceId, string Instance, string InstanceKind, FormSettings Settings);

/// <summary>A submission as listed: when, what it gave, and how it went.</summary>
public sealed record FormSubmissionRow(
    long Id, string Module, string? Email, string? Phone, DateTime ReceivedAt, string Status, int Attempts, string? Outcome, string? Result, string? LastError, DateTime? FinishedAt);

public static class FormSubmissionStatus
{
    public const string Queued = "queued", Done = "done", Skipped = "skipped", Failed = "failed";
}

/// <summary>config.form_module and etl.form_submission: the modules, and the durable queue of their submissions.</summary>
public sealed class FormStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string SelectModule = """
        SELECT m.id, m.company, m.name, m.module_key AS Key, m.instance_id AS InstanceId, i.name AS Instance, i.kind AS InstanceKind, m.settings::text AS Settings
        FROM config.form_module m JOIN etl.instance i ON i.id = m.instance_id
        """;

    private sealed record ModuleRow(int Id, string Company, string Name, string Key, int InstanceId, string Instance, string InstanceKind, string Settings)
    {
        public FormModule ToModule() => new(Id, Company, Name, Key, InstanceId, Instance, InstanceKind, JsonSerializer.Deserialize<FormSettings>(Settings, Json)!);
    }

    /// <summary>Adds a module with a new public key (24 random bytes, URL-safe), or changes the settings and instance of the company's module of that name.</summary>
    public async Task<FormModule> SaveAsync(string company, string name, int instanceId, FormSettings settings, CancellationToken ct)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            INSERT INTO config.form_module (company, name, module_key, instance_id, settings) VALUES (@company, @name, @key, @instanceId, @settings::jsonb)
            ON CONFLICT (company, name) DO UPDATE SET instance_id = excluded.instance_id, settings = excluded.settings, updated_at = now()
            RETURNING id
            """, new { company, name, key, instanceId, settings = JsonSerializer.Serialize(settings, Json) }, cancellationToken: ct));
        return (await FindAsync(id, ct))!;
    }

    public async Task<FormModule?> FindAsync(int id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<ModuleRow>(new CommandDefinition(SelectModule + " WHERE m.id = @id", new { id }, cancellationToken: ct)))?.ToModule();
    }

    public async Task<FormModule?> FindByKeyAsync(string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<ModuleRow>(new CommandDefinition(SelectModule + " WHERE m.module_key = @key", new { key }, cancellationToken: ct)))?.ToModule();
    }

    public async Task<FormModule?> FindByNameAsync(string company, string name, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<ModuleRow>(new CommandDefinition(SelectModule + " WHERE m.company = @company AND m.name = @name",
            new { company, name }, cancellationToken: ct)))?.ToModule();
    }

    /// <summary>The modules, of one company or of all.</summary>
    public async Task<IReadOnlyList<FormModule>> ListAsync(string? company, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ModuleRow>(new CommandDefinition(SelectModule + " WHERE @company IS NULL OR m.company = @company ORDER BY m.company, m.name",
            new { company }, cancellationToken: ct))).Select(r => r.ToModule()).ToList();
    }

    /// <summary>Removes a module and its submissions; false when there was none.</summary>
    public async Task<bool> RemoveAsync(int id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM config.form_module WHERE id = @id", new { id }, cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// Queues a submission, once per idempotency key: a POST sent again answers the submission it made the first time
    /// (<c>Created</c> false) and queues nothing.
    /// </summary>
    public async Task<(long Id, bool Created)> EnqueueAsync(int moduleId, string idempotencyKey, IReadOnlyDictionary<string, string> fields, string? email, string? phone,
        string? clientAddress, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO etl.form_submission (module_id, idempotency_key, fields, email, phone, client_address, received_at, next_attempt_at)
            VALUES (@moduleId, @idempotencyKey, @fields::jsonb, @email, @phone, @clientAddress, @now, @now)
            ON CONFLICT (module_id, idempotency_key) DO NOTHING
            RETURNING id
            """, new { moduleId, idempotencyKey, fields = JsonSerializer.Serialize(fields, Json), email, phone, clientAddress, now }, cancellationToken: ct));
        if (id is { } created) return (created, true);
        return (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT id FROM etl.form_submission WHERE module_id = @moduleId AND idempotency_key = @idempotencyKey",
            new { moduleId, idempotencyKey }, cancellationToken: ct)), false);
    }

    /// <summary>The latest submissions, of one module or of a company's (or of all), newest first.</summary>
    public async Task<IReadOnlyList<FormSubmissionRow>> SubmissionsAsync(string? company, int? moduleId, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<FormSubmissionRow>(new CommandDefinition("""
            SELECT s.id, m.name AS Module, s.email, s.phone, s.received_at AS ReceivedAt, s.status, s.attempts, s.outcome, s.result::text AS Result,
                   s.last_error AS LastError, s.finished_at AS FinishedAt
            FROM etl.form_submission s JOIN config.form_module m ON m.id = s.module_id
            WHERE (@company IS NULL OR m.company = @company) AND (@moduleId IS NULL OR s.module_id = @moduleId)
            ORDER BY s.received_at DESC, s.id DESC LIMIT @limit
            """, new { company, moduleId, limit }, cancellationToken: ct))).ToList();
    }
}
