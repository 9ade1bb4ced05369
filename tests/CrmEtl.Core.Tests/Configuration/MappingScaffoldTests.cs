using CrmEtl.Core.Configuration;

namespace CrmEtl.Core.Tests.Configuration;

public sealed class MappingScaffoldTests
{
    [Test]
    public void Zohos_closed_won_and_closed_lost_stages_become_the_won_and_lost_steps_of_every_pipeline()
    {
        // Two pipelines sharing "Qualification" and, as in Zoho, each with its own Closed Won and Closed Lost stage.
        var catalog = new InstanceCatalog(1, "Acme Germany", "Acme Group")
        {
            Pipelines = new Dictionary<long, string> { [10] = "Standard", [20] = "Renewals" },
            Stages = new Dictionary<long, CatalogStage>
            {
                [101] = new(101, 10, "Qualification", 1, "Open"),
                [102] = new(102, 10, "Proposal", 2, "Open"),
                [103] = new(103, 10, "Closed Won", 3, "Closed Won"),
                [104] = new(104, 10, "Closed Lost", 4, "Closed Lost"),
                [201] = new(201, 20, "Qualification", 1, "Open"),
                [203] = new(203, 20, "Closed Won", 2, "Closed Won"),
                [204] = new(204, 20, "Closed Lost", 3, "Closed Lost"),
            },
        };

        var config = MappingScaffold.Apply(new CompanyConfiguration("Acme Group"), catalog);

        Assert.That(config.Steps.Select(s => $"{s.Position}:{s.Step}:{s.Marker}"),
            Is.EqualTo(new[] { "1:Qualification:None", "2:Proposal:None", "3:Won:Won", "4:Lost:Refused" }));
        Assert.That(config.Stages.OrderBy(s => s.StageId).Select(s => $"{s.StageId}>{s.Step}"),
            Is.EqualTo(new[] { "101>Qualification", "102>Proposal", "103>Won", "104>Lost", "201>Qualification", "203>Won", "204>Lost" }));
    }

    [Test]
    public void Lead_statuses_get_a_lead_funnel_of_their_own_with_converted_as_won_and_zohos_lost_statuses_as_lost()
    {
        var catalog = new InstanceCatalog(1, "Acme Germany", "Acme Group")
        {
            Pipelines = new Dictionary<long, string> { [10] = "Standard", [99] = "Leads" },
            Stages = new Dictionary<long, CatalogStage>
            {
                [101] = new(101, 10, "Qualification", 1, "Open"),
                [901] = new(901, 99, "Not Contacted", 1, CatalogStage.LeadStatus),
                [902] = new(902, 99, "Contacted", 2, CatalogStage.LeadStatus),
                [903] = new(903, 99, "Junk Lead", 3, CatalogStage.LeadStatus),
                [904] = new(904, 99, "Pre-Qualified", 4, CatalogStage.LeadStatus),
                [905] = new(905, 99, "Lost Lead", 5, CatalogStage.LeadStatus),
            },
        };

        var config = MappingScaffold.Apply(new CompanyConfiguration("Acme Group"), catalog);

        Assert.That(config.Steps.Where(s => s.Funnel == "Acme Germany leads").Select(s => $"{s.Position}:{s.Step}:{s.Marker}"),
            Is.EqualTo(new[] { "1:Not Contacted:None", "2:Contacted:None", "3:Pre-Qualified:None", "4:Converted:Won", "5:Lost:Refused" }));
        Assert.That(config.Stages.Where(s => s.Funnel == "Acme Germany leads").OrderBy(s => s.StageId).Select(s => $"{s.StageId}>{s.Step}"),
            Is.EqualTo(new[] { "901>Not Contacted", "902>Contacted", "903>Lost", "904>Pre-Qualified", "905>Lost" }));
        Assert.That(config.Stages.Where(s => s.Funnel == "Acme Germany deals").Select(s => s.StageId), Is.EqualTo(new[] { 101L }), "no lead status in the deal funnel");
        Assert.That(config.Kpis.Select(k => k.Name), Does.Contain("Converted leads").And.Contain("Contacted leads"));
        Assert.That(ConfigurationValidator.Validate(config, new CrmCatalog([catalog])), Is.Empty);
    }

    [Test]
    public void A_funnel_mixing_deal_stages_and_lead_statuses_is_refused()
    {
        var catalog = new InstanceCatalog(1, "Acme Germany", "Acme Group")
        {
            Pipelines = new Dictionary<long, string> { [10] = "Standard", [99] = "Leads" },
            Stages = new Dictionary<long, CatalogStage> { [101] = new(101, 10, "Qualification", 1, "Open"), [902] = new(902, 99, "Contacted", 2, CatalogStage.LeadStatus) },
        };
        var config = new CompanyConfiguration("Acme Group")
        {
            Steps = [new FunnelStepRow("Sales", 1, "Qualified", Marker.None)],
            Stages = [new StageMappingRow("Acme Germany", 101, "Sales", "Qualified"), new StageMappingRow("Acme Germany", 902, "Sales", "Qualified")],
        };

        Assert.That(ConfigurationValidator.Validate(config, new CrmCatalog([catalog])),
            Has.Some.Contains("funnel 'Sales' has both deal stages and lead statuses mapped"));
    }

    [Test]
    public void Step_kpis_add_a_counting_kpi_for_each_step_without_one_named_after_it_and_clear_of_other_kpis()
    {
        var config = Builders.Valid() with { Kpis = [new KpiRow("Won", KpiKinds.Stage, "Sales", "Won"), new KpiRow("Request", KpiKinds.Lead)], Targets = [] };
        var added = MappingScaffold.StepKpis(config).Kpis.Skip(2).Select(k => $"{k.Name}={k.Funnel}/{k.Step}/{k.Measure}");

        Assert.That(added, Is.EqualTo(new[] { "Request 2=Sales/Request/count", "Qualified=Sales/Qualified/count", "Quote=Sales/Quote/count", "Lost=Sales/Lost/count" }));
        Assert.That(ConfigurationValidator.Validate(MappingScaffold.StepKpis(config), Builders.Catalog()), Is.Empty);
        Assert.That(MappingScaffold.StepKpis(MappingScaffold.StepKpis(config)).Kpis, Has.Count.EqualTo(6), "a second time adds nothing");
    }
}
