using CrmEtl.Host.Cli;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.IntegrationTests.Trello;

/// <summary>What 'crmetl rules' and 'crmetl deliveries' show and do when cards fail: a board deleted in Trello, a card failed after its attempts and retried by hand.</summary>
[NonParallelizable] // crmetl runs in this process
public sealed class TrelloDeliveryCommandTests
{
    [Test]
    public async Task A_board_deleted_in_Trello_switches_its_rule_off_with_the_reason_and_a_failed_card_can_be_retried()
    {
        // One call at a time: the first card's 404 switches the rule off and cancels the second (in flight, it would fail alike).
        await using var world = await TrelloWorld.StartAsync(seed: 214, settings: new()
        {
            ["Trello:FirstRetryAfter"] = "00:00:00", ["Trello:MaxRetryAfter"] = "00:00:00", ["Trello:MaxAttempts"] = "2", ["Trello:Concurrency"] = "1",
        });
        var accounting = await world.SetRuleAsync("Accounting", "Invoices to send", "won_or_lost", outcome: "both");
        await Task.Delay(1100);
        world.Mutate(new MutationPlan { WinDeals = 2 }, seed: 9);
        await world.SyncAsync();
        world.Trello.DeleteBoard(TrelloWorld.Member, world.Trello.Accounts[0].Board("Accounting").Id);
        var gone = await world.DeliverAllAsync();
        Assert.That((gone.Failed, gone.Cancelled, gone.Delivered), Is.EqualTo((1, 1, 0)));

        var why = "switched off: the list 'Invoices to send' on board 'Accounting' is gone from Trello (deleted, or the member lost access). Set a new rule for the board.";
        var rules = await CrmEtlCommand.RunAsync(world.Replica.ConnectionString, "rules", "list", "--history");
        Assert.That(rules.Out, Does.Contain($"{accounting.Id}  Acme: when a deal is won or lost").And.Contain("ENDED").And.Contain(why));
        var cancelled = await CrmEtlCommand.RunAsync(world.Replica.ConnectionString, "deliveries", "--status", "cancelled");
        Assert.That(cancelled.Out, Does.Contain("CANCELLED").And.Contain(why));

        // Another board's card meets two 500s: failed after Trello:MaxAttempts (2), with the reason; then retried by hand.
        await world.SetRuleAsync("Design", "Briefs", "added");
        await Task.Delay(1100);
        world.Mutate(new MutationPlan { AddDeals = 1 }, seed: 10);
        await world.SyncAsync();
        world.Trello.Faults.AddServerErrors(2);
        Assert.That((await world.DeliverAllAsync()).Failed, Is.EqualTo(1));
        var failed = await CrmEtlCommand.RunAsync(world.Replica.ConnectionString, "deliveries", "--status", "failed");
        var lines = failed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2), failed.Out);
        Assert.That(lines, Has.One.Contain($"→ \"Accounting\" / \"Invoices to send\"  after 1 attempt(s): Rule {accounting.Id} {why}"));
        Assert.That(lines, Has.One.Contain("→ \"Design\" / \"Briefs\"  after 2 attempt(s): Trello failed on ").And.Contain("(500: Internal Server Error)"));
        Assert.That(world.CardsOn("Design", "Briefs"), Is.Empty);

        var designCard = lines.Single(l => l.Contains("→ \"Design\" / \"Briefs\"", StringComparison.Ordinal)).Split(' ')[0];
        var retry = await CrmEtlCommand.RunAsync(world.Replica.ConnectionString, "deliveries", "retry", designCard);
        Assert.That(retry.Out, Does.Contain("1 card(s) will be tried again"));
        var sent = await CrmEtlCommand.RunAsync(world.Replica.ConnectionString, "deliveries", "send");
        Assert.That(sent.Out, Does.Contain("1 card(s) made, 0 found already made, 0 put off, 0 failed, 0 cancelled."));
        Assert.That(world.CardsOn("Design", "Briefs"), Has.Count.EqualTo(1));
        var bad = await CrmEtlCommand.RunAsync(world.Replica.ConnectionString, "deliveries", "retry");
        Assert.That((bad.Exit, bad.Error), Is.EqualTo((ExitCodes.BadInput, "Say which failed card to retry: 'crmetl deliveries retry ID', or every failed one with 'crmetl deliveries retry --failed [--company C]'.\n")));
    }

}
