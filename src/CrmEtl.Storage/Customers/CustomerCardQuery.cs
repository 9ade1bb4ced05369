using CrmEtl.Core.Configuration;
using CrmEtl.Core.Customers;
using CrmEtl.Storage.Configuration;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Customers;

/// <summary>Which instances a card reads: a company's, or one instance (and then its company's rates).</summary>
public sealed record CardScope(string? Company, int? InstanceId);

/// <summary>Everything the replica holds for a card, read in one round trip.</summary>
public sealed record CardData(
    IReadOnlyList<CardInstance> Instances, string ReportingCurrency, IReadOnlyList<ExchangeRateRow> Rates,
    IReadOnlyList<CardContactRow> Contacts, IReadOnlyList<CardDealRow> Deals, IReadOnlyList<PlannedActivity> Activities);

/// <summary>
/// Reads a customer card from the replica: the live contacts having one of the e-mails (crm.contact_email, already
/// trimmed and lower-cased), their deals that are not deleted, the planned activities of those deals, and the company's
/// reporting currency and rates. One batch of statements on one connection: the card answers within milliseconds.
/// </summary>
public sealed class CustomerCardQuery(NpgsqlDataSource dataSource)
{
    private const string Scope = $"""
        scope AS (
            SELECT i.id FROM etl.instance i
            WHERE (@company::text IS NULL OR {ConfigurationStore.CompanyOfInstanceSql} = @company) AND (@instance::int IS NULL OR i.id = @instance)),
        matched AS (
            SELECT DISTINCT e.instance_id, e.contact_id FROM crm.contact_email e
            WHERE e.email = ANY(@emails) AND e.instance_id IN (SELECT id FROM scope))
        """;

    public async Task<CardData> ReadAsync(CardScope scope, IReadOnlyList<string> emails, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var sql = $"""
            SELECT i.id, i.name, i.kind, i.time_zone AS TimeZone, i.web_url AS WebAddress,
                   (SELECT max(r.ended_at) FROM etl.sync_run r WHERE r.instance_id = i.id AND r.status = 'succeeded') AS LastSynced
            FROM etl.instance i WHERE i.id IN (WITH {Scope} SELECT id FROM scope) ORDER BY i.id;

            SELECT coalesce(c.reporting_currency, i.reporting_currency) AS currency, {ConfigurationStore.CompanyOfInstanceSql} AS company
            FROM etl.instance i LEFT JOIN config.company c ON c.name = {ConfigurationStore.CompanyOfInstanceSql}
            WHERE i.id IN (WITH {Scope} SELECT id FROM scope) ORDER BY i.id LIMIT 1;

            SELECT r.currency, r.reporting_currency AS Reporting, r.valid_from AS ValidFrom, r.rate
            FROM config.exchange_rate r
            WHERE r.company = (SELECT {ConfigurationStore.CompanyOfInstanceSql} FROM etl.instance i WHERE i.id IN (WITH {Scope} SELECT id FROM scope) ORDER BY i.id LIMIT 1);

            WITH {Scope}
            SELECT c.instance_id AS InstanceId, c.id, c.name, o.name AS Organization, c.emails::text AS Emails, c.phones::text AS Phones
            FROM matched m
            JOIN crm.contact c ON c.instance_id = m.instance_id AND c.id = m.contact_id
            LEFT JOIN crm.organization o ON o.instance_id = c.instance_id AND o.id = c.org_id AND NOT o.is_deleted;

            WITH {Scope}
            SELECT d.instance_id AS InstanceId, d.id, d.person_id AS PersonId, d.title, d.value, d.currency, d.status,
                   s.name AS Stage, p.name AS Pipeline, d.add_time AS AddTime
            FROM matched m
            JOIN crm.deal d ON d.instance_id = m.instance_id AND d.person_id = m.contact_id AND NOT d.is_deleted
            LEFT JOIN crm.stage s ON s.instance_id = d.instance_id AND s.id = d.stage_id
            LEFT JOIN crm.pipeline p ON p.instance_id = d.instance_id AND p.id = d.pipeline_id;

            WITH {Scope}
            SELECT a.instance_id AS InstanceId, a.deal_id AS DealId, coalesce(a.subject, '') AS Subject, coalesce(a.type, '') AS Type,
                   a.due_date AS DueDate, extract(epoch FROM a.due_time)::int AS DueSeconds
            FROM matched m
            JOIN crm.deal d ON d.instance_id = m.instance_id AND d.person_id = m.contact_id AND NOT d.is_deleted
            JOIN crm.activity a ON a.instance_id = d.instance_id AND a.deal_id = d.id AND NOT a.done AND NOT a.is_deleted
            WHERE a.due_date IS NOT NULL;
            """;
        var parameters = new { company = scope.Company, instance = scope.InstanceId, emails = emails.ToArray() };
        using var reader = await connection.QueryMultipleAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        var instances = (await reader.ReadAsync<InstanceRow>()).Select(i => new CardInstance(i.Id, i.Name, i.Kind, i.TimeZone, i.WebAddress, Utc(i.LastSynced))).ToList();
        var currency = (await reader.ReadAsync<(string Currency, string Company)>()).FirstOrDefault().Currency ?? "EUR";
        var rates = (await reader.ReadAsync<(string Currency, string Reporting, DateOnly ValidFrom, decimal Rate)>())
            .Select(r => new ExchangeRateRow(r.Currency, r.Reporting, r.ValidFrom, r.Rate)).ToList();
        var contacts = (await reader.ReadAsync<CardContactRow>()).ToList();
        var deals = (await reader.ReadAsync<DealRow>())
            .Select(d => new CardDealRow(d.InstanceId, d.Id, d.PersonId, d.Title, d.Value, d.Currency, d.Status, d.Stage, d.Pipeline, Utc(d.AddTime)!.Value)).ToList();
        var activities = (await reader.ReadAsync<ActivityRow>())
            .Select(a => new PlannedActivity(a.InstanceId, a.DealId, a.Subject, a.Type, a.DueDate, a.DueSeconds is { } s ? TimeOnly.FromTimeSpan(TimeSpan.FromSeconds(s)) : null)).ToList();
        return new CardData(instances, currency, rates, contacts, deals, activities);
    }

    /// <summary>The live contacts of an instance having one of the e-mails (trimmed, lower-case), lowest id first.</summary>
    public async Task<IReadOnlyList<long>> ContactIdsAsync(int instanceId, IReadOnlyList<string> emails, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT DISTINCT contact_id FROM crm.contact_email WHERE instance_id = @instanceId AND email = ANY(@emails) ORDER BY contact_id",
            new { instanceId, emails = emails.ToArray() }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>The CRM's web address kept on the instance; null until it has been read.</summary>
    public async Task<string?> WebAddressAsync(int instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT web_url FROM etl.instance WHERE id = @instanceId",
            new { instanceId }, cancellationToken: cancellationToken));
    }

    /// <summary>Keeps the CRM's web address once read, so that later cards link without asking the CRM.</summary>
    public async Task SetWebAddressAsync(int instanceId, string webAddress, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE etl.instance SET web_url = @webAddress WHERE id = @instanceId",
            new { instanceId, webAddress }, cancellationToken: cancellationToken));
    }

    private static DateTimeOffset? Utc(DateTime? at) => at is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;

    private sealed record InstanceRow(int Id, string Name, string Kind, string TimeZone, string? WebAddress, DateTime? LastSynced);

    private sealed record DealRow(int InstanceId, long Id, long PersonId, string? Title, decimal? Value, string? Currency, string Status,
        string? Stage, string? Pipeline, DateTime AddTime);

    private sealed record ActivityRow(int InstanceId, long DealId, string Subject, string Type, DateOnly DueDate, int? DueSeconds);
}
