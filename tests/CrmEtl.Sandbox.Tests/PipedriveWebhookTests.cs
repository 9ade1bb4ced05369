using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Testing;
using CrmEtl.Testing.OpenApi;

namespace CrmEtl.Sandbox.Tests;

/// <summary>The Pipedrive sandbox's webhooks: subscriptions as the spec says, and v2 deliveries with Pipedrive's retries, to a real HTTP receiver.</summary>
public sealed class PipedriveWebhookTests
{
    private static OpenApiSpec V1 => OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", "v1-openapi.yml"));

    [Test]
    public async Task A_subscribed_receiver_gets_each_deal_change_as_a_v2_event_with_only_the_changed_fields_and_failed_deliveries_are_retried()
    {
        var retries = new[] { TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(900) };
        await using var sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [new PipedriveCompanyOptions { Name = "acme", ApiToken = "hook-token", Seed = 8, Deals = 40, Activities = 40, Leads = 4 }],
            Clock = TestClock.Clock, AsOf = TestClock.Now, WebhookRetries = retries, WebhookScanEvery = TimeSpan.FromMilliseconds(50),
        });
        using var receiver = new Receiver(failFirst: 2);
        using var http = new HttpClient { BaseAddress = new Uri(sandbox.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-token", "hook-token");

        var refused = await http.PostAsync(new Uri("/api/v1/webhooks", UriKind.Relative), JsonContent.Create(new { subscription_url = receiver.Url, event_action = "*", event_object = "deal" }));
        Assert.That(((int)refused.StatusCode, (await refused.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>()), Is.EqualTo((400, "Validation failed: name: Required")));
        var made = await http.PostAsync(new Uri("/api/v1/webhooks", UriKind.Relative), JsonContent.Create(new
        {
            subscription_url = receiver.Url, event_action = "*", event_object = "deal", name = "CrmEtl", http_auth_user = "crmetl-1", http_auth_password = "s3cret", version = "2.0",
        }));
        var body = await made.Content.ReadAsStringAsync();
        Assert.That((int)made.StatusCode, Is.EqualTo(201), body);
        Assert.That(V1.ValidateResponse("POST", "/webhooks", 201, body), Is.Empty);
        var listed = await http.GetStringAsync(new Uri("/api/v1/webhooks", UriKind.Relative));
        Assert.That(V1.ValidateResponse("GET", "/webhooks", 200, listed), Is.Empty);
        var hookId = JsonNode.Parse(body)!["data"]!["id"]!.GetValue<long>();

        // A deal moves: the receiver fails twice, then takes it; the three attempts are 300 and 600 ms apart.
        var company = sandbox.Companies[0];
        var deal = company.Deals.First(d => d.Status == "open" && !d.IsDeleted);
        var (from, to) = (deal.StageId, company.Stages.First(s => s.PipelineId == deal.PipelineId && s.Id != deal.StageId).Id);
        sandbox.MoveDeal("acme", deal.Id, to);
        await WaitForAsync(() => receiver.Received.Count(r => r.Status == 200) == 1);
        var attempts = sandbox.WebhookAttempts.Where(a => a.DealId == deal.Id).ToList();
        Assert.That(attempts.Select(a => (a.Attempt, a.Status, a.Action)), Is.EqualTo(new[] { (1, 500, "change"), (2, 500, "change"), (3, 200, "change") }));
        // Timers may fire a clock tick early against the clock the attempts are stamped with (seen: 599.94 ms for 600).
        var tick = TimeSpan.FromMilliseconds(16);
        Assert.That(attempts[1].At - attempts[0].At, Is.GreaterThanOrEqualTo(retries[0] - tick));
        Assert.That(attempts[2].At - attempts[1].At, Is.GreaterThanOrEqualTo(retries[1] - tick));
        var taken = receiver.Received.Single(r => r.Status == 200);
        Assert.That(taken.Authorization, Is.EqualTo("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("crmetl-1:s3cret"))));
        var payload = JsonNode.Parse(taken.Body)!;
        var meta = payload["meta"]!;
        Assert.That((meta["action"]!.GetValue<string>(), meta["entity"]!.GetValue<string>(), meta["entity_id"]!.GetValue<string>(), meta["version"]!.GetValue<string>(),
                meta["webhook_id"]!.GetValue<string>(), meta["attempt"]!.GetValue<int>()),
            Is.EqualTo(("change", "deal", deal.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "2.0", hookId.ToString(System.Globalization.CultureInfo.InvariantCulture), 3)));
        Assert.That(meta["id"], Is.Not.Null);
        Assert.That(meta["timestamp"], Is.Not.Null);
        Assert.That(payload["data"]!["stage_id"]!.GetValue<long>(), Is.EqualTo(to));
        var previous = payload["previous"]!.AsObject();
        Assert.That(previous["stage_id"]!.GetValue<long>(), Is.EqualTo(from));
        Assert.That(previous.Select(p => p.Key), Does.Not.Contain("title").And.Not.Contain("id"), "previous holds only the changed fields");

        // A new deal is a create without previous; after the webhook is deleted, nothing more is sent.
        sandbox.Mutate("acme", new MutationPlan { AddDeals = 1 }, seed: 3);
        await WaitForAsync(() => sandbox.WebhookAttempts.Any(a => a.Action == "create" && a.Status == 200));
        Assert.That(sandbox.WebhookAttempts.Single(a => a.Action == "create").Payload["previous"], Is.Null);
        var deleted = await http.DeleteAsync(new Uri($"/api/v1/webhooks/{hookId}", UriKind.Relative));
        Assert.That(V1.ValidateResponse("DELETE", "/webhooks/{id}", 200, await deleted.Content.ReadAsStringAsync()), Is.Empty);
        var sent = sandbox.WebhookAttempts.Count;
        sandbox.Mutate("acme", new MutationPlan { AddDeals = 1, UpdateDeals = 2 }, seed: 4);
        await Task.Delay(300);
        Assert.That(sandbox.WebhookAttempts, Has.Count.EqualTo(sent));
    }

    private static async Task WaitForAsync(Func<bool> done)
    {
        // Elapsed time, not the date: the suite runs on any (pinned) date.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail("Not within 15 s.");
            await Task.Delay(20);
        }
    }

    /// <summary>A loopback HTTP receiver that answers 500 to its first requests, then 200, and keeps what it got.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private int _left;

        public Receiver(int failFirst)
        {
            _left = failFirst;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/hooks/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public string Url { get; }
        public List<(int Status, string Authorization, string Body)> Received { get; } = [];

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                var status = Interlocked.Decrement(ref _left) >= 0 ? 500 : 200;
                lock (Received) Received.Add((status, context.Request.Headers["Authorization"] ?? "", body));
                context.Response.StatusCode = status;
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
