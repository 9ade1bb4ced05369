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

/// <summary>How many submissions of a module have a status.</summary>
public sealed record FormSubmissionCount(int ModuleId, string Status, long Count);

/// <summary>A claimed submission: its values, and the CRM writes already made (progress) or perhaps made (pending step).</summary>
public sealed record FormSubmissionToRun(
    long Id, int ModuleId, IReadOnlyDictionary<string, string> Fields, string? Email, string? Phone, DateTimeOffset ReceivedAt, int Attempts,
    IReadOnlyDictionary<string, long> Progress, string? PendingStep);

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

    /// <summary>Claims up to <paramref name="limit"/> due submissions for <paramref name="lease"/>, oldest first, skipping those another worker holds.</summary>
    public async Task<IReadOnlyList<FormSubmissionToRun>> ClaimAsync(string worker, int limit, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ClaimedRow>(new CommandDefinition("""
            UPDATE etl.form_submission s SET claimed_by = @worker, claimed_until = @until
            FROM (SELECT id FROM etl.form_submission
                  WHERE status = 'queued' AND next_attempt_at <= @now AND (claimed_until IS NULL OR claimed_until < @now)
                  ORDER BY next_attempt_at, id LIMIT @limit FOR UPDATE SKIP LOCKED) due
            WHERE s.id = due.id
            RETURNING s.id, s.module_id AS ModuleId, s.fields::text AS Fields, s.email, s.phone, s.received_at AS ReceivedAt, s.attempts,
                      s.progress::text AS Progress, s.pending_step AS PendingStep
            """, new { worker, limit, now, until = now + lease }, cancellationToken: ct));
        return rows.OrderBy(r => r.Id).Select(r => new FormSubmissionToRun(r.Id, r.ModuleId,
            JsonSerializer.Deserialize<Dictionary<string, string>>(r.Fields, Json)!, r.Email, r.Phone, new DateTimeOffset(DateTime.SpecifyKind(r.ReceivedAt, DateTimeKind.Utc)),
            r.Attempts, JsonSerializer.Deserialize<Dictionary<string, long>>(r.Progress, Json)!, r.PendingStep)).ToList();
    }

    private sealed record ClaimedRow(long Id, int ModuleId, string Fields, string? Email, string? Phone, DateTime ReceivedAt, int Attempts, string Progress, string? PendingStep);

    /// <summary>Notes the CRM write about to be made, committed before it is sent: a retry after a crash looks it up first.</summary>
    public async Task StepPendingAsync(long id, string step, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE etl.form_submission SET pending_step = @step WHERE id = @id", new { id, step }, cancellationToken: ct));
    }

    /// <summary>Records a CRM write made (the record's id), and that none is pending.</summary>
    public async Task StepDoneAsync(long id, string step, long recordId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.form_submission SET progress = progress || jsonb_build_object(@step, @recordId), pending_step = NULL WHERE id = @id",
            new { id, step, recordId }, cancellationToken: CancellationToken.None));
    }

    /// <summary>Ends a submission: done or skipped, with its outcome and the CRM records (ids and links).</summary>
    public async Task FinishAsync(long id, string status, string outcome, object result, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.form_submission SET status = @status, outcome = @outcome, result = @result::jsonb, finished_at = @now, pending_step = NULL,
                claimed_by = NULL, claimed_until = NULL, last_error = NULL
            WHERE id = @id
            """, new { id, status, outcome, result = JsonSerializer.Serialize(result, Json), now = clock.GetUtcNow() }, cancellationToken: CancellationToken.None));
    }

    /// <summary>Puts a submission off after a failure (the CRM down, out of budget…): tried again at <paramref name="next"/>, or failed for good when null.</summary>
    public async Task PutOffAsync(long id, string error, DateTimeOffset? next, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.form_submission SET attempts = attempts + 1, last_error = @error, claimed_by = NULL, claimed_until = NULL,
                status = CASE WHEN @next IS NULL THEN 'failed' ELSE status END, next_attempt_at = coalesce(@next, next_attempt_at),
                finished_at = CASE WHEN @next IS NULL THEN @now ELSE finished_at END
            WHERE id = @id
            """, new { id, error, next, now = clock.GetUtcNow() }, cancellationToken: CancellationToken.None));
    }

    /// <summary>Gives a claimed submission back untouched (its person is being written by another worker): it is tried again soon.</summary>
    public async Task ReleaseAsync(long id, DateTimeOffset next, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE etl.form_submission SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = @next WHERE id = @id",
            new { id, next }, cancellationToken: CancellationToken.None));
    }

    /// <summary>
    /// Holds the person's lock (one submission of an e-mail or phone of a company at a time, across workers) on its own
    /// connection until disposed; null when another worker holds it.
    /// </summary>
    public async Task<IAsyncDisposable?> TryLockPersonAsync(string company, string person, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        var key = $"form-person\n{company}\n{person}";
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(hashtextextended(@key, 23))", new { key }, cancellationToken: ct)))
            return new PersonLock(connection, key);
        await connection.DisposeAsync();
        return null;
    }

    private sealed class PersonLock(NpgsqlConnection connection, string key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try { await connection.ExecuteAsync("SELECT pg_advisory_unlock(hashtextextended(@key, 23))", new { key }); }
            finally { await connection.DisposeAsync(); }
        }
    }

    /// <summary>How many submissions each module of the company has, by status.</summary>
    public async Task<IReadOnlyList<FormSubmissionCount>> CountsAsync(string company, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<FormSubmissionCount>(new CommandDefinition("""
            SELECT s.module_id AS ModuleId, s.status, count(*) AS Count
            FROM etl.form_submission s JOIN config.form_module m ON m.id = s.module_id
            WHERE m.company = @company
            GROUP BY s.module_id, s.status
            """, new { company }, cancellationToken: ct))).ToList();
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
