using System.Text.Json;
using CrmEtl.Core.Instances;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Instances;

/// <summary>etl.instance: the connected CRM accounts.</summary>
public sealed class InstanceRepository(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, name, kind, base_url, credentials::text AS credentials, time_zone, reporting_currency, company, enabled, status, last_error";

    public async Task<IReadOnlyList<Instance>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<InstanceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.instance ORDER BY id", cancellationToken: cancellationToken));
        return rows.Select(r => r.ToInstance()).ToList();
    }

    public async Task<Instance?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<InstanceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.instance WHERE name = @name", new { name }, cancellationToken: cancellationToken));
        return row?.ToInstance();
    }

    public async Task<Instance> AddAsync(NewInstance instance, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var row = await connection.QuerySingleAsync<InstanceRecord>(new CommandDefinition($"""
                INSERT INTO etl.instance (name, kind, base_url, credentials, time_zone, reporting_currency, company)
                VALUES (@Name, @Kind, @BaseUrl, @Credentials::jsonb, @TimeZone, @ReportingCurrency, @Company)
                RETURNING {Columns}
                """, new
            {
                instance.Name, instance.Kind, instance.BaseUrl, Credentials = SerializeCredentials(instance.Credentials),
                instance.TimeZone, instance.ReportingCurrency, instance.Company,
            }, cancellationToken: cancellationToken));
            return row.ToInstance();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new InvalidOperationException($"An instance named '{instance.Name}' already exists. Choose another name or remove it first.", e);
        }
    }

    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM etl.instance WHERE name = @name", new { name }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task SetStatusAsync(int id, string status, string? lastError, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.instance SET status = @status, last_error = @lastError, updated_at = now() WHERE id = @id",
            new { id, status, lastError }, cancellationToken: cancellationToken));
    }

    private static string SerializeCredentials(InstanceCredentials c) => JsonSerializer.Serialize(new Dictionary<string, string?>
    {
        ["api_token"] = c.ApiToken, ["api_token_env"] = c.ApiTokenEnv,
    });

    private sealed record InstanceRecord(
        int Id, string Name, string Kind, string Base_Url, string Credentials, string Time_Zone, string Reporting_Currency,
        string? Company, bool Enabled, string Status, string? Last_Error)
    {
        public Instance ToInstance()
        {
            var credentials = JsonSerializer.Deserialize<Dictionary<string, string?>>(Credentials) ?? [];
            return new Instance
            {
                Id = Id, Name = Name, Kind = Kind, BaseUrl = Base_Url,
                Credentials = new InstanceCredentials(credentials.GetValueOrDefault("api_token"), credentials.GetValueOrDefault("api_token_env")),
                TimeZone = Time_Zone, ReportingCurrency = Reporting_Currency, Company = Company, Enabled = Enabled,
                Status = Status, LastError = Last_Error,
            };
        }
    }
}

public sealed record NewInstance(
    string Name, string Kind, string BaseUrl, InstanceCredentials Credentials,
    string TimeZone = "UTC", string ReportingCurrency = "EUR", string? Company = null);
