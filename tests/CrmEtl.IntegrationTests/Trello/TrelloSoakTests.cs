using System.Diagnostics;
using System.Globalization;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Trello;

namespace CrmEtl.IntegrationTests.Trello;

/// <summary>
/// A randomized soak of Trello delivery: round after round of random deal changes in the CRM, a sync, and a delivery pass
/// through a random Trello fault (answers lost after the card was made, 500s, 429s, or none); then the faults end. Every
/// event must have exactly one card: none lost, none twice. Bounded by CRMETL_SOAK_SECONDS (10 by default), seeded by
/// CRMETL_SOAK_SEED.
/// </summary>
[Parallelizable] // its own sandboxes and database
public sealed class TrelloSoakTests
{
    [Test]
    public async Task Random_deal_changes_and_trello_faults_end_with_exactly_one_card_per_event()
    {
        var seed = int.Parse(Environment.GetEnvironmentVariable("CRMETL_SOAK_SEED") ?? "2026", CultureInfo.InvariantCulture);
        var budget = TimeSpan.FromSeconds(int.Parse(Environment.GetEnvironmentVariable("CRMETL_SOAK_SECONDS") ?? "10", CultureInfo.InvariantCulture));
        var settings = new Dictionary<string, string?>(TrelloWorld.QuickRetries) { ["Trello:MaxAttempts"] = "100" };
        await using var world = await TrelloWorld.StartAsync(seed: 223, settings);
        var pipeline = world.Data.Pipelines[0];
        var stage = world.Data.Stages.Where(s => s.PipelineId == pipeline.Id).OrderBy(s => s.OrderNr).ElementAt(2);
        var rules = new[]
        {
            await world.SetRuleAsync("Design", "Briefs", "added"),
            await world.SetRuleAsync("Accounting", "Invoices to send", "won_or_lost", outcome: "both"),
            await world.SetRuleAsync("Site inspections", "Offer needed", "moved_to", stage: stage.Name, pipeline: pipeline.Name),
        };
        await Task.Delay(1100); // the CRM's times are to the second: the changes come after the rules were set

        var random = new Random(seed);
        var faults = world.Trello.Faults;
        var watch = Stopwatch.StartNew();
        var rounds = 0;
        for (; rounds < 3 || watch.Elapsed < budget; rounds++)
        {
            world.Mutate(MutationPlan.Mixed(random.Next(1, 4)), random.Next());
            await world.SyncAsync();
            switch (random.Next(4))
            {
                case 0: faults.LoseWriteAnswers(random.Next(1, 3)); break;
                case 1: faults.AddServerErrors(random.Next(1, 4)); break;
                case 2: faults.Add429Burst(random.Next(1, 3)); break;
            }
            await world.DeliverAsync();
        }
        faults.Clear();
        await world.DeliverAllAsync(passes: 50);

        var deliveries = await world.DeliveriesAsync();
        var cards = world.Trello.Cards(TrelloWorld.Member);
        TestContext.Out.WriteLine($"{rounds} rounds, {deliveries.Count} events, {cards.Count} cards (seed {seed})");
        Assert.That(rules.Take(2).Select(r => deliveries.Count(d => d.RuleId == r.Id)), Is.All.GreaterThan(0), "deals were added, won and lost (a move to the stage is left to chance)");
        Assert.That(deliveries.Select(d => d.Status), Is.All.EqualTo(TrelloDeliveryStatus.Delivered), "none lost");
        Assert.That(cards.Select(c => c.Id), Is.EquivalentTo(deliveries.Select(d => d.CardId)), "one card per event");
        Assert.That(cards.Select(c => c.Desc[c.Desc.LastIndexOf("CrmEtl event ", StringComparison.Ordinal)..]).Distinct().Count(), Is.EqualTo(deliveries.Count), "none twice");
    }
}
