using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Scheduling;
using CrmEtl.IntegrationTests.Analytics;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Database;
using CrmEtl.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>Real 'crmetl worker' processes sharing one database: the cluster fires each run once and recovers the runs of workers that stop.</summary>
[Parallelizable] // its own databases, sandboxes and worker processes; its tests one at a time
public sealed class WorkerProcessTests
{
    private sealed record RunRow(long Id, int InstanceId, string Status, string RequestedBy, string? Worker, int Resumed, string? Error);

    [Test]
    public async Task The_api_listens_on_loopback_only_unless_configured_otherwise()
    {
        const int port = 8080; // ApiOptions' default: http://127.0.0.1:8080
        if (ListeningAddresses(port).Count > 0) Assert.Ignore($"Port {port} is taken on this machine; the default address cannot be tried.");
        var connectionString = await PostgresFixture.Databases.CreateAsync("loopback");
        await using var worker = WorkerProcess.Run(connectionString, null, "worker");
        await worker.WaitUntilRunningAsync();

        Assert.That(worker.Output, Does.Contain($"API on http://127.0.0.1:{port}"));
        // The kernel's own list of listening sockets: one on 127.0.0.1, none on 0.0.0.0, :: or another address.
        Assert.That(ListeningAddresses(port), Is.EqualTo(new[] { "127.0.0.1" }));
        using var http = new HttpClient();
        Assert.That((await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"))).IsSuccessStatusCode, Is.True);
    }

    /// <summary>The local addresses of TCP sockets listening on <paramref name="port"/>, from /proc/net/tcp and tcp6.</summary>
    private static List<string> ListeningAddresses(int port) =>
        [.. new[] { "/proc/net/tcp", "/proc/net/tcp6" }.SelectMany(File.ReadLines).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && f[3] == "0A" && f[1].EndsWith($":{port:X4}", StringComparison.Ordinal)) // 0A: LISTEN
            .Select(f => f[1][..f[1].IndexOf(':', StringComparison.Ordinal)] switch
            {
                "0100007F" => "127.0.0.1",
                "00000000" => "0.0.0.0",
                "00000000000000000000000000000000" => "::",
                "00000000000000000000000001000000" => "::1",
                var other => other,
            })];

    [Test]
    public async Task Two_workers_sync_six_instances_due_at_the_same_time_each_exactly_once()
    {
        var zones = new[] { "Europe/Helsinki", "Europe/Stockholm", "America/New_York", "Asia/Tokyo", "UTC", "Asia/Kolkata" };
        await using var sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [.. zones.Select((_, i) => new PipedriveCompanyOptions { Name = $"c{i}", ApiToken = $"token-{i}", Seed = 40 + i, Deals = 150, Activities = 300, Leads = 20 })],
            Clock = TestClock.Clock, AsOf = TestClock.Now,
        });
        var connectionString = await PostgresFixture.Databases.CreateAsync("cluster");
        using var admin = await AdminHostAsync(connectionString);
        // One moment, 25 s from now, written as a cron in each instance's own zone.
        var due = TestClock.Clock.GetUtcNow().AddSeconds(25);
        for (var i = 0; i < zones.Length; i++)
        {
            var local = TimeZoneInfo.ConvertTime(due, TimeZoneInfo.FindSystemTimeZoneById(zones[i]));
            await admin.Services.GetRequiredService<InstanceLifecycle>().AddAsync(new InstanceInput(
                $"Acme {i}", Url: sandbox.BaseUrl, Token: $"token-{i}", TimeZone: zones[i], Schedule: $"{local.Second} {local.Minute} {local.Hour} * * ?"), CancellationToken.None);
        }

        await using var first = WorkerProcess.Start(connectionString);
        await using var second = WorkerProcess.Start(connectionString);
        await first.WaitUntilRunningAsync();
        await second.WaitUntilRunningAsync();

        await SchedulingTests.Eventually(async () => (await RunsAsync(connectionString)).Count(r => r.Status != "running") == 6, TimeSpan.FromSeconds(120));
        await Task.Delay(TimeSpan.FromSeconds(3)); // room for a duplicate, were there one

        var runs = await RunsAsync(connectionString);
        Assert.That(runs.Select(r => r.InstanceId).Order(), Is.EqualTo(Enumerable.Range(1, 6)), string.Join("\n", runs) + first.Output + second.Output);
        Assert.That(runs.Select(r => (r.Status, r.RequestedBy)), Is.All.EqualTo(("succeeded", "schedule")), string.Join("\n", runs));
        Assert.That(runs.Select(r => r.Worker).Distinct().All(w => w == $"{Environment.MachineName}/{first.Pid}" || w == $"{Environment.MachineName}/{second.Pid}"), Is.True);
        TestContext.Out.WriteLine($"runs per worker: {string.Join(", ", runs.GroupBy(r => r.Worker).Select(g => $"{g.Key}: {g.Count()}"))}");
    }

    [Test]
    public async Task A_run_survives_a_worker_stopped_by_SIGTERM_and_another_killed_by_SIGKILL_and_ends_equal_to_a_clean_full_sync()
    {
        await using var sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 5, Deals = 2000, Activities = 5000, Leads = 300 }],
            Clock = TestClock.Clock, AsOf = TestClock.Now,
        });
        // Slow enough to stop a worker in the middle of the run: every request takes 15 ms, and rows are committed 200 at a time.
        sandbox.Faults.Latency = TimeSpan.FromMilliseconds(15);
        var slow = new Dictionary<string, string?> { ["Pipedrive:PageSize"] = "100", ["Pipedrive:BatchRows"] = "200" };
        var connectionString = await PostgresFixture.Databases.CreateAsync("recover");
        using var admin = await AdminHostAsync(connectionString);
        var instance = await admin.Services.GetRequiredService<InstanceLifecycle>().AddAsync(
            new InstanceInput("Acme", Url: sandbox.BaseUrl, Token: "good-token", TimeZone: "Europe/Helsinki"), CancellationToken.None);

        var workers = new List<WorkerProcess> { WorkerProcess.Start(connectionString, slow), WorkerProcess.Start(connectionString, slow) };
        try
        {
            foreach (var w in workers) await w.WaitUntilRunningAsync();
            var runId = (await admin.Services.GetRequiredService<RefreshRequests>().RequestAsync(instance, SyncMode.Incremental, CancellationToken.None)).RunId;

            // SIGTERM to the worker running it: it stops within 10 s and the run goes back to the queue, not to 'cancelled'.
            var running = await WorkerWithProgressAsync(connectionString, runId, workers, minimumWritten: 1);
            running.Terminate();
            var stopped = await running.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.That(stopped, Is.Not.Null, $"the worker did not stop within 10 s:\n{running.Output}");
            Assert.That(running.Output, Does.Contain("stopped for shutdown"));
            var afterTerm = await RunAsync(connectionString, runId);
            Assert.That(afterTerm.Status, Is.AnyOf("queued", "running"), afterTerm.Error);

            // The other worker takes it up; SIGKILL it mid-run, and a new worker recovers the run.
            var second = await WorkerWithProgressAsync(connectionString, runId, workers.Where(w => w != running), minimumWritten: 1);
            var writtenBeforeKill = await ScalarAsync<long>(connectionString, "SELECT count(*) FROM crm.deal_stage_history");
            second.Kill();
            await second.WaitForExitAsync(TimeSpan.FromSeconds(10));
            var third = WorkerProcess.Start(connectionString, slow);
            workers.Add(third);
            sandbox.Faults.Latency = TimeSpan.Zero;

            await SchedulingTests.Eventually(async () => (await RunAsync(connectionString, runId)).Status is not ("queued" or "running"), TimeSpan.FromSeconds(120));
            var run = await RunAsync(connectionString, runId);
            Assert.That(run.Status, Is.EqualTo("succeeded"), $"{run.Error}\n{third.Output}");
            Assert.That(run.Resumed, Is.GreaterThanOrEqualTo(2), "taken up after the SIGTERM and after the SIGKILL");
            Assert.That(run.Worker, Is.EqualTo($"{Environment.MachineName}/{third.Pid}"));
            Assert.That(await ScalarAsync<long>(connectionString, "SELECT count(*) FROM etl.sync_run"), Is.EqualTo(1), "one run from request to end");
            TestContext.Out.WriteLine($"stage history rows before the SIGKILL: {writtenBeforeKill}; SIGTERM exit after {stopped!.Value.TotalSeconds:0.0} s");
        }
        finally
        {
            foreach (var w in workers) await w.DisposeAsync();
        }

        // The same account synced once, cleanly, into an empty database.
        var clean = await PostgresFixture.Databases.CreateAsync("clean");
        using var cleanHost = await AdminHostAsync(clean);
        await cleanHost.Services.GetRequiredService<InstanceLifecycle>().AddAsync(
            new InstanceInput("Acme", Url: sandbox.BaseUrl, Token: "good-token", TimeZone: "Europe/Helsinki"), CancellationToken.None);
        var outcome = await cleanHost.Services.GetRequiredService<CrmEtl.Host.Sync.SyncRunCoordinator>().RunAsync("Acme", SyncMode.Full, CancellationToken.None);
        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);

        var recovered = await new PipedriveWorld.Replica(admin, connectionString).FingerprintAsync();
        var expected = await new PipedriveWorld.Replica(cleanHost, clean).FingerprintAsync();
        foreach (var (table, rows) in expected)
            Assert.That(recovered[table], Is.EqualTo(rows), $"replica table {table}");
        Assert.That(await FunnelRulesOnPostgresTests.AnalyticsFingerprintAsync(connectionString), Is.EqualTo(await FunnelRulesOnPostgresTests.AnalyticsFingerprintAsync(clean)));
    }

    private static async Task<IHost> AdminHostAsync(string connectionString)
    {
        var host = CrmEtlHost.Build(connectionString, minimumLevel: LogEventLevel.Warning);
        await WorkerHost.PrepareAsync(host.Services, CancellationToken.None);
        return host;
    }

    /// <summary>The worker that runs the run and has reported written rows.</summary>
    private static async Task<WorkerProcess> WorkerWithProgressAsync(string connectionString, long runId, IEnumerable<WorkerProcess> candidates, long minimumWritten)
    {
        WorkerProcess? found = null;
        await SchedulingTests.Eventually(async () =>
        {
            var (status, worker, written) = await QueryAsync<(string, string?, long)>(connectionString,
                "SELECT status, worker, rows_written + progress_written FROM etl.sync_run WHERE id = @runId", new { runId });
            found = candidates.FirstOrDefault(c => worker == $"{Environment.MachineName}/{c.Pid}");
            return status == "running" && found is not null && written >= minimumWritten;
        }, TimeSpan.FromSeconds(60));
        return found!;
    }

    private static async Task<RunRow> RunAsync(string connectionString, long runId) =>
        await QueryAsync<RunRow>(connectionString, "SELECT id, instance_id AS InstanceId, status, requested_by AS RequestedBy, worker, resumed, error FROM etl.sync_run WHERE id = @runId", new { runId });

    private static async Task<List<RunRow>> RunsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return (await connection.QueryAsync<RunRow>("SELECT id, instance_id AS InstanceId, status, requested_by AS RequestedBy, worker, resumed, error FROM etl.sync_run ORDER BY instance_id")).ToList();
    }

    private static async Task<T> QueryAsync<T>(string connectionString, string sql, object args)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.QuerySingleAsync<T>(sql, args);
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return (await connection.ExecuteScalarAsync<T>(sql))!;
    }
}
