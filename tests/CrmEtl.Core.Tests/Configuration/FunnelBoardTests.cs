using CrmEtl.Core.Configuration;

namespace CrmEtl.Core.Tests.Configuration;

/// <summary>The console's mapping board: what it shows of a saved funnel, and the configuration it gives back.</summary>
public sealed class FunnelBoardTests
{
    // Two Pipedrive accounts: Finland's pipeline Lead, Contacted, Offer, Negotiation; Sweden's Lead, Called, Offer.
    private static readonly CrmCatalog Catalog = new(
    [
        new InstanceCatalog(1, "Acme Finland", "Acme Group")
        {
            Pipelines = new Dictionary<long, string> { [1] = "Sales FI" },
            Stages = new Dictionary<long, CatalogStage>
            {
                [11] = new(11, 1, "Lead", 1), [12] = new(12, 1, "Contacted", 2), [13] = new(13, 1, "Offer", 3), [14] = new(14, 1, "Negotiation", 4),
            },
        },
        new InstanceCatalog(2, "Acme Sweden", "Acme Group")
        {
            Pipelines = new Dictionary<long, string> { [1] = "Sales SE" },
            Stages = new Dictionary<long, CatalogStage> { [21] = new(21, 1, "Lead", 1), [22] = new(22, 1, "Called", 2), [23] = new(23, 1, "Offer", 3) },
        },
    ]);

    [Test]
    public void Start_from_the_crm_lines_up_pipelines_by_shared_names_and_else_by_position_instead_of_interleaving()
    {
        var board = FunnelBoard.Of(new CompanyConfiguration("Acme Group"), Catalog, "Sales");

        board.StartFromCrm();

        Assert.That(board.Steps.Select(s => $"{s.Name}:{s.Marker}"),
            Is.EqualTo(new[] { "Lead:None", "Contacted / Called:None", "Offer:None", "Negotiation:None", "Won:Won", "Lost:Refused" }));
        Assert.That(board.ChipsIn(board.Steps[1]).Select(c => $"{c.Instance}/{c.Stage}"), Is.EqualTo(new[] { "Acme Finland/Contacted", "Acme Sweden/Called" }));
        Assert.That(board.Unmapped, Is.Empty);
        var config = board.ApplyTo(new CompanyConfiguration("Acme Group"));
        Assert.That(ConfigurationValidator.Validate(config, Catalog), Is.Empty);
    }

    [Test]
    public void Grouping_renaming_and_reordering_give_back_the_funnel_and_kpis_follow_a_renamed_step()
    {
        var saved = new CompanyConfiguration("Acme Group")
        {
            Steps = [new("Sales", 1, "Lead", Marker.None), new("Sales", 2, "Offer", Marker.None), new("Sales", 3, "Won", Marker.Won), new("Other", 1, "Kept", Marker.None)],
            Stages = [new("Acme Finland", 11, "Sales", "Lead"), new("Acme Finland", 13, "Sales", "Offer"), new("Acme Finland", 11, "Other", "Kept")],
            Kpis = [new KpiRow("Offers", KpiKinds.Stage, "Sales", "Offer")],
        };
        var board = FunnelBoard.Of(saved, Catalog, "sales");
        Assert.That(board.Steps.Select(s => s.Name), Is.EqualTo(new[] { "Lead", "Offer", "Won" }));
        Assert.That(board.Unmapped.Select(c => c.StageId), Is.EquivalentTo(new long[] { 12, 14, 21, 22, 23 }), "stages of no step are unmapped");

        var offer = board.Steps[1];
        board.Chips.Single(c => c.StageId == 23).Step = offer; // Sweden's Offer joins Finland's
        offer.Name = "Offer made";
        board.Move(offer, -1);
        board.Remove(board.Steps[1]); // Lead: its stage becomes unmapped
        var config = board.ApplyTo(saved);

        Assert.That(config.Steps.Where(s => s.Funnel == "Sales").Select(s => $"{s.Position}:{s.Step}"), Is.EqualTo(new[] { "1:Offer made", "2:Won" }));
        Assert.That(config.Steps.Single(s => s.Funnel == "Other").Step, Is.EqualTo("Kept"), "other funnels stay as they were");
        Assert.That(config.Stages.Where(s => s.Funnel == "Sales").Select(s => $"{s.Instance}/{s.StageId}>{s.Step}"),
            Is.EquivalentTo(new[] { "Acme Finland/13>Offer made", "Acme Sweden/23>Offer made" }));
        Assert.That(config.Stages.Count(s => s.Funnel == "Other"), Is.EqualTo(1));
        Assert.That(config.Kpis.Single().Step, Is.EqualTo("Offer made"));
        Assert.That(ConfigurationValidator.Validate(config, Catalog), Is.Empty);
    }

    [Test]
    public void Two_steps_with_one_marker_are_flagged_while_editing_in_the_words_the_save_refuses_them_with()
    {
        var board = FunnelBoard.Of(new CompanyConfiguration("Acme Group"), Catalog, "Sales");
        board.StartFromCrm();
        board.Steps[2].Marker = Marker.Won;

        Assert.That(board.MarkerClashes(board.Steps[2]) && board.MarkerClashes(board.Steps[4]), Is.True);
        Assert.That(board.MarkerClashes(board.Steps[0]), Is.False);
        var problem = "funnel 'Sales' has two Won steps ('Offer' and 'Won'); a funnel may put each marker on one step only.";
        Assert.That(board.Problems(), Is.EqualTo(new[] { problem }));
        Assert.That(ConfigurationValidator.Validate(board.ApplyTo(new CompanyConfiguration("Acme Group")), Catalog), Is.EqualTo(new[] { problem }));
    }
}
