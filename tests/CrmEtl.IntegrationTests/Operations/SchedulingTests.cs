using System.Globalization;
using System.Net.Http.Json;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Api;
using CrmEtl.Host.Scheduling;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Instances;
using CrmEtl.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>Schedules in Quartz's PostgreSQL job store: time zones, edits without a restart, missed fires.</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own worker, sandbox and database
public sealed class SchedulingTests
{
    private static Instance InstanceIn(string zone, string schedule = InstanceSchedule.Default) => new()
    {
        Id = 1, Name = "Acme", Kind = InstanceKinds.Pipedrive, BaseUrl = "http://127.0.0.1:1", Credentials = new InstanceCredentials("t", null),
        TimeZone = zone, Schedule = schedule,
    };

    private sealed class StoppedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static List<DateTimeOffset> FiresAfter(Instance instance, DateTimeOffset from, int count)
    {
        var trigger = InstanceSchedules.BuildScheduleTrigger(instance, new StoppedClock(from));
        var fires = new List<DateTimeOffset>();
        var at = from;
        while (fires.Count < count) fires.Add(at = trigger.GetFireTimeAfter(at) ?? throw new InvalidOperationException("no next fire"));
        return fires;
    }

    [Test]
    public void The_nightly_fire_is_at_two_local_time_on_both_sides_of_a_daylight_saving_change()
    {
        // Helsinki moves from UTC+2 to UTC+3 at 03:00 on 29 March 2026, and back at 04:00 on 25 October 2026.
        var spring = FiresAfter(InstanceIn("Europe/Helsinki"), new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero), 3);
        Assert.That(spring, Is.EqualTo(new[]
        {
            new DateTimeOffset(2026, 3, 28, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 29, 23, 0, 0, TimeSpan.Zero),
        }));
        var autumn = FiresAfter(InstanceIn("Europe/Helsinki"), new DateTimeOffset(2026, 10, 23, 12, 0, 0, TimeSpan.Zero), 3);
        Assert.That(autumn, Is.EqualTo(new[]
        {
            new DateTimeOffset(2026, 10, 23, 23, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 10, 24, 23, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 10, 26, 0, 0, 0, TimeSpan.Zero),
        }));
        // New York changes on other dates (8 March 2026): 06:30 on weekdays stays 06:30 local.
        var newYork = FiresAfter(InstanceIn("America/New_York", "0 30 6 ? * MON-FRI"), new DateTimeOffset(2026, 3, 5, 12, 0, 0, TimeSpan.Zero), 3);
        Assert.That(newYork, Is.EqualTo(new[]
        {
            new DateTimeOffset(2026, 3, 6, 11, 30, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 9, 10, 30, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 10, 10, 30, 0, TimeSpan.Zero),
        }));
    }

    [Test]
    public async Task Schedules_follow_adds_edits_disables_and_removals_without_a_restart_whoever_makes_them()
    {
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("sched"));
        var added = await worker.Client.PostAsJsonAsync("/api/instances", new { name = "Acme", url = "http://127.0.0.1:9", token = "token-1234", timeZone = "Europe/Helsinki" });
        var instance = (await added.Content.ReadFromJsonAsync<InstanceView>())!;

        Assert.That(await CronOfAsync(worker, instance.Id), Is.EqualTo(("0 0 2 * * ?", "Europe/Helsinki")));
        var helsinkiTwoAm = TimeZoneInfo.ConvertTime(instance.NextFire!.Value, TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki"));
        Assert.That((helsinkiTwoAm.Hour, helsinkiTwoAm.Minute), Is.EqualTo((2, 0)));
        var now = TestClock.Clock.GetUtcNow();
        Assert.That(instance.NextFire, Is.GreaterThan(now).And.LessThanOrEqualTo(now.AddDays(1)));

        await worker.Client.PatchAsJsonAsync($"/api/instances/{instance.Id}", new { schedule = "0 30 6 ? * MON-FRI", timeZone = "America/New_York" });
        Assert.That(await CronOfAsync(worker, instance.Id), Is.EqualTo(("0 30 6 ? * MON-FRI", "America/New_York")));

        // Another machine's 'crmetl instances edit' writes the instance; this worker catches up on its own.
        await worker.Services.GetRequiredService<InstanceRepository>().UpdateAsync(instance.Id, new InstanceEdit(Schedule: "0 0 23 * * ?", TimeZone: "Asia/Tokyo"), CancellationToken.None);
        await Eventually(async () => await CronOfAsync(worker, instance.Id) == ("0 0 23 * * ?", "Asia/Tokyo"));

        await worker.Client.PostAsync($"/api/instances/{instance.Id}/disable", null);
        Assert.That(await CronOfAsync(worker, instance.Id), Is.Null);
        await worker.Client.PostAsync($"/api/instances/{instance.Id}/enable", null);
        Assert.That(await CronOfAsync(worker, instance.Id), Is.EqualTo(("0 0 23 * * ?", "Asia/Tokyo")));

        await worker.Client.DeleteAsync($"/api/instances/{instance.Id}");
        Assert.That(await worker.ScalarAsync<long>("SELECT count(*) FROM quartz.qrtz_job_details"), Is.EqualTo(0));
    }

    [Test]
    public async Task A_nightly_fire_missed_while_no_worker_ran_runs_once_at_start_up_not_once_per_missed_night()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var connectionString = await PostgresFixture.Databases.CreateAsync("misfire");
        long nextFireTicks;
        await using (var first = await InProcessWorker.StartAsync(connectionString))
        {
            await first.Client.PostAsJsonAsync("/api/instances", new { name = "Acme", url = world.Sandbox.BaseUrl, token = world.Company.ApiToken, timeZone = "Europe/Helsinki" });
            nextFireTicks = await first.ScalarAsync<long>("SELECT next_fire_time FROM quartz.qrtz_triggers");
        }
        // The workers were down for three nights: the trigger still waits for a fire three days ago.
        await using (var connection = new NpgsqlConnection(connectionString))
            await connection.ExecuteAsync("UPDATE quartz.qrtz_triggers SET next_fire_time = @at", new { at = TestClock.Clock.GetUtcNow().AddDays(-3).UtcTicks });

        await using var second = await InProcessWorker.StartAsync(connectionString);
        await Eventually(async () => await second.ScalarAsync<long>("SELECT count(*) FROM etl.sync_run WHERE ended_at IS NOT NULL") == 1, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(3));

        var runs = (await new NpgsqlConnection(connectionString).QueryAsync<(string Status, string RequestedBy)>("SELECT status, requested_by FROM etl.sync_run")).ToList();
        Assert.That(runs, Is.EqualTo(new[] { ("succeeded", "schedule") }));
        Assert.That(await second.ScalarAsync<long>("SELECT next_fire_time FROM quartz.qrtz_triggers"), Is.EqualTo(nextFireTicks), "then the next 02:00 as before");
    }

    [Test]
    public async Task A_worker_on_a_shifted_clock_schedules_dates_runs_and_builds_by_it_not_by_the_machine_or_the_database()
    {
        // 400 days back: nothing dated by the machine's or PostgreSQL's own clock can pass for it.
        var shift = TimeSpan.FromDays(-400);
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("clock"), new()
        {
            ["Clock:Offset"] = (TestClock.Offset + shift).ToString("c", CultureInfo.InvariantCulture),
            ["Pipedrive:MaxAttempts"] = "1",
        });
        var now = TestClock.Clock.GetUtcNow() + shift;

        var added = await worker.Client.PostAsJsonAsync("/api/instances", new { name = "Acme", url = "http://127.0.0.1:9", token = "token-1234", timeZone = "Europe/Helsinki" });
        var instance = (await added.Content.ReadFromJsonAsync<InstanceView>())!;
        Assert.That(instance.NextFire, Is.GreaterThan(now).And.LessThanOrEqualTo(now.AddDays(1)), "the next 02:00 in Helsinki after the worker's now");

        await worker.Client.PostAsync($"/api/instances/{instance.Id}/refresh", null);
        var runId = await worker.ScalarAsync<long>("SELECT id FROM etl.sync_run");
        var run = await worker.WaitForRunAsync(runId, TimeSpan.FromSeconds(60));
        Assert.That(run.Status, Is.EqualTo("failed"), "nothing answers on port 9");
        Assert.That(new[] { run.RequestedAt, run.StartedAt, run.EndedAt!.Value }, Is.All.EqualTo(now.UtcDateTime).Within(TimeSpan.FromMinutes(2)));

        await worker.Services.GetRequiredService<AnalyticsBuilder>().BuildAsync(instance.Id, CancellationToken.None);
        Assert.That(await worker.ScalarAsync<DateTime>("SELECT built_at FROM analytics.build"), Is.EqualTo(now.UtcDateTime).Within(TimeSpan.FromMinutes(2)));
    }

    [TestCase(1, false)]
    [TestCase(2, true)]
    public async Task Scheduler_max_concurrent_runs_is_how_many_syncs_a_worker_runs_at_once(int maxConcurrentRuns, bool overlap)
    {
        await using var sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [.. new[] { "a", "b" }.Select((name, i) => new PipedriveCompanyOptions { Name = name, ApiToken = $"token-{name}-1234", Seed = 60 + i, Deals = 60, Activities = 60, Leads = 5 })],
            Clock = TestClock.Clock, AsOf = TestClock.Now,
        });
        sandbox.Faults.Latency = TimeSpan.FromMilliseconds(30); // a run takes a second or so
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("maxruns"),
            new() { ["Scheduler:MaxConcurrentRuns"] = maxConcurrentRuns.ToString(CultureInfo.InvariantCulture) });
        var ids = new List<int>();
        foreach (var name in new[] { "a", "b" })
        {
            var added = await worker.Client.PostAsJsonAsync("/api/instances", new { name, url = sandbox.BaseUrl, token = $"token-{name}-1234" });
            ids.Add((await added.Content.ReadFromJsonAsync<InstanceView>())!.Id);
        }

        await Task.WhenAll(ids.Select(id => worker.Client.PostAsync($"/api/instances/{id}/refresh", null)));
        await Eventually(async () => await worker.ScalarAsync<long>("SELECT count(*) FROM etl.sync_run WHERE ended_at IS NOT NULL") == 2, TimeSpan.FromSeconds(180));

        Assert.That(await worker.ScalarAsync<string>("SELECT string_agg(DISTINCT status, ',') FROM etl.sync_run"), Is.EqualTo("succeeded"));
        Assert.That(await worker.ScalarAsync<bool>("SELECT tstzrange(min(started_at), min(ended_at)) && tstzrange(max(started_at), max(ended_at)) FROM etl.sync_run"), Is.EqualTo(overlap));
    }

    [Test]
    public async Task A_run_queued_by_a_process_that_stopped_before_firing_is_taken_up_by_a_worker()
    {
        await using var sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [new PipedriveCompanyOptions { Name = "a", ApiToken = "token-a-1234", Seed = 70, Deals = 20, Activities = 20, Leads = 2 }],
            Clock = TestClock.Clock, AsOf = TestClock.Now,
        });
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("forgotten"));
        var added = await worker.Client.PostAsJsonAsync("/api/instances", new { name = "a", url = sandbox.BaseUrl, token = "token-a-1234" });
        var instance = (await added.Content.ReadFromJsonAsync<InstanceView>())!;
        // What 'crmetl refresh' leaves when it dies between queueing the run and firing its trigger: the row and nothing in Quartz.
        var runId = await worker.ScalarAsync<long>(
            "INSERT INTO etl.sync_run (instance_id, mode, status, requested_by, requested_at, started_at) VALUES (@id, 'incremental', 'queued', 'refresh', @at, @at) RETURNING id",
            new { id = instance.Id, at = TestClock.Clock.GetUtcNow() });

        var run = await worker.WaitForRunAsync(runId, TimeSpan.FromSeconds(60));
        Assert.That(run.Status, Is.EqualTo("succeeded"));
    }

    private static async Task<(string, string)?> CronOfAsync(InProcessWorker worker, int instanceId)
    {
        await using var connection = new NpgsqlConnection(worker.ConnectionString);
        return await connection.QuerySingleOrDefaultAsync<(string, string)?>(
            "SELECT cron_expression, time_zone_id FROM quartz.qrtz_cron_triggers WHERE trigger_name = @name", new { name = InstanceSchedules.ScheduleOf(instanceId).Name });
    }

    internal static async Task Eventually(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > (timeout ?? TimeSpan.FromSeconds(15))) Assert.Fail($"Not true after {timeout ?? TimeSpan.FromSeconds(15)}.");
            await Task.Delay(200);
        }
    }
}
