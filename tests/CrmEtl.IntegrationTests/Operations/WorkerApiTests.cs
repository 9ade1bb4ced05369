using System.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrmEtl.Host.Api;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Instances;
using CrmEtl.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>The worker's HTTP API against a real database, a real scheduler and the Pipedrive sandbox.</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own worker, sandbox and database
public sealed class WorkerApiTests
{
    private sealed record Accepted(long RunId, bool Coalesced);

    private static async Task<(PipedriveWorld World, InProcessWorker Worker, InstanceView Instance)> StartAsync(string? token = null)
    {
        var world = await PipedriveWorld.StartAsync();
        var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("api"));
        var response = await worker.Client.PostAsJsonAsync("/api/instances", new
        {
            name = "Acme", url = world.Sandbox.BaseUrl, token = token ?? world.Company.ApiToken, timeZone = "Europe/Helsinki", currency = "EUR",
        });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (world, worker, (await response.Content.ReadFromJsonAsync<InstanceView>())!);
    }

    [Test]
    public async Task Every_api_request_needs_the_key_but_health_checks_and_the_openapi_document_do_not()
    {
        var (world, worker, instance) = await StartAsync();
        await using var _ = world;
        await using var __ = worker;
        using var anonymous = new HttpClient { BaseAddress = worker.Client.BaseAddress };

        var none = await anonymous.PostAsync($"/api/instances/{instance.Id}/refresh", null);
        Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await none.Content.ReadAsStringAsync(), Does.Contain("X-Api-Key"));
        anonymous.DefaultRequestHeaders.Add(WorkerApi.KeyHeader, InProcessWorker.ApiKey + "x");
        Assert.That((await anonymous.GetAsync("/api/instances")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await anonymous.GetAsync("/api/runs")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await worker.ScalarAsync<long>("SELECT count(*) FROM etl.sync_run"), Is.EqualTo(0), "a refused request starts nothing");
        // The key is checked before the body is read: without it, a broken or oversized body is refused the same way.
        using var broken = new StringContent("{\"name\": ", Encoding.UTF8, "application/json");
        Assert.That((await anonymous.PostAsync("/api/instances", broken)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var huge = new StringContent(new string('x', 200_000), Encoding.UTF8, "application/json");
        Assert.That((await anonymous.PostAsync("/api/instances", huge)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        // With the key, a body over Api:MaxRequestBodyBytes (64 KB) is refused unread.
        using var hugeWithKey = new StringContent($"{{\"name\": \"{new string('x', 200_000)}\"}}", Encoding.UTF8, "application/json");
        Assert.That((await worker.Client.PostAsync("/api/instances", hugeWithKey)).StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await worker.ScalarAsync<long>("SELECT count(*) FROM etl.instance"), Is.EqualTo(1), "no instance was added");

        Assert.That((await worker.Client.GetAsync("/api/instances")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await anonymous.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var ready = await anonymous.GetAsync("/readyz");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ready.Content.ReadAsStringAsync());
        var openApi = await anonymous.GetStringAsync("/openapi/v1.json");
        Assert.That(openApi, Does.Contain("/api/instances/{id}/refresh").And.Contain("/api/runs/{id}").And.Contain("\"X-Api-Key\""));
    }

    [Test]
    public async Task Readiness_is_degraded_naming_the_enabled_instances_without_a_recent_successful_run()
    {
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("health"), new() { ["Health:LastRunOlderThan"] = "1.00:00:00" });
        using var anonymous = new HttpClient { BaseAddress = worker.Client.BaseAddress };
        foreach (var name in new[] { "Acme", "Beta", "Gamma" })
            await worker.Client.PostAsJsonAsync("/api/instances", new { name, url = "http://127.0.0.1:9", token = "token-1234" });

        var fresh = await ReadyAsync(anonymous);
        Assert.That(fresh.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(fresh.Body.GetProperty("status").GetString(), Is.EqualTo("Healthy"), fresh.Body.ToString());
        Assert.That(fresh.Body.GetProperty("checks").EnumerateObject().Select(c => $"{c.Name}:{c.Value.GetProperty("status").GetString()}"),
            Is.EquivalentTo(new[] { "database:Healthy", "scheduler:Healthy", "last_runs:Healthy" }));

        // Three days on: Acme last succeeded two days ago, Beta never ran, Gamma is disabled.
        var now = TestClock.Clock.GetUtcNow();
        await worker.ScalarAsync<int>("UPDATE etl.instance SET created_at = @at RETURNING 1", new { at = now.AddDays(-3) });
        await worker.ScalarAsync<int>("""
            INSERT INTO etl.sync_run (instance_id, mode, status, requested_by, requested_at, started_at, ended_at)
            SELECT id, 'incremental', 'succeeded', 'schedule', @at, @at, @at FROM etl.instance WHERE name = 'Acme' RETURNING 1
            """, new { at = now.AddDays(-2) });
        await worker.Client.PostAsync($"/api/instances/{await worker.ScalarAsync<int>("SELECT id FROM etl.instance WHERE name = 'Gamma'")}/disable", null);

        var stale = await ReadyAsync(anonymous);
        Assert.That(stale.Status, Is.EqualTo(HttpStatusCode.OK), "a degraded worker still serves");
        Assert.That(stale.Body.GetProperty("status").GetString(), Is.EqualTo("Degraded"));
        var lastRuns = stale.Body.GetProperty("checks").GetProperty("last_runs");
        Assert.That(lastRuns.GetProperty("status").GetString(), Is.EqualTo("Degraded"));
        Assert.That(lastRuns.GetProperty("description").GetString(), Does.StartWith("2 instance(s) without a successful run for more than 24 h: Acme (last ")
            .And.EndWith("Beta (never).").And.Not.Contain("Gamma"));
        Assert.That((await anonymous.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the process is alive all the same");
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync(HttpClient client)
    {
        var response = await client.GetAsync("/readyz");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Test]
    public async Task A_zoho_instance_is_added_over_the_api_with_its_oauth_client_and_refreshed()
    {
        await using var zoho = await ZohoWorld.StartAsync();
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("api"));
        var org = zoho.Org.Options;
        object Body(string? refreshToken) => new
        {
            kind = "zoho", name = "Acme Germany", url = zoho.Sandbox.AccountsUrl("eu"), clientId = org.ClientId, clientSecret = org.ClientSecret, refreshToken,
            timeZone = "Europe/Berlin", currency = "EUR",
        };

        var incomplete = await worker.Client.PostAsJsonAsync("/api/instances", Body(null));
        Assert.That(incomplete.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await incomplete.Content.ReadAsStringAsync(), Does.Contain("refreshToken is required"));

        var added = await worker.Client.PostAsJsonAsync("/api/instances", Body(org.RefreshToken));
        var body = await added.Content.ReadAsStringAsync();
        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created), body);
        Assert.That(body, Does.Contain(org.ClientId).And.Not.Contain(org.ClientSecret).And.Not.Contain(org.RefreshToken));
        var instance = JsonSerializer.Deserialize<InstanceView>(body, JsonSerializerOptions.Web)!;
        var refresh = await worker.Client.PostAsync($"/api/instances/{instance.Id}/refresh", null);
        Assert.That(refresh.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        await SchedulingTests.Eventually(async () => await worker.ScalarAsync<string>("SELECT status FROM etl.sync_run") == "succeeded", TimeSpan.FromSeconds(60));
        Assert.That(await worker.ScalarAsync<long>("SELECT count(*) FROM crm.deal"), Is.EqualTo(zoho.Org.Data.Deals.Count(d => !d.IsDeleted)));
    }

    [Test]
    public async Task Twenty_concurrent_refresh_requests_produce_one_run()
    {
        var (world, worker, instance) = await StartAsync();
        await using var _ = world;
        await using var __ = worker;

        // Hold the instance as a running sync would, so that all twenty requests arrive while the first run waits.
        var locks = worker.Services.GetRequiredService<InstanceLocks>();
        var held = await locks.TryAcquireAsync(instance.Id, CancellationToken.None);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => worker.Client.PostAsync($"/api/instances/{instance.Id}/refresh", null)));
        await held!.DisposeAsync();

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.Accepted));
        var accepted = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<Accepted>()));
        Assert.That(accepted.Select(a => a!.RunId).Distinct().Count(), Is.EqualTo(1), "every request names the same run");
        Assert.That(accepted.Count(a => !a!.Coalesced), Is.EqualTo(1), "one request created it, nineteen joined it");
        Assert.That(responses[0].Headers.Location?.ToString(), Is.EqualTo($"/api/runs/{accepted[0]!.RunId}"));

        var run = await worker.WaitForRunAsync(accepted[0]!.RunId, TimeSpan.FromSeconds(60));
        Assert.That(run.Status, Is.EqualTo("succeeded"), run.Error);
        Assert.That(run.RequestedBy, Is.EqualTo("refresh"));
        Assert.That(run.RowsWritten, Is.GreaterThan(0));
        await Task.Delay(TimeSpan.FromSeconds(2)); // the other triggers have fired by now and found nothing to do
        Assert.That(await worker.ScalarAsync<long>("SELECT count(*) FROM etl.sync_run"), Is.EqualTo(1));
        var listed = await worker.Client.GetFromJsonAsync<List<InstanceView>>("/api/instances");
        Assert.That(listed!.Single().LastRun?.Id, Is.EqualTo(run.Id));
        Assert.That(listed!.Single().NextFire, Is.GreaterThan(TestClock.Clock.GetUtcNow()));
    }

    [Test]
    public async Task Status_follows_the_credentials_and_the_crm_and_tokens_are_masked_and_encrypted_at_rest()
    {
        var (world, worker, instance) = await StartAsync(token: "wrong-token-1234");
        await using var _ = world;
        await using var __ = worker;
        Assert.That(instance.Token, Is.EqualTo("****1234"));
        var stored = await worker.ScalarAsync<string>("SELECT credentials::text FROM etl.instance");
        Assert.That(stored, Does.Not.Contain("wrong-token"));

        var failed = await TestAsync(worker, instance.Id);
        Assert.That(failed.Status, Is.EqualTo("auth_failed"));
        Assert.That(failed.Error, Does.Contain("API token"));
        Assert.That((await InstanceAsync(worker, instance.Id)).LastError, Is.EqualTo(failed.Error));

        var patch = await worker.Client.PatchAsJsonAsync($"/api/instances/{instance.Id}", new { token = world.Company.ApiToken });
        Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var connected = await TestAsync(worker, instance.Id);
        Assert.That(connected.Status, Is.EqualTo("connected"));
        Assert.That(connected.Pipelines, Is.Not.Empty);
        Assert.That(connected.Pipelines[0].Stages, Is.Not.Empty);
        var listed = await worker.Client.GetStringAsync("/api/instances");
        Assert.That(listed, Does.Not.Contain(world.Company.ApiToken));

        await worker.Client.PostAsync($"/api/instances/{instance.Id}/disable", null);
        Assert.That((await InstanceAsync(worker, instance.Id)).Status, Is.EqualTo("disabled"));
        Assert.That((await InstanceAsync(worker, instance.Id)).NextFire, Is.Null, "a disabled instance has no schedule");
        var refused = await worker.Client.PostAsync($"/api/instances/{instance.Id}/refresh", null);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("disabled"));

        world.Sandbox.Faults.ServerErrorRate = 1;
        var enabled = await worker.Client.PostAsync($"/api/instances/{instance.Id}/enable", null);
        var afterEnable = (await enabled.Content.ReadFromJsonAsync<ConnectionTest>())!;
        Assert.That(afterEnable.Status, Is.EqualTo("error"), "the CRM answers 500 to everything");
        Assert.That(afterEnable.Error, Does.Contain("500"));
        world.Sandbox.Faults.Clear();
        Assert.That((await TestAsync(worker, instance.Id)).Status, Is.EqualTo("connected"));
        Assert.That((await InstanceAsync(worker, instance.Id)).NextFire, Is.Not.Null);

        var bad = await worker.Client.PatchAsJsonAsync($"/api/instances/{instance.Id}", new { timeZone = "Mars/Olympus", schedule = "0 2 * * *" });
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problems = await bad.Content.ReadAsStringAsync();
        Assert.That(problems, Does.Contain("timeZone 'Mars/Olympus' is not a known IANA time zone").And.Contain("schedule '0 2 * * *' is not a Quartz cron expression"));
        Assert.That((await worker.Client.GetAsync("/api/instances/999")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Reset_leaves_no_rows_of_the_instance_and_the_next_run_reads_everything_again()
    {
        var (world, worker, instance) = await StartAsync();
        await using var _ = world;
        await using var __ = worker;
        var first = await RefreshAsync(worker, instance.Id);
        Assert.That(first.Status, Is.EqualTo("succeeded"), first.Error);
        await using (var connection = new NpgsqlConnection(worker.ConnectionString))
            await connection.ExecuteAsync("INSERT INTO config.person (instance_id, user_id, person, team) SELECT @id, min(id), 'Anna', 'North' FROM crm.crm_user WHERE instance_id = @id", new { id = instance.Id });
        Assert.That(await RowsOfInstanceAsync(worker, instance.Id), Is.GreaterThan(1000));

        var reset = await worker.Client.PostAsync($"/api/instances/{instance.Id}/reset", null);
        Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.OK), await reset.Content.ReadAsStringAsync());

        Assert.That(await RowsOfInstanceAsync(worker, instance.Id), Is.EqualTo(0));
        Assert.That(await worker.ScalarAsync<long>("SELECT count(*) FROM etl.sync_run"), Is.EqualTo(1), "the run history stays");
        Assert.That((await InstanceAsync(worker, instance.Id)).Token, Is.EqualTo(instance.Token), "the instance and its credentials stay");

        var again = await RefreshAsync(worker, instance.Id);
        Assert.That(again.Status, Is.EqualTo("succeeded"), again.Error);
        Assert.That(again.Mode, Is.EqualTo("incremental"), "asked for as incremental ...");
        Assert.That(again.RowsWritten, Is.EqualTo(first.RowsWritten), "... it read everything again, as the first run did");
    }

    /// <summary>Rows carrying the instance id in every table of crm, config and analytics, plus its sync state.</summary>
    private static async Task<long> RowsOfInstanceAsync(InProcessWorker worker, int id)
    {
        await using var connection = new NpgsqlConnection(worker.ConnectionString);
        var tables = await connection.QueryAsync<string>("""
            SELECT format('%I.%I', c.table_schema, c.table_name) FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.column_name = 'instance_id' AND t.table_type = 'BASE TABLE' AND c.table_schema IN ('crm', 'config', 'analytics')
            UNION ALL SELECT 'etl.sync_state'
            """);
        long total = 0;
        foreach (var table in tables) total += await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table} WHERE instance_id = @id", new { id });
        return total;
    }

    private static async Task<RunView> RefreshAsync(InProcessWorker worker, int id)
    {
        var response = await worker.Client.PostAsync($"/api/instances/{id}/refresh", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        return await worker.WaitForRunAsync((await response.Content.ReadFromJsonAsync<Accepted>())!.RunId, TimeSpan.FromSeconds(60));
    }

    private static async Task<ConnectionTest> TestAsync(InProcessWorker worker, int id)
    {
        var response = await worker.Client.PostAsync($"/api/instances/{id}/test", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<ConnectionTest>())!;
    }

    private static async Task<InstanceView> InstanceAsync(InProcessWorker worker, int id) =>
        (await worker.Client.GetFromJsonAsync<InstanceView>($"/api/instances/{id}"))!;
}
