using CrmEtl.Core.Configuration;
using CrmEtl.Core.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests;

/// <summary>
/// The same sales history kept in Pipedrive (won/lost as statuses, a changelog) and in Zoho CRM
/// (Closed Won/Closed Lost stages, DealHistory, tasks and calls as modules) gives the same numbers.
/// </summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and database
public sealed class ZohoMetricsTests
{
    [Test]
    public async Task A_zoho_instance_and_a_pipedrive_instance_with_equivalent_data_have_equal_metrics()
    {
        // Both sandboxes generate their history as of the test clock's instant: the two accounts hold the same one.
        await using var pipedrive = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 9, Deals = 700, Activities = 1_500, Leads = 150 });
        await using var zoho = await ZohoWorld.StartAsync(new ZohoOrgOptions { Name = "acme-de", Seed = 9, Deals = 700, Activities = 1_500, Leads = 150 });

        var fromPipedrive = await MetricsAsync(await pipedrive.NewReplicaAsync(), ["task", "deadline", "email"]);
        var fromZoho = await MetricsAsync(await zoho.NewReplicaAsync(), ["task"]);

        Assert.That(fromPipedrive.Where(r => r.StartsWith("Won|", StringComparison.Ordinal)).Count(), Is.GreaterThan(5), "a comparison of empty metrics proves little");
        Assert.That(fromZoho, Is.EqualTo(fromPipedrive));
    }

    /// <summary>
    /// Scaffolded deal funnel (Zoho's lead funnel has no Pipedrive counterpart), won value, win rate, completed calls and
    /// tasks, new leads: every instance-level KPI per month and quarter. A completed activity counts on the day it was
    /// marked done, all-day or not (DOMAIN.md), so Pipedrive's all-day calls and tasks land where Zoho's timed calls and
    /// its tasks' Closed_Time put them.
    /// </summary>
    internal static async Task<List<string>> MetricsAsync(PipedriveWorld.Replica replica, string[] taskTypes)
    {
        var outcome = await replica.SyncAsync(SyncMode.Full);
        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        var store = replica.Host.Services.GetRequiredService<ConfigurationStore>();
        var catalog = await store.LoadCatalogAsync("Acme", CancellationToken.None);
        var config = MappingScaffold.Apply(await store.LoadAsync("Acme", CancellationToken.None), catalog.Instances[0], "Sales");
        config = config with
        {
            Kpis =
            [
                .. config.Kpis,
                new KpiRow("Completed calls", KpiKinds.Activity, ActivityTypes: ["call"]),
                new KpiRow("Completed tasks", KpiKinds.Activity, ActivityTypes: taskTypes),
                new KpiRow("New leads", KpiKinds.Lead),
            ],
        };
        Assert.That(ConfigurationValidator.Validate(config, catalog), Is.Empty);
        await store.SaveAsync(config, CancellationToken.None);
        await store.SaveRatesAsync("Acme",
            [.. new[] { ("USD", 0.92m), ("SEK", 0.087m), ("GBP", 1.16m), ("JPY", 0.0062m) }.Select(r => new ExchangeRateRow(r.Item1, "EUR", new DateOnly(2000, 1, 1), r.Item2))],
            CancellationToken.None);
        await replica.Host.Services.GetRequiredService<AnalyticsBuilder>().BuildAsync(catalog.Instances[0].Id, CancellationToken.None);
        return await replica.RowsAsync("""
            SELECT concat_ws('|', k.name, p.grain, p.period_start, round(p.value, 6))
            FROM analytics.kpi_period p JOIN config.kpi k ON k.id = p.kpi_id
            WHERE p.instance_id IS NOT NULL AND p.grain IN ('month', 'quarter') AND (k.funnel IS NULL OR k.funnel = 'Sales')
            ORDER BY 1
            """);
    }

    [Test]
    public async Task Zoho_lead_statuses_form_a_lead_funnel_where_converted_leads_pass_every_earlier_step()
    {
        await using var world = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Leads = 400 });
        var replica = await world.NewReplicaAsync();
        Assert.That((await replica.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        var store = replica.Host.Services.GetRequiredService<ConfigurationStore>();
        var catalog = await store.LoadCatalogAsync("Acme", CancellationToken.None);
        var config = MappingScaffold.Apply(await store.LoadAsync("Acme", CancellationToken.None), catalog.Instances[0]);
        Assert.That(ConfigurationValidator.Validate(config, catalog), Is.Empty);
        await store.SaveAsync(config, CancellationToken.None);

        await replica.Host.Services.GetRequiredService<AnalyticsBuilder>().BuildAsync(catalog.Instances[0].Id, CancellationToken.None);

        // The org's truth: a lead passes the step of its status; a converted one also Converted and every open status step.
        var leads = world.Org.Data.Leads.Where(l => !l.IsDeleted).ToList();
        string[] lost = ["Lost Lead", "Junk Lead", "Not Qualified"];
        var converted = leads.Where(ZohoOrg.IsConverted).ToList();
        var expected = ZohoOrg.LeadStatuses.Where(s => !lost.Contains(s))
            .Select(status => $"{status} leads|{leads.Count(l => ZohoOrg.LeadStatus(l) == status && !converted.Contains(l)) + converted.Count}")
            .Append($"Converted leads|{converted.Count}")
            .Append($"Lost leads|{leads.Count(l => lost.Contains(ZohoOrg.LeadStatus(l)))}")
            .Order(StringComparer.Ordinal).ToList();
        var actual = await replica.RowsAsync("""
            SELECT line FROM (
                SELECT concat_ws('|', k.name, coalesce(sum(d.value), 0)::bigint) AS line
                FROM config.kpi k LEFT JOIN analytics.kpi_daily d ON d.kpi_id = k.id
                WHERE k.funnel = 'Acme leads' GROUP BY k.name) t
            ORDER BY line COLLATE "C"
            """);

        Assert.That(converted, Is.Not.Empty);
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM analytics.lead_funnel_passes WHERE filled"), Is.GreaterThan(0), "converted leads are filled into the steps they skipped");
    }
}
