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
}
