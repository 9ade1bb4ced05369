using System.Security.Cryptography;
using System.Text.Json;
using CrmEtl.Core.Instances;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Instances;

/// <summary>
/// etl.instance: the connected CRM accounts. Stored tokens are encrypted with the
/// <see cref="ISecretProtector"/> before they reach the database and decrypted when read.
/// </summary>
public sealed class InstanceRepository(NpgsqlDataSource dataSource, ISecretProtector protector, TimeProvider clock)
{
    private const string Columns = "id, name, kind, base_url, credentials::text AS credentials, time_zone, reporting_currency, company, enabled, status, last_error, schedule";

    public async Task<IReadOnlyList<Instance>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<InstanceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.instance ORDER BY id", cancellationToken: cancellationToken));
        return rows.Select(ToInstance).ToList();
    }

    public async Task<Instance?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<InstanceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.instance WHERE name = @name", new { name }, cancellationToken: cancellationToken));
        return row is null ? null : ToInstance(row);
    }

    public async Task<Instance?> FindAsync(int id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<InstanceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.instance WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : ToInstance(row);
    }

    public async Task<Instance> AddAsync(NewInstance instance, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var row = await connection.QuerySingleAsync<InstanceRecord>(new CommandDefinition($"""
                INSERT INTO etl.instance (name, kind, base_url, credentials, time_zone, reporting_currency, company, schedule, created_at, updated_at)
                VALUES (@Name, @Kind, @BaseUrl, @Credentials::jsonb, @TimeZone, @ReportingCurrency, @Company, @Schedule, @Now, @Now)
                RETURNING {Columns}
                """, new
            {
                instance.Name, instance.Kind, instance.BaseUrl, Credentials = SerializeCredentials(instance.Credentials),
                instance.TimeZone, instance.ReportingCurrency, instance.Company, instance.Schedule, Now = clock.GetUtcNow(),
            }, cancellationToken: cancellationToken));
            return ToInstance(row);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DuplicateInstanceNameException($"An instance named '{instance.Name}' already exists. Choose another name or remove it first.", e);
        }
    }

    /// <summary>Changes what the edit gives (null leaves a field as it is; an empty company clears it).</summary>
    public async Task<Instance?> UpdateAsync(int id, InstanceEdit edit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var row = await connection.QuerySingleOrDefaultAsync<InstanceRecord>(new CommandDefinition($"""
                UPDATE etl.instance SET
                    name = coalesce(@Name, name), base_url = coalesce(@BaseUrl, base_url),
                    credentials = coalesce(@Credentials::jsonb, credentials), time_zone = coalesce(@TimeZone, time_zone),
                    reporting_currency = coalesce(@ReportingCurrency, reporting_currency),
                    company = CASE WHEN @Company IS NULL THEN company ELSE nullif(@Company, '') END,
                    schedule = coalesce(@Schedule, schedule), updated_at = @Now
                WHERE id = @id
                RETURNING {Columns}
                """, new
            {
                id, edit.Name, edit.BaseUrl, Credentials = edit.Credentials is null ? null : SerializeCredentials(edit.Credentials),
                edit.TimeZone, edit.ReportingCurrency, edit.Company, edit.Schedule, Now = clock.GetUtcNow(),
            }, cancellationToken: cancellationToken));
            return row is null ? null : ToInstance(row);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DuplicateInstanceNameException($"An instance named '{edit.Name}' already exists. Choose another name.", e);
        }
    }

    /// <summary>Disabling marks the instance disabled; enabling sets the status the connection test found.</summary>
    public async Task SetEnabledAsync(int id, bool enabled, string status, string? lastError, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.instance SET enabled = @enabled, status = @status, last_error = @lastError, updated_at = @now WHERE id = @id",
            new { id, enabled, status, lastError, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    /// <summary>Drops the instance's replica, sync state, per-instance configuration and analytics in one transaction; keeps the instance and its run history.</summary>
    public async Task ResetAsync(int id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT etl.reset_instance(@id)", new { id }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<bool> RemoveAsync(int id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM etl.instance WHERE id = @id", new { id }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Status after a run or a connection test. A disabled instance stays disabled.</summary>
    public async Task SetStatusAsync(int id, string status, string? lastError, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.instance SET status = @status, last_error = @lastError, updated_at = @now WHERE id = @id AND enabled",
            new { id, status, lastError, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    /// <summary>Encrypts tokens that earlier versions stored in plain text; returns how many.</summary>
    public async Task<int> ProtectPlainTokensAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var plain = await connection.QueryAsync<(int Id, string Token)>(new CommandDefinition(
            "SELECT id, credentials->>'api_token' FROM etl.instance WHERE credentials ? 'api_token'", cancellationToken: cancellationToken));
        var count = 0;
        foreach (var (id, token) in plain)
            count += await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE etl.instance SET credentials = @credentials::jsonb WHERE id = @id AND credentials ? 'api_token'",
                new { id, credentials = SerializeCredentials(new InstanceCredentials(token, null)) }, cancellationToken: cancellationToken));
        return count;
    }

    private string SerializeCredentials(InstanceCredentials c)
    {
        var stored = new Dictionary<string, string>();
        if (c.ApiTokenEnv is not null) stored["api_token_env"] = c.ApiTokenEnv;
        else if (c.ApiToken is not null) stored["api_token_protected"] = protector.Protect(c.ApiToken);
        if (c.ClientId is not null) stored["client_id"] = c.ClientId;
        if (c.ClientSecret is not null) stored["client_secret_protected"] = protector.Protect(c.ClientSecret);
        if (c.RefreshToken is not null) stored["refresh_token_protected"] = protector.Protect(c.RefreshToken);
        return JsonSerializer.Serialize(stored);
    }

    private InstanceCredentials ReadCredentials(string json, string instanceName)
    {
        var stored = JsonSerializer.Deserialize<Dictionary<string, string?>>(json) ?? [];
        string? Open(string key) => stored.GetValueOrDefault(key) is { } sealedValue ? protector.Unprotect(sealedValue) : null;
        try
        {
            return new InstanceCredentials(
                stored.GetValueOrDefault("api_token_protected") is null ? stored.GetValueOrDefault("api_token") : Open("api_token_protected"),
                stored.GetValueOrDefault("api_token_env"))
            {
                ClientId = stored.GetValueOrDefault("client_id"),
                ClientSecret = Open("client_secret_protected"),
                RefreshToken = Open("refresh_token_protected"),
            };
        }
        catch (CryptographicException)
        {
            return new InstanceCredentials(null, null)
            {
                Unreadable = $"The stored credentials of '{instanceName}' cannot be decrypted with this process's Data Protection keys. " +
                    "Give every worker and command the same keys directory (DataProtection:KeysDirectory), or store them again with " +
                    $"'crmetl instances edit \"{instanceName}\"' (--token for Pipedrive; --client-secret and --refresh-token for Zoho).",
            };
        }
    }

    private Instance ToInstance(InstanceRecord r) => new()
    {
        Id = r.Id, Name = r.Name, Kind = r.Kind, BaseUrl = r.Base_Url, Credentials = ReadCredentials(r.Credentials, r.Name),
        TimeZone = r.Time_Zone, ReportingCurrency = r.Reporting_Currency, Company = r.Company, Enabled = r.Enabled,
        Status = r.Status, LastError = r.Last_Error, Schedule = r.Schedule,
    };

    private sealed record InstanceRecord(
        int Id, string Name, string Kind, string Base_Url, string Credentials, string Time_Zone, string Reporting_Currency,
        string? Company, bool Enabled, string Status, string? Last_Error, string Schedule);
}

/// <summary>Instance names are unique.</summary>
public sealed class DuplicateInstanceNameException(string message, Exception inner) : InvalidOperationException(message, inner);

public sealed record NewInstance(
    string Name, string Kind, string BaseUrl, InstanceCredentials Credentials,
    string TimeZone = "UTC", string ReportingCurrency = "EUR", string? Company = null, string Schedule = InstanceSchedule.Default);

/// <summary>An edit of an instance: null leaves a field unchanged; an empty <see cref="Company"/> clears it.</summary>
public sealed record InstanceEdit(
    string? Name = null, string? BaseUrl = null, InstanceCredentials? Credentials = null, string? TimeZone = null,
    string? ReportingCurrency = null, string? Company = null, string? Schedule = null);
