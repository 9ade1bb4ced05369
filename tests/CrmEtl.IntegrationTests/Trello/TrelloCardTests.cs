using System.Globalization;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Cli;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Trello;
using CrmEtl.Storage.Trello;

namespace CrmEtl.IntegrationTests.Trello;

/// <summary>
/// Deal events to Trello cards on the Pipedrive and Trello sandboxes over PostgreSQL: what each rule makes, once per event,
/// what a sync must not make, and the delivery's answers to Trello's failures.
/// </summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandboxes and database
public sealed class TrelloCardTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    [Test]
    public async Task Each_rule_makes_one_card_per_event_with_the_deal_and_its_contact_and_syncing_again_makes_none()
    {
        await using var world = await TrelloWorld.StartAsync(seed: 211);
        var crm = world.Data;
        var pipeline = crm.Pipelines[0];
        var stages = crm.Stages.Where(s => s.PipelineId == pipeline.Id).OrderBy(s => s.OrderNr).ToList();
        var (offerNeeded, after) = (stages[2], stages[3]);
        await world.SetRuleAsync("Design", "Briefs", "added");
        var wonOrLost = await world.SetRuleAsync("Accounting", "Invoices to send", "won_or_lost", outcome: "both");
        await world.SetRuleAsync("Site inspections", "Offer needed", "moved_to", stage: offerNeeded.Name, pipeline: pipeline.Name);
        await Task.Delay(1100); // the CRM's times are to the second: the changes come after the rules were set

        // Deals added, won and lost in Pipedrive: a card each on its board.
        var before = crm.Deals.ToDictionary(d => d.Id, d => d.Status);
        world.Mutate(new MutationPlan { AddDeals = 2, WinDeals = 1, LoseDeals = 1 }, seed: 5);
        var added = crm.Deals.Where(d => !before.ContainsKey(d.Id)).ToList();
        var closed = crm.Deals.Where(d => before.TryGetValue(d.Id, out var was) && was == "open" && d.Status != "open").ToList();
        Assert.That((added.Count, closed.Count), Is.EqualTo((2, 2)));
        await world.SyncAsync();
        var firstPass = await world.DeliverAllAsync();
        Assert.That(world.CardsOn("Design", "Briefs").Select(c => c.Name), Is.EquivalentTo(added.Select(d => d.Title)));
        Assert.That(world.CardsOn("Accounting", "Invoices to send").Select(c => c.Name), Is.EquivalentTo(closed.Select(d => d.Title)));

        // The won deal's card: what Trello shows.
        var won = closed.Single(d => d.Status == "won");
        var card = world.CardsOn("Accounting", "Invoices to send").Single(c => c.Name == won.Title);
        var person = crm.Persons.Single(p => p.Id == won.PersonId);
        var owner = crm.Users.Single(u => u.Id == won.OwnerId);
        var stage = crm.Stages.Single(s => s.Id == won.StageId);
        var link = $"https://acme.pipedrive.com/deal/{won.Id}";
        Assert.That(card.Desc, Does.StartWith($"Won {won.WonTime:yyyy-MM-dd HH:mm} UTC.")
            .And.Contain($"**Value:** {won.Value.ToString("N2", Inv)} {won.Currency}")
            .And.Contain($"**Pipeline / stage:** {crm.Pipelines.Single(p => p.Id == won.PipelineId).Name} / {stage.Name}")
            .And.Contain($"**Owner:** {owner.Name}")
            .And.Contain($"**Contact:** {person.Name}")
            .And.Contain($"**In Pipedrive:** {link}")
            .And.EndWith($"CrmEtl event r{wonOrLost.Id}-d{won.Id}-won-{won.WonTime:yyyyMMdd'T'HHmmss'Z'}"));
        foreach (var point in person.Emails.Concat(person.Phones)) Assert.That(card.Desc, Does.Contain($"- {point.Value} ({point.Label})"));
        if (won.OrgId is { } org) Assert.That(card.Desc, Does.Contain($"**Organization:** {crm.Organizations.Single(o => o.Id == org).Name}"));
        Assert.That(card.UrlSource, Is.EqualTo(link));
        Assert.That(card.Due, Is.EqualTo(won.ExpectedCloseDate is { } close ? new DateTimeOffset(close.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero) : null));

        // One deal arrives at the stage and stays, another passes through it between two syncs: a card each.
        var open = crm.Deals.Where(d => d.Status == "open" && !d.IsDeleted && d.PipelineId == pipeline.Id && stages.FindIndex(s => s.Id == d.StageId) < 2).Take(2).ToList();
        var offersBefore = world.CardsOn("Site inspections", "Offer needed").Count;
        world.Pipedrive!.MoveDeal("acme", open[0].Id, offerNeeded.Id);
        world.Pipedrive!.MoveDeal("acme", open[1].Id, offerNeeded.Id);
        world.Pipedrive!.MoveDeal("acme", open[1].Id, after.Id);
        await world.SyncAsync();
        await world.DeliverAllAsync();
        var offers = world.CardsOn("Site inspections", "Offer needed");
        Assert.That(offers.Skip(offersBefore).Select(c => c.Name), Is.EquivalentTo(open.Select(d => d.Title)));
        Assert.That(offers.Single(c => c.Name == open[1].Title).Desc, Does.StartWith($"Arrived at {offerNeeded.Name} ").And.Contain($"/ {after.Name}"));

        // A full resync and another delivery pass make nothing new.
        var cards = world.Trello.Cards(TrelloWorld.Member).Count;
        await world.SyncAsync(SyncMode.Full);
        Assert.That(await world.DeliverAllAsync(), Is.EqualTo(Host.Trello.DeliveryPass.None));
        Assert.That(world.Trello.Cards(TrelloWorld.Member), Has.Count.EqualTo(cards));
        Assert.That(firstPass.Delivered, Is.EqualTo(4 + offersBefore)); // a deal added in the stage arrived at it too

        // Reopened, then won again: a second card for the second win.
        world.Pipedrive.SetDealStatus("acme", won.Id, "open");
        await world.SyncAsync();
        await Task.Delay(1100);
        world.Pipedrive.SetDealStatus("acme", won.Id, "won");
        await world.SyncAsync();
        Assert.That((await world.DeliverAllAsync()).Delivered, Is.EqualTo(1));
        Assert.That(world.CardsOn("Accounting", "Invoices to send").Count(c => c.Name == won.Title), Is.EqualTo(2));
        cards++;

        // 'crmetl deliveries' lists each card with its link.
        await using var listed = Operations.WorkerProcess.Run(world.Replica.ConnectionString, null, "deliveries");
        await listed.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.That(listed.ExitCode, Is.EqualTo(ExitCodes.Ok), listed.Output);
        var delivered = listed.Output.Split('\n').Where(l => l.Contains("  DELIVERED  ", StringComparison.Ordinal)).ToList();
        Assert.That(delivered, Has.Count.EqualTo(cards));
        Assert.That(delivered, Has.Some.Contain($"deal {won.Id} \"{won.Title}\" won").And.Contain("→ \"Accounting\" / \"Invoices to send\"  http"));
    }

    [Test]
    public async Task The_first_sync_and_deals_older_than_the_rule_make_no_card()
    {
        await using var world = await TrelloWorld.StartAsync(seed: 212, firstSync: false);
        await world.SetRuleAsync("Design", "Briefs", "added");
        await world.SetRuleAsync("Accounting", "Invoices to send", "won_or_lost", outcome: "won");
        await Task.Delay(1100);
        world.Mutate(new MutationPlan { AddDeals = 3, WinDeals = 2 }, seed: 6);

        // The first sync brings the account's past, these new deals and wins included: no card.
        await world.SyncAsync(SyncMode.Full);
        Assert.That(await world.DeliveriesAsync(), Is.Empty);
        Assert.That(await world.DeliverAllAsync(), Is.EqualTo(Host.Trello.DeliveryPass.None));

        // After it, a deal added makes its card; the deals the first sync brought still make none.
        var known = world.Data.Deals.Select(d => d.Id).ToHashSet();
        world.Mutate(new MutationPlan { AddDeals = 1 }, seed: 7);
        await world.SyncAsync();
        Assert.That((await world.DeliverAllAsync()).Delivered, Is.EqualTo(1));
        Assert.That(world.Trello.Cards(TrelloWorld.Member).Select(c => c.Name),
            Is.EqualTo(world.Data.Deals.Where(d => !known.Contains(d.Id)).Select(d => d.Title)));
    }

    [Test]
    public async Task Lost_answers_server_errors_and_a_429_still_make_exactly_one_card_per_event()
    {
        await using var world = await TrelloWorld.StartAsync(seed: 213);
        await world.SetRuleAsync("Design", "Briefs", "added");
        await Task.Delay(1100);
        world.Mutate(new MutationPlan { AddDeals = 4 }, seed: 8);
        await world.SyncAsync();

        // The first card is made and its answer lost; the next calls fail with 500s, then a 429.
        world.Trello.Faults.LoseWriteAnswers(1);
        world.Trello.Faults.AddServerErrors(2);
        world.Trello.Faults.Add429Burst(1);
        var pass = await world.DeliverAllAsync();

        var cards = world.CardsOn("Design", "Briefs");
        Assert.That(cards.Select(c => c.Name), Is.EquivalentTo(world.Data.Deals.OrderByDescending(d => d.Id).Take(4).Select(d => d.Title)));
        Assert.That(cards.Select(c => c.Desc[c.Desc.LastIndexOf("CrmEtl event ", StringComparison.Ordinal)..]).Distinct().Count(), Is.EqualTo(4));
        Assert.That((pass.Delivered, pass.Found, pass.Failed), Is.EqualTo((3, 1, 0)));
        Assert.That(pass.PutOff, Is.EqualTo(4)); // the lost answer, two 500s, the 429
        var deliveries = await world.DeliveriesAsync();
        Assert.That(deliveries.Select(d => d.Status), Is.All.EqualTo(TrelloDeliveryStatus.Delivered));
        Assert.That(deliveries.Select(d => d.CardId), Is.EquivalentTo(cards.Select(c => c.Id)));
        Assert.That(deliveries.Single(d => d.LastError is not null).LastError, Does.Contain("found on the list after an attempt whose answer was lost"));
        // Four asked for (one lost, one 429, two 500s), then the 429's and the 500s' again: the lost one was found, not made twice.
        var calls = world.Trello.CallsTo(TrelloWorld.Member);
        Assert.That((calls["POST /1/cards"], calls["GET /1/lists/{id}/cards"]), Is.EqualTo((7, 3)));
        Assert.That(world.Trello.RateLimited, Is.Zero, "Trello's own limits were never run into");
    }

    [Test]
    public async Task On_Zoho_deals_added_and_arriving_at_Closed_Won_make_their_cards_with_links_to_Zoho_and_a_replaced_rule_stops_firing()
    {
        await using var world = await TrelloWorld.StartZohoAsync(seed: 216);
        var pipeline = world.Data.Pipelines[0];
        await world.SetRuleAsync("Design", "Briefs", "added");
        await world.SetRuleAsync("Accounting", "Invoices to send", "won_or_lost", outcome: "won");
        await world.SetRuleAsync("Site inspections", "Offer needed", "moved_to", stage: "Closed Won", pipeline: pipeline.Name);
        await Task.Delay(1100);
        var open = world.Data.Deals.Where(d => d.Status == "open" && !d.IsDeleted).Select(d => d.Id).ToHashSet();
        var known = world.Data.Deals.Select(d => d.Id).ToHashSet();
        world.Mutate(new MutationPlan { WinDeals = 6, LoseDeals = 2 }, seed: 13);
        world.Mutate(new MutationPlan { AddDeals = 2 }, seed: 14);
        var added = world.Data.Deals.Where(d => !known.Contains(d.Id)).ToList();
        var won = world.Data.Deals.Where(d => open.Contains(d.Id) && d.Status == "won").ToList();
        var wonInPipeline = won.Where(d => d.PipelineId == pipeline.Id).ToList();
        Assert.That(wonInPipeline, Is.Not.Empty, "the seeds win a deal of the rule's pipeline");
        await world.SyncAsync();

        var pass = await world.DeliverAllAsync();
        Assert.That(world.CardsOn("Accounting", "Invoices to send").Select(c => c.Name), Is.EquivalentTo(won.Select(d => d.Title)));
        Assert.That(world.CardsOn("Site inspections", "Offer needed").Select(c => c.Name), Is.EquivalentTo(wonInPipeline.Select(d => d.Title)));
        Assert.That(world.CardsOn("Design", "Briefs").Select(c => c.Name), Is.EquivalentTo(added.Select(d => d.Title)));
        Assert.That(pass.Delivered, Is.EqualTo(added.Count + won.Count + wonInPipeline.Count));
        var deal = wonInPipeline[0];
        var card = world.CardsOn("Site inspections", "Offer needed").Single(c => c.Name == deal.Title);
        Assert.That(card.Desc, Does.StartWith("Arrived at Closed Won ").And.Contain($"**Pipeline / stage:** {pipeline.Name} / Closed Won")
            .And.Contain($"**In Zoho CRM:** {card.UrlSource}"));
        Assert.That(card.UrlSource, Does.Match($@"^http://127\.0\.0\.1:\d+/crm/org\d+/tab/Potentials/{world.CrmDealId(deal)}$"));

        await world.SyncAsync(CrmEtl.Core.Sync.SyncMode.Full);
        Assert.That(await world.DeliverAllAsync(), Is.EqualTo(Host.Trello.DeliveryPass.None));

        // The design board's rule replaced by one for lost deals: deals added from then on make no card there.
        await world.SetRuleAsync("Design", "Briefs", "won_or_lost", outcome: "lost");
        await Task.Delay(1100);
        known = world.Data.Deals.Select(d => d.Id).ToHashSet();
        open = world.Data.Deals.Where(d => d.Status == "open" && !d.IsDeleted).Select(d => d.Id).ToHashSet();
        world.Mutate(new MutationPlan { AddDeals = 2, LoseDeals = 1 }, seed: 15);
        var lost = world.Data.Deals.Where(d => open.Contains(d.Id) && d.Status == "lost").ToList();
        Assert.That((world.Data.Deals.Count(d => !known.Contains(d.Id)), lost.Count), Is.EqualTo((2, 1)));
        await world.SyncAsync();
        await world.DeliverAllAsync();
        Assert.That(world.CardsOn("Design", "Briefs").Select(c => c.Name), Is.EquivalentTo(added.Concat(lost).Select(d => d.Title)),
            "the lost deal's card, and none for the deals added after the rule was replaced");
    }

    [Test]
    public async Task On_Kommo_leads_won_and_lost_make_their_cards_with_links_to_the_leads_in_Kommo()
    {
        await using var world = await TrelloWorld.StartKommoAsync(seed: 217);
        await world.SetRuleAsync("Accounting", "Invoices to send", "won_or_lost");
        await Task.Delay(1100);
        var open = world.Data.Deals.Where(d => d.Status == "open" && !d.IsDeleted).Select(d => d.Id).ToHashSet();
        world.Mutate(new MutationPlan { WinDeals = 4, LoseDeals = 3 }, seed: 17);
        var closed = world.Data.Deals.Where(d => open.Contains(d.Id) && d.Status is "won" or "lost").ToList();
        Assert.That(closed, Has.Count.GreaterThan(3), "the mutation closes leads");
        await world.SyncAsync();

        var pass = await world.DeliverAllAsync();
        Assert.That(world.CardsOn("Accounting", "Invoices to send").Select(c => c.Name), Is.EquivalentTo(closed.Select(d => d.Title)));
        Assert.That(pass.Delivered, Is.EqualTo(closed.Count));
        var deal = closed.First(d => d.Status == "won");
        var card = world.CardsOn("Accounting", "Invoices to send").Single(c => c.Name == deal.Title);
        Assert.That(card.Desc, Does.StartWith("Won ").And.Contain($"**In Kommo:** {card.UrlSource}"));
        Assert.That(card.UrlSource, Does.Match($@"^http://127\.0\.0\.1:\d+/leads/detail/{world.CrmDealId(deal)}$"));

        await world.SyncAsync(CrmEtl.Core.Sync.SyncMode.Full);
        Assert.That(await world.DeliverAllAsync(), Is.EqualTo(Host.Trello.DeliveryPass.None));
    }
}
