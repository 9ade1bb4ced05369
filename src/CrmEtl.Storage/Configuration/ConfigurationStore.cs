using System.Text.Json;
using CrmEtl.Core.Configuration;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Configuration;

/// <summary>
/// The config.* tables: a company's configuration is read whole and replaced whole, in one
/// transaction, so a half-edited mapping is never what the analytics are built from.
/// An instance without a company is a company of its own, under the instance's name.
/// </summary>
public sealed class ConfigurationStore(NpgsqlDataSource dataSource)
{
    public const string CompanyOfInstanceSql = "coalesce(i.company, i.name)";

    public async Task<IReadOnlyList<string>> CompaniesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT DISTINCT {CompanyOfInstanceSql} FROM etl.instance i ORDER BY 1", cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>The company an instance belongs to, or null if there is no such instance.</summary>
    public async Task<string?> CompanyOfAsync(string instanceName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            $"SELECT {CompanyOfInstanceSql} FROM etl.instance i WHERE lower(i.name) = lower(@instanceName)", new { instanceName }, cancellationToken: cancellationToken));
    }

    public async Task<CompanyConfiguration> LoadAsync(string company, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var args = new { company };
        CommandDefinition Sql(string sql) => new(sql, args, cancellationToken: cancellationToken);
        var currency = await connection.QuerySingleOrDefaultAsync<string>(Sql("SELECT reporting_currency FROM config.company WHERE name = @company"))
            ?? await connection.QueryFirstOrDefaultAsync<string>(Sql($"SELECT reporting_currency FROM etl.instance i WHERE {CompanyOfInstanceSql} = @company ORDER BY id"))
            ?? "EUR";
        var steps = await connection.QueryAsync<StepRecord>(Sql(
            "SELECT funnel, position, step, marker FROM config.funnel_step WHERE company = @company ORDER BY funnel, position"));
        var stages = await connection.QueryAsync<StageRecord>(Sql("""
            SELECT i.name AS instance, m.stage_id, m.funnel, f.step
            FROM config.stage_mapping m
            JOIN etl.instance i ON i.id = m.instance_id
            JOIN config.funnel_step f ON f.company = m.company AND f.funnel = m.funnel AND f.position = m.position
            LEFT JOIN crm.stage s ON s.instance_id = m.instance_id AND s.id = m.stage_id
            WHERE m.company = @company
            ORDER BY i.name, m.funnel, f.position, s.pipeline_id, s.order_nr, m.stage_id
            """));
        var kpis = await connection.QueryAsync<KpiRecord>(Sql("""
            SELECT k.name, k.kind, k.funnel, f.step, k.measure, array_to_string(k.activity_types, ',') AS activity_types, k.lead_source, k.expression
            FROM config.kpi k LEFT JOIN config.funnel_step f ON f.company = k.company AND f.funnel = k.funnel AND f.position = k.position
            WHERE k.company = @company ORDER BY k.id
            """));
        var dimensions = await connection.QueryAsync<DimensionRecord>(Sql($"""
            SELECT i.name AS instance, d.pipeline_id, d.country, d.geo_area, d.product
            FROM config.dimension d JOIN etl.instance i ON i.id = d.instance_id
            WHERE {CompanyOfInstanceSql} = @company ORDER BY i.name, d.pipeline_id NULLS FIRST
            """));
        var people = await connection.QueryAsync<PersonRecord>(Sql($"""
            SELECT i.name AS instance, p.user_id, p.person, p.team
            FROM config.person p JOIN etl.instance i ON i.id = p.instance_id
            WHERE {CompanyOfInstanceSql} = @company ORDER BY i.name, p.user_id
            """));
        var filters = await connection.QueryAsync<FilterRecord>(Sql($"""
            SELECT i.name AS instance, r.entity, r.mode, r.condition
            FROM config.record_filter r JOIN etl.instance i ON i.id = r.instance_id
            WHERE {CompanyOfInstanceSql} = @company ORDER BY r.id
            """));
        var targets = await connection.QueryAsync<TargetRecord>(Sql("""
            SELECT k.name AS kpi, t.period, t.period_start, t.assignee_kind, t.assignee, t.value
            FROM config.target t JOIN config.kpi k ON k.id = t.kpi_id
            WHERE k.company = @company ORDER BY k.name, t.period, t.period_start, t.assignee_kind, t.assignee
            """));
        return new CompanyConfiguration(company)
        {
            ReportingCurrency = currency,
            Steps = steps.Select(s => new FunnelStepRow(s.Funnel, s.Position, s.Step, ConfigurationCsv.ParseMarker(s.Marker))).ToList(),
            Stages = stages.Select(s => new StageMappingRow(s.Instance, s.Stage_Id, s.Funnel, s.Step)).ToList(),
            Kpis = kpis.Select(k => new KpiRow(k.Name, k.Kind, k.Funnel, k.Step, k.Measure, k.Activity_Types?.Split(',') ?? [], k.Lead_Source, k.Expression)).ToList(),
            Dimensions = dimensions.Select(d => new DimensionRow(d.Instance, d.Pipeline_Id, d.Country, d.Geo_Area, d.Product)).ToList(),
            People = people.Select(p => new PersonRow(p.Instance, p.User_Id, p.Person, p.Team)).ToList(),
            Filters = filters.Select(f => new FilterRow(f.Instance, f.Entity, f.Mode, f.Condition)).ToList(),
            Targets = targets.Select(t => new TargetRow(t.Kpi, t.Period, t.Period_Start, t.Assignee_Kind, t.Assignee, t.Value)).ToList(),
        };
    }

    /// <summary>Replaces the company's whole configuration. Validate it first: names are resolved here without messages.</summary>
    public async Task SaveAsync(CompanyConfiguration config, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var company = config.Company;
        async Task Exec(string sql, object? args = null) =>
            await connection.ExecuteAsync(new CommandDefinition(sql, args ?? new { company }, tx, cancellationToken: cancellationToken));

        await Exec("""
            INSERT INTO config.company (name, reporting_currency) VALUES (@company, @currency)
            ON CONFLICT (name) DO UPDATE SET reporting_currency = excluded.reporting_currency, updated_at = now()
            """, new { company, currency = config.ReportingCurrency });
        // Steps cascade to stage mappings, KPIs and their targets.
        await Exec("DELETE FROM config.funnel_step WHERE company = @company");
        await Exec("DELETE FROM config.kpi WHERE company = @company");
        foreach (var table in new[] { "config.dimension", "config.person", "config.record_filter" })
            await Exec($"DELETE FROM {table} WHERE instance_id IN (SELECT id FROM etl.instance i WHERE {CompanyOfInstanceSql} = @company)");

        var instances = (await connection.QueryAsync<(int Id, string Name)>(new CommandDefinition(
            $"SELECT id, name FROM etl.instance i WHERE {CompanyOfInstanceSql} = @company", new { company }, tx, cancellationToken: cancellationToken)))
            .ToDictionary(i => i.Name, i => i.Id, StringComparer.OrdinalIgnoreCase);
        // Funnel names are stored as the steps spell them; other rows may spell them in any case.
        var funnelNames = config.Steps.Select(s => s.Funnel).Distinct(StringComparer.OrdinalIgnoreCase).ToDictionary(f => f, StringComparer.OrdinalIgnoreCase);
        int PositionOf(string funnel, string step) =>
            config.Steps.First(s => funnelNames[s.Funnel] == funnelNames[funnel] && string.Equals(s.Step, step, StringComparison.OrdinalIgnoreCase)).Position;

        await Exec("INSERT INTO config.funnel_step (company, funnel, position, step, marker) VALUES (@company, @Funnel, @Position, @Step, @Marker)",
            config.Steps.Select(s => new { company, Funnel = funnelNames[s.Funnel], s.Position, s.Step, Marker = s.Marker == Marker.None ? null : ConfigurationCsv.MarkerName(s.Marker) }).ToList());
        await Exec("INSERT INTO config.stage_mapping (instance_id, stage_id, company, funnel, position) VALUES (@Instance, @StageId, @company, @Funnel, @Position)",
            config.Stages.Select(s => new { Instance = instances[s.Instance], s.StageId, company, Funnel = funnelNames[s.Funnel], Position = PositionOf(s.Funnel, s.Step) }).ToList());
        foreach (var k in config.Kpis)
            await Exec("""
                INSERT INTO config.kpi (company, name, kind, funnel, position, measure, activity_types, lead_source, expression)
                VALUES (@company, @Name, @Kind, @Funnel, @Position, @Measure, @ActivityTypes, @LeadSource, @Expression)
                """, new
            {
                company, k.Name, k.Kind, Funnel = k.Funnel is null ? null : funnelNames[k.Funnel],
                Position = k.Funnel is null || k.Step is null ? (int?)null : PositionOf(k.Funnel, k.Step),
                k.Measure, ActivityTypes = k.ActivityTypes is { Count: > 0 } types ? types.Select(t => t.ToLowerInvariant()).ToArray() : null, k.LeadSource, k.Expression,
            });
        await Exec("INSERT INTO config.dimension (instance_id, pipeline_id, country, geo_area, product) VALUES (@Instance, @PipelineId, @Country, @GeoArea, @Product)",
            config.Dimensions.Select(d => new { Instance = instances[d.Instance], d.PipelineId, d.Country, d.GeoArea, d.Product }).ToList());
        await Exec("INSERT INTO config.person (instance_id, user_id, person, team) VALUES (@Instance, @UserId, @Person, @Team)",
            config.People.Select(p => new { Instance = instances[p.Instance], p.UserId, p.Person, p.Team }).ToList());
        await Exec("INSERT INTO config.record_filter (instance_id, entity, mode, condition) VALUES (@Instance, @Entity, @Mode, @Condition)",
            config.Filters.Select(f => new { Instance = instances[f.Instance], f.Entity, f.Mode, f.Condition }).ToList());
        await Exec("""
            INSERT INTO config.target (kpi_id, period, period_start, assignee_kind, assignee, value)
            SELECT k.id, @Period, @PeriodStart, @AssigneeKind, @Assignee, @Value FROM config.kpi k WHERE k.company = @company AND lower(k.name) = lower(@Kpi)
            """, config.Targets.Select(t => new { company, t.Kpi, t.Period, PeriodStart = t.PeriodStart.ToDateTime(TimeOnly.MinValue), t.AssigneeKind, t.Assignee, t.Value }).ToList());
        await tx.CommitAsync(cancellationToken);
        // the rebuild that follows plans its joins on these tables' statistics, which a whole replacement makes stale
        await connection.ExecuteAsync(new CommandDefinition("ANALYZE config.funnel_step, config.stage_mapping, config.kpi", cancellationToken: cancellationToken));
    }

    /// <summary>What the company's CRMs have, from the replica: what a configuration may refer to.</summary>
    public async Task<CrmCatalog> LoadCatalogAsync(string company, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var instances = await connection.QueryAsync<(int Id, string Name, string? Company)>(new CommandDefinition(
            $"SELECT id, name, company FROM etl.instance i WHERE {CompanyOfInstanceSql} = @company ORDER BY id", new { company }, cancellationToken: cancellationToken));
        var catalogs = new List<InstanceCatalog>();
        foreach (var (id, name, companyName) in instances)
        {
            CommandDefinition Sql(string sql) => new(sql, new { id }, cancellationToken: cancellationToken);
            var pipelines = await connection.QueryAsync<(long Id, string Name)>(Sql("SELECT id, name FROM crm.pipeline WHERE instance_id = @id AND NOT is_deleted"));
            var stages = await connection.QueryAsync<(long Id, long PipelineId, string Name, int? OrderNr, string? ForecastType)>(Sql(
                "SELECT id, pipeline_id, name, order_nr, forecast_type FROM crm.stage WHERE instance_id = @id AND NOT is_deleted"));
            var users = await connection.QueryAsync<(long Id, string Name)>(Sql("SELECT id, name FROM crm.crm_user WHERE instance_id = @id"));
            var types = await connection.QueryAsync<string>(Sql("SELECT key_string FROM crm.activity_type WHERE instance_id = @id"));
            var fields = await connection.QueryAsync<(string Code, string Name, string? Options)>(Sql(
                "SELECT field_code, field_name, options::text FROM crm.deal_field WHERE instance_id = @id AND is_custom_field"));
            catalogs.Add(new InstanceCatalog(id, name, companyName)
            {
                Pipelines = pipelines.ToDictionary(p => p.Id, p => p.Name),
                Stages = stages.ToDictionary(s => s.Id, s => new CatalogStage(s.Id, s.PipelineId, s.Name, s.OrderNr, s.ForecastType)),
                Users = users.ToDictionary(u => u.Id, u => u.Name),
                ActivityTypes = types.ToHashSet(StringComparer.OrdinalIgnoreCase),
                DealFields = fields.Select(f => new CatalogField(f.Code, f.Name, OptionIds(f.Options))).ToList(),
            });
        }
        return new CrmCatalog(catalogs);
    }

    /// <summary>The company's exchange rates.</summary>
    public async Task<IReadOnlyList<ExchangeRateRow>> LoadRatesAsync(string company, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Currency, string Reporting, DateOnly From, decimal Rate)>(new CommandDefinition(
            "SELECT currency, reporting_currency, valid_from, rate FROM config.exchange_rate WHERE company = @company ORDER BY 1, 2, 3",
            new { company }, cancellationToken: cancellationToken));
        return rows.Select(r => new ExchangeRateRow(r.Currency, r.Reporting, r.From, r.Rate)).ToList();
    }

    /// <summary>Replaces every rate of the company (an import is the whole table, as exported).</summary>
    public async Task SaveRatesAsync(string company, IReadOnlyList<ExchangeRateRow> rates, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM config.exchange_rate WHERE company = @company", new { company }, tx, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO config.exchange_rate (company, currency, reporting_currency, valid_from, rate) VALUES (@company, @Currency, @ReportingCurrency, @ValidFrom, @Rate)",
            rates.Select(r => new { company, r.Currency, r.ReportingCurrency, ValidFrom = r.ValidFrom.ToDateTime(TimeOnly.MinValue), r.Rate }).ToList(),
            tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Pipedrive option fields list {id, label}; filters may name an option by its label.</summary>
    private static Dictionary<string, string> OptionIds(string? optionsJson)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (optionsJson is null) return result;
        using var doc = JsonDocument.Parse(optionsJson);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) return result;
        foreach (var option in doc.RootElement.EnumerateArray())
            if (option.TryGetProperty("label", out var label) && label.ValueKind == JsonValueKind.String && option.TryGetProperty("id", out var id))
                result.TryAdd(label.GetString()!, id.ToString());
        return result;
    }

    private sealed record StepRecord(string Funnel, int Position, string Step, string? Marker);
    private sealed record StageRecord(string Instance, long Stage_Id, string Funnel, string Step);
    private sealed record KpiRecord(string Name, string Kind, string? Funnel, string? Step, string Measure, string? Activity_Types, string? Lead_Source, string? Expression);
    private sealed record DimensionRecord(string Instance, long? Pipeline_Id, string? Country, string? Geo_Area, string? Product);
    private sealed record PersonRecord(string Instance, long User_Id, string Person, string? Team);
    private sealed record FilterRecord(string Instance, string Entity, string Mode, string Condition);
    private sealed record TargetRecord(string Kpi, string Period, DateOnly Period_Start, string Assignee_Kind, string Assignee, decimal Value);
}
