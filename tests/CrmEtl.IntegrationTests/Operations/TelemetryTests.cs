using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using CrmEtl.Host.Api;
using CrmEtl.Sandbox.Pipedrive;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>What a real worker tells Prometheus (/metrics, behind the API key) and an OTLP collector, and its rendered API reference.</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own worker, sandbox and database
public sealed partial class TelemetryTests
{
    [Test]
    public async Task After_a_sync_a_worker_shows_its_figures_at_metrics_and_sends_its_trace_and_metrics_to_an_otlp_collector()
    {
        await using var world = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 7, Deals = 120, Activities = 200, Leads = 10 });
        await using var collector = await OtlpCollector.StartAsync();
        var connectionString = await PostgresFixture.Databases.CreateAsync("telemetry");
        await using var worker = WorkerProcess.Start(connectionString, environment: new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address, ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200", ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        await worker.WaitUntilRunningAsync();
        using var api = new HttpClient { BaseAddress = worker.ApiAddress };
        api.DefaultRequestHeaders.Add(WorkerApi.KeyHeader, InProcessWorker.ApiKey);
        var added = await api.PostAsJsonAsync("/api/instances", new { name = "Metered", url = world.Sandbox.BaseUrl, token = "good-token" });
        var instance = (await added.Content.ReadFromJsonAsync<InstanceView>())!;
        await api.PostAsync($"/api/instances/{instance.Id}/refresh", null);
        await SchedulingTests.Eventually(async () => (await api.GetFromJsonAsync<List<RunView>>("/api/runs"))!.SingleOrDefault()?.EndedAt is not null, TimeSpan.FromSeconds(60));
        var run = (await api.GetFromJsonAsync<List<RunView>>("/api/runs"))!.Single();
        Assert.That(run.Status, Is.EqualTo("succeeded"), run.Error);

        using var anonymous = new HttpClient { BaseAddress = worker.ApiAddress };
        Assert.That((await anonymous.GetAsync(WorkerApi.MetricsPath)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var prometheus = new HttpClient { BaseAddress = worker.ApiAddress };
        prometheus.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", InProcessWorker.ApiKey);
        var metrics = await prometheus.GetStringAsync(WorkerApi.MetricsPath);

        Assert.That(Sum(metrics, "crmetl_runs_total", "instance=\"Metered\"", "status=\"succeeded\""), Is.EqualTo(1), metrics);
        Assert.That(Sum(metrics, "crmetl_api_calls_total", "instance=\"Metered\""), Is.EqualTo(run.ApiCalls));
        Assert.That(Sum(metrics, "crmetl_api_tokens_total", "instance=\"Metered\""), Is.EqualTo(run.Tokens));
        Assert.That(Sum(metrics, "crmetl_rows_read_total", "instance=\"Metered\""), Is.EqualTo(run.RowsRead));
        Assert.That(Sum(metrics, "crmetl_rows_written_total", "instance=\"Metered\""), Is.EqualTo(run.RowsWritten));
        Assert.That(Sum(metrics, "crmetl_api_calls_total", "stream=\"deals\""), Is.GreaterThan(0), "per stream");
        Assert.That(Sum(metrics, "crmetl_crm_wait_seconds_total", "instance=\"Metered\""), Is.GreaterThan(0));
        Assert.That(Sum(metrics, "crmetl_db_write_seconds_total", "instance=\"Metered\""), Is.GreaterThan(0));
        Assert.That(Sum(metrics, "crmetl_run_duration_seconds_count", "status=\"succeeded\""), Is.EqualTo(1));
        Assert.That(Sum(metrics, "crmetl_refresh_queued"), Is.EqualTo(0));
        Assert.That(metrics, Does.Contain("http_client_request_duration_seconds").And.Contain("db_client_"), "HttpClient's and Npgsql's own metrics");

        await SchedulingTests.Eventually(() => Task.FromResult(collector.Received("/v1/traces", "sync Metered") && collector.Received("/v1/metrics", "crmetl.runs")), TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task The_api_reference_is_rendered_at_api_docs_from_the_workers_own_openapi_document_without_the_key()
    {
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("docs"));
        using var anonymous = new HttpClient { BaseAddress = worker.Client.BaseAddress };
        var page = await anonymous.GetAsync(WorkerApi.DocsPath);
        var html = await page.Content.ReadAsStringAsync();
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        // The page resolves its source against the site's root: /openapi/v1.json, the document the worker serves without the key.
        Assert.That(html, Does.Contain("<title>CrmEtl worker API</title>").And.Contain("\"url\":\"openapi/v1.json\""));
        Assert.That(await anonymous.GetStringAsync("/openapi/v1.json"), Does.Contain("/api/instances/{id}/refresh"));
        // Everything the page loads comes from the worker: nothing from a CDN (the machines it runs on may have no internet).
        var scripts = ScriptSources().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.That(scripts, Is.Not.Empty);
        foreach (var script in scripts)
        {
            Assert.That(script, Does.Not.StartWith("http"), "served by the worker");
            Assert.That((await anonymous.GetAsync(new Uri(new Uri(worker.Client.BaseAddress!, WorkerApi.DocsPath + "/"), script))).StatusCode, Is.EqualTo(HttpStatusCode.OK), script);
        }
    }

    /// <summary>The sum of a Prometheus metric's samples whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sum(string exposition, string metric, params string[] labels) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .Where(l => labels.All(label => l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l.Split(' ')[^1], CultureInfo.InvariantCulture));

    [GeneratedRegex("<script[^>]*src=\"([^\"]+)\"")]
    private static partial Regex ScriptSources();

    /// <summary>A loopback OTLP/HTTP receiver that keeps what it was sent (protobuf, looked into as text).</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentBag<(string Path, string Body)> _received = [];

        private OtlpCollector(WebApplication app) => _app = app;

        public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public static async Task<OtlpCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            var app = builder.Build();
            app.Urls.Add("http://127.0.0.1:0");
            var collector = new OtlpCollector(app);
            app.MapPost("/v1/{signal}", async (HttpRequest request) =>
            {
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                collector._received.Add((request.Path, Encoding.Latin1.GetString(body.ToArray())));
                return Results.Ok();
            });
            await app.StartAsync();
            return collector;
        }

        public bool Received(string path, string text) => _received.Any(r => r.Path == path && r.Body.Contains(text, StringComparison.Ordinal));

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
