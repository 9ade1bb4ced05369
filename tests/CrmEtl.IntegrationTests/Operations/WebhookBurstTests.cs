using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Sync;
using CrmEtl.Host.Webhooks;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>Pipedrive's webhooks reaching a worker: a burst of them is one sync (or two), and a forged one none.</summary>
[Parallelizable] // its own sandbox, database and worker
public sealed class WebhookBurstTests
{
    [Test]
    public async Task A_burst_of_100_webhooks_is_answered_at_once_and_makes_one_or_two_syncs_and_a_forged_one_counts_for_nothing()
    {
        await using var world = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 6, Deals = 60, Activities = 60, Leads = 0 });
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("webhook-burst"),
            new() { ["Webhooks:Debounce"] = "00:00:01", ["Webhooks:CheckEvery"] = "00:00:00.200" });
        await worker.Services.GetRequiredService<InstanceRepository>().AddAsync(
            new NewInstance("Acme", InstanceKinds.Pipedrive, world.Sandbox.BaseUrl, new InstanceCredentials("good-token", null)), CancellationToken.None);
        var first = await worker.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Full, CancellationToken.None);
        Assert.That(first.Status, Is.EqualTo(RunStatus.Succeeded), first.Error);
        var hook = await worker.Services.GetRequiredService<WebhookSubscriptions>().EnableAsync("Acme", worker.Client.BaseAddress!.ToString(), "test", CancellationToken.None);
        var subscribed = world.Sandbox.Webhooks("acme").Single();
        using var http = new HttpClient { BaseAddress = worker.Client.BaseAddress };
        Task<HttpResponseMessage> SendAsync(string password, int n)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/pipedrive/{hook.InstanceId}")
            {
                Content = new StringContent($$"""{"meta": {"action": "change", "entity": "deal", "entity_id": "{{n}}", "version": "2.0"}, "data": {"id": {{n}} }, "previous": null }""",
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{subscribed.HttpAuthUser}:{password}")));
            return http.SendAsync(request);
        }

        // A forged webhook: refused, not counted, no sync made due.
        using (var forged = await SendAsync("guess", 1)) Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await worker.ScalarAsync<string>("SELECT concat_ws('|', received, sync_due_at) FROM etl.webhook"), Is.EqualTo("0"), "nothing received, no sync due");

        // A hundred at once, as a bulk edit in Pipedrive sends them: each answered, all counted, one sync after the quiet second.
        var answers = await Task.WhenAll(Enumerable.Range(1, 100).Select(n => SendAsync(subscribed.HttpAuthPassword!, n)));
        Assert.That(answers.Select(a => a.StatusCode).Distinct(), Is.EqualTo(new[] { HttpStatusCode.OK }));
        Assert.That(await worker.ScalarAsync<long>("SELECT received FROM etl.webhook"), Is.EqualTo(100));
        for (var waited = 0; waited < 300 && !await worker.ScalarAsync<bool>(
            "SELECT w.sync_due_at IS NULL AND w.last_run_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM etl.sync_run WHERE status = 'running') FROM etl.webhook w"); waited++)
            await Task.Delay(100);
        await Task.Delay(TimeSpan.FromSeconds(2)); // a debounce and then some: no further run comes
        Assert.That(await worker.RowsAsync("SELECT concat_ws('|', mode, status) FROM etl.sync_run WHERE id <> @first ORDER BY id", new { first = first.RunId }),
            Has.Count.InRange(1, 2).And.All.EqualTo("incremental|succeeded"), "one or two incremental syncs for 100 webhooks");
    }
}
