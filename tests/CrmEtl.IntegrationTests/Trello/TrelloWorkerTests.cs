using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Trello;

namespace CrmEtl.IntegrationTests.Trello;

/// <summary>Trello cards delivered by real worker processes: one killed mid-call, two at once.</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandboxes, database and worker processes
public sealed class TrelloWorkerTests
{
    /// <summary>Quick passes; a call waits at most 4 s and a worker holds its events 9 s.</summary>
    private static readonly Dictionary<string, string?> Quick = new()
    {
        ["Trello:PollEvery"] = "00:00:00.200", ["Trello:RequestTimeout"] = "00:00:04", ["Trello:ClaimFor"] = "00:00:09",
        ["Trello:FirstRetryAfter"] = "00:00:00", ["Trello:MaxRetryAfter"] = "00:00:00",
    };

    [Test]
    public async Task A_worker_killed_after_Trello_made_the_card_makes_no_second_one_and_two_workers_make_each_card_once()
    {
        await using var world = await TrelloWorld.StartAsync(seed: 215);
        await world.SetRuleAsync("Design", "Briefs", "added");
        await Task.Delay(1100);
        world.Mutate(new MutationPlan { AddDeals = 1 }, seed: 11);
        await world.SyncAsync();

        // Trello makes the card and holds the answer; the worker is killed meanwhile.
        world.Trello.Faults.LostAnswerDelay = TimeSpan.FromSeconds(60);
        world.Trello.Faults.LoseWriteAnswers(1);
        await using (var first = WorkerProcess.Start(world.Replica.ConnectionString, Quick))
        {
            await WaitForAsync(() => world.CardsOn("Design", "Briefs").Count == 1, TimeSpan.FromSeconds(60), first);
            first.Kill();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        var waiting = (await world.DeliveriesAsync()).Single();
        Assert.That(waiting.Status, Is.EqualTo(TrelloDeliveryStatus.Pending), "the card was made, but the worker never learnt it");

        // A second worker takes the event over when the claim runs out, finds the card on the list, makes none.
        await using var second = WorkerProcess.Start(world.Replica.ConnectionString, Quick);
        await WaitForAsync(async () => (await world.DeliveriesAsync()).Single().Status != TrelloDeliveryStatus.Pending, TimeSpan.FromSeconds(60), second);
        var card = world.CardsOn("Design", "Briefs").Single();
        var delivered = (await world.DeliveriesAsync()).Single();
        Assert.That((delivered.Status, delivered.CardId), Is.EqualTo((TrelloDeliveryStatus.Delivered, card.Id)));
        Assert.That(delivered.LastError, Does.Contain("found on the list"));
        Assert.That(world.Trello.CallsTo(TrelloWorld.Member)["POST /1/cards"], Is.EqualTo(1));

        // Twenty more events with two workers running: each card made once.
        await using var third = WorkerProcess.Start(world.Replica.ConnectionString, Quick);
        await third.WaitUntilRunningAsync();
        world.Mutate(new MutationPlan { AddDeals = 20 }, seed: 12);
        await world.SyncAsync();
        await WaitForAsync(async () => (await world.DeliveriesAsync(TrelloDeliveryStatus.Delivered)).Count == 21, TimeSpan.FromSeconds(60), third);
        Assert.That(world.CardsOn("Design", "Briefs").Select(c => c.Name), Is.EquivalentTo(world.Data.Deals.OrderByDescending(d => d.Id).Take(21).Select(d => d.Title)));
        Assert.That(world.Trello.CallsTo(TrelloWorld.Member)["POST /1/cards"], Is.EqualTo(21));
    }

    [Test]
    public async Task A_deal_added_in_Pipedrive_reaches_Trello_through_the_webhook_and_a_wrong_password_is_refused()
    {
        await using var world = await TrelloWorld.StartAsync(seed: 217);
        await world.SetRuleAsync("Design", "Briefs", "added");
        var settings = new Dictionary<string, string?>(Quick) { ["Webhooks:Debounce"] = "00:00:01", ["Webhooks:CheckEvery"] = "00:00:00.200" };
        await using var worker = WorkerProcess.Start(world.Replica.ConnectionString, settings);
        await worker.WaitUntilRunningAsync();
        await using (var enable = WorkerProcess.Run(world.Replica.ConnectionString, settings, "webhooks", "enable", "--instance", "Acme", "--url", worker.ApiAddress.ToString()))
        {
            await enable.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(enable.ExitCode, Is.Zero, enable.Output);
            Assert.That(enable.Output, Does.Contain($"Pipedrive sends Acme's deal changes to {worker.ApiAddress.ToString().TrimEnd('/')}/hooks/pipedrive/1 (webhook 1, basic auth user crmetl-1)."));
        }
        var hook = world.Pipedrive!.Webhooks("acme").Single();
        Assert.That((hook.EventAction, hook.EventObject, hook.Version, hook.IsActive), Is.EqualTo(("*", "deal", "2.0", true)));

        using (var http = new HttpClient())
        {
            using var forged = new HttpRequestMessage(HttpMethod.Post, new Uri(worker.ApiAddress, "/hooks/pipedrive/1")) { Content = new StringContent("{}") };
            forged.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("crmetl-1:guess"u8.ToArray()));
            Assert.That((int)(await http.SendAsync(forged)).StatusCode, Is.EqualTo(401));
        }

        // A deal added in Pipedrive: the webhook, a sync after a second, the card.
        await Task.Delay(1100);
        world.Mutate(new MutationPlan { AddDeals = 1 }, seed: 14);
        var added = world.Data.Deals.OrderByDescending(d => d.Id).First();
        await WaitForAsync(() => world.CardsOn("Design", "Briefs").Count == 1, TimeSpan.FromSeconds(60), worker);
        Assert.That(world.CardsOn("Design", "Briefs").Single().Name, Is.EqualTo(added.Title));
        Assert.That(world.Pipedrive.WebhookAttempts.Select(a => (a.Action, a.DealId, a.Status)), Is.EqualTo(new[] { ("create", added.Id, 200) }));
        await using var listed = WorkerProcess.Run(world.Replica.ConnectionString, settings, "webhooks");
        await listed.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.That(listed.Output, Does.Contain("Acme: Pipedrive webhook 1 → ").And.Contain("/hooks/pipedrive/1  1 received, the last "));
    }

    private static Task WaitForAsync(Func<bool> done, TimeSpan timeout, WorkerProcess worker) => WaitForAsync(() => Task.FromResult(done()), timeout, worker);

    private static async Task WaitForAsync(Func<Task<bool>> done, TimeSpan timeout, WorkerProcess worker)
    {
        // Elapsed time, not the date: the suite runs on any (pinned) date.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await done())
        {
            if (waited.Elapsed > timeout || worker.HasExited) Assert.Fail($"Not done within {timeout.TotalSeconds} s. The worker said:\n{worker.Output}");
            await Task.Delay(100);
        }
    }
}
