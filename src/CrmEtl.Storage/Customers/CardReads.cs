using System.Text.Json;
using CrmEtl.Core.Customers;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Customers;

/// <summary>A customer as read from the CRM just now, in the card's terms, and when.</summary>
public sealed record FreshRows(IReadOnlyList<CardContactRow> Contacts, IReadOnlyList<CardDealRow> Deals, IReadOnlyList<PlannedActivity> Activities);

public sealed record ReplicaStage(long Id, long PipelineId, string Name, string? ForecastType);

/// <summary>What a fresh read's ids and names stand for in the replica.</summary>
public sealed record ReplicaNames(IReadOnlyList<ReplicaStage> Stages, IReadOnlyDictionary<long, string> Pipelines, IReadOnlyDictionary<long, string> Organizations)
{
    public string? Stage(long? id) => Stages.FirstOrDefault(s => s.Id == id)?.Name;

    public string? Pipeline(long? id) => id is { } i && Pipelines.TryGetValue(i, out var name) ? name : null;

    public string? Organization(long? id) => id is { } i && Organizations.TryGetValue(i, out var name) ? name : null;

    /// <summary>A stage named in a pipeline named so (or in any pipeline, when no pipeline has that name).</summary>
    public ReplicaStage? StageNamed(string? pipeline, string? stage)
    {
        var named = Stages.Where(s => s.Name == stage).ToList();
        return named.FirstOrDefault(s => Pipeline(s.PipelineId) == pipeline) ?? named.FirstOrDefault();
    }
}

/// <summary>
/// etl.card_read and etl.card_budget: fresh cards kept a short while, keyed by instance and the customer's e-mails, and
/// the API units fresh reads spent per instance and UTC day, reserved before a read (so that concurrent reads on
/// several workers never spend more than the allowance together) and the unused part given back after it.
/// </summary>
public sealed class CardReads(NpgsqlDataSource dataSource)
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public async Task<(FreshRows Rows, DateTimeOffset ReadAt)?> FindAsync(int instanceId, IReadOnlyList<string> emails, DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Reading, DateTime ReadAt)?>(new CommandDefinition(
            "SELECT reading::text, read_at FROM etl.card_read WHERE instance_id = @instanceId AND emails = @emails AND read_at >= @since",
            new { instanceId, emails = Key(emails), since }, cancellationToken: ct));
        return row is { } r ? (JsonSerializer.Deserialize<FreshRows>(r.Reading, Json)!, new DateTimeOffset(DateTime.SpecifyKind(r.ReadAt, DateTimeKind.Utc))) : null;
    }

    public async Task SaveAsync(int instanceId, IReadOnlyList<string> emails, FreshRows rows, DateTimeOffset readAt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO etl.card_read (instance_id, emails, read_at, reading) VALUES (@instanceId, @emails, @readAt, @reading::jsonb)
            ON CONFLICT (instance_id, emails) DO UPDATE SET read_at = excluded.read_at, reading = excluded.reading;
            DELETE FROM etl.card_read WHERE read_at < @readAt - interval '1 day';
            """, new { instanceId, emails = Key(emails), readAt, reading = JsonSerializer.Serialize(rows, Json) }, cancellationToken: ct));
    }

    /// <summary>Forgets the kept reads of an instance that include one of the e-mails (a contact was just added with them).</summary>
    public async Task ForgetAsync(int instanceId, IReadOnlyList<string> emails, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM etl.card_read WHERE instance_id = @instanceId AND emails && @emails",
            new { instanceId, emails = Key(emails) }, cancellationToken: ct));
    }

    /// <summary>Reserves <paramref name="units"/> of the day's <paramref name="allowance"/>; false when they are no longer there.</summary>
    public async Task<bool> ReserveAsync(int instanceId, DateOnly day, int units, int allowance, CancellationToken ct)
    {
        if (units > allowance) return false;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition("""
            INSERT INTO etl.card_budget AS b (instance_id, day, spent) VALUES (@instanceId, @day, @units)
            ON CONFLICT (instance_id, day) DO UPDATE SET spent = b.spent + @units WHERE b.spent + @units <= @allowance
            RETURNING spent
            """, new { instanceId, day, units, allowance }, cancellationToken: ct)) is not null;
    }

    public async Task GiveBackAsync(int instanceId, DateOnly day, int units, CancellationToken ct)
    {
        if (units <= 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE etl.card_budget SET spent = greatest(spent - @units, 0) WHERE instance_id = @instanceId AND day = @day",
            new { instanceId, day, units }, cancellationToken: ct));
    }

    public async Task<int> SpentAsync(int instanceId, DateOnly day, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT spent FROM etl.card_budget WHERE instance_id = @instanceId AND day = @day",
            new { instanceId, day }, cancellationToken: ct)) ?? 0;
    }

    /// <summary>The replica's stages, pipelines and the named organizations of an instance, for a fresh read's ids and names.</summary>
    public async Task<ReplicaNames> NamesAsync(int instanceId, IReadOnlyList<long> organizationIds, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        using var reader = await connection.QueryMultipleAsync(new CommandDefinition("""
            SELECT id, pipeline_id AS PipelineId, name, forecast_type AS ForecastType FROM crm.stage WHERE instance_id = @instanceId AND NOT is_deleted;
            SELECT id, name FROM crm.pipeline WHERE instance_id = @instanceId;
            SELECT id, name FROM crm.organization WHERE instance_id = @instanceId AND id = ANY(@organizationIds) AND NOT is_deleted;
            """, new { instanceId, organizationIds = organizationIds.ToArray() }, cancellationToken: ct));
        var stages = (await reader.ReadAsync<ReplicaStage>()).ToList();
        var pipelines = (await reader.ReadAsync<(long Id, string? Name)>()).ToDictionary(r => r.Id, r => r.Name ?? "");
        var organizations = (await reader.ReadAsync<(long Id, string? Name)>()).ToDictionary(r => r.Id, r => r.Name ?? "");
        return new ReplicaNames(stages, pipelines, organizations);
    }

    private static string[] Key(IReadOnlyList<string> emails) => emails.Order(StringComparer.Ordinal).Distinct().ToArray();
}
