using CrmEtl.Core.Configuration;
using CrmEtl.Host.Cli;
using CrmEtl.Host.Hosting;
using CrmEtl.Storage.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Reliability;

/// <summary>SQL in what admins type (instance names, filter values, KPI names and formulas) is stored and compared as text, or refused.</summary>
[TestFixture]
internal sealed class HostileInputTests
{
    private const string Company = "Acme Group";
    private const string Name = "Acme'); DROP TABLE etl.instance; --";

    [Test]
    public async Task Sql_in_an_instance_name_a_filter_value_and_a_kpi_name_is_inert_and_sql_in_a_formula_is_refused()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var connectionString = await PostgresFixture.Databases.CreateAsync("hostile");
        Assert.That((await CrmEtlCommand.RunAsync(connectionString, "migrate")).Exit, Is.EqualTo(ExitCodes.Ok));
        var add = await CrmEtlCommand.RunAsync(connectionString, "instances", "add", "--name", Name, "--url", world.Sandbox.BaseUrl,
            "--token", world.Company.ApiToken, "--company", Company);
        Assert.That(add.Exit, Is.EqualTo(ExitCodes.Ok), add.Error);
        var sync = await CrmEtlCommand.RunAsync(connectionString, "sync", "--instance", Name);
        Assert.That(sync.Exit, Is.EqualTo(ExitCodes.Ok), sync.Error);

        using var host = CrmEtlHost.Build(connectionString);
        var store = host.Services.GetRequiredService<ConfigurationStore>();
        var config = await store.LoadAsync(Company, CancellationToken.None) with
        {
            // '%' and '_' would match anything were 'contains' a LIKE; the SQL would run were the value spliced in.
            Filters = [new(Name, FilterEntities.Deal, FilterModes.Exclude, "title contains '%_' or title = 'x); DROP TABLE crm.deal; --'")],
            Kpis = [new("Deals'); DELETE FROM config.kpi; --", KpiKinds.Lead)],
        };
        var catalog = await store.LoadCatalogAsync(Company, CancellationToken.None);
        Assert.That(ConfigurationValidator.Validate(config, catalog), Is.Empty);
        await store.SaveAsync(config, CancellationToken.None);
        var compute = await CrmEtlCommand.RunAsync(connectionString, "compute", "--company", Company);
        Assert.That(compute.Exit, Is.EqualTo(ExitCodes.Ok), compute.Error);

        var live = world.Company.Deals.Count(d => !d.IsDeleted);
        var replica = new PipedriveWorld.Replica(host, connectionString);
        Assert.That(await replica.ScalarAsync<string>("SELECT name FROM etl.instance"), Is.EqualTo(Name));
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal WHERE NOT is_deleted"), Is.EqualTo(live));
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM analytics.fact_deal"), Is.EqualTo(live), "no title contains '%_' or equals the SQL");
        Assert.That(await replica.ScalarAsync<string>("SELECT name FROM config.kpi"), Is.EqualTo("Deals'); DELETE FROM config.kpi; --"));
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM analytics.kpi_daily"), Is.Positive, "the KPI counts leads");
        Assert.That((await CrmEtlCommand.RunAsync(connectionString, "instances")).Out, Does.Contain(Name));

        var formula = config with { Kpis = [.. config.Kpis, new("Rate", KpiKinds.Calculated, Expression: "1; DROP TABLE crm.deal")] };
        Assert.That(ConfigurationValidator.Validate(formula, catalog), Has.Some.Contain("Unexpected character ';'"));
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal WHERE NOT is_deleted"), Is.EqualTo(live));
    }
}
