using CrmEtl.Host.Cli;
using CrmEtl.Storage.Instances;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>The operator's commands against a running worker: instances, refresh --wait, runs.</summary>
[NonParallelizable]
public sealed class OperationsCommandTests
{
    [Test]
    public async Task An_operator_adds_tests_refreshes_and_disables_an_instance_from_the_command_line_while_a_worker_runs()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var connectionString = await PostgresFixture.Databases.CreateAsync("ops");
        await using var worker = await InProcessWorker.StartAsync(connectionString);

        var bad = await CrmEtlCommand.RunAsync(connectionString, "instances", "add", "--name", "Acme", "--url", "ftp://x", "--token", "t", "--token-env", "V", "--schedule", "0 2 * * *");
        Assert.That(bad.Exit, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(bad.Error, Does.Contain("--url 'ftp://x' is not an http(s) URL").And.Contain("exactly one of --token").And.Contain("--schedule '0 2 * * *' is not a Quartz cron expression"));

        var add = await CrmEtlCommand.RunAsync(connectionString, "instances", "add", "--name", "Acme", "--url", world.Sandbox.BaseUrl, "--token", world.Company.ApiToken, "--time-zone", "Europe/Helsinki");
        Assert.That(add.Exit, Is.EqualTo(ExitCodes.Ok), add.Error);
        Assert.That(add.Out, Does.Contain("credentials ****").And.Not.Contain(world.Company.ApiToken));
        Assert.That(await worker.ScalarAsync<long>("SELECT count(*) FROM quartz.qrtz_cron_triggers WHERE time_zone_id = 'Europe/Helsinki'"), Is.EqualTo(1),
            "the command scheduled it in the worker's database");

        var test = await CrmEtlCommand.RunAsync(connectionString, "instances", "test", "Acme");
        Assert.That(test.Exit, Is.EqualTo(ExitCodes.Ok), test.Error);
        Assert.That(test.Out, Does.StartWith("connected:").And.Contain(" > "));

        var refresh = await CrmEtlCommand.RunAsync(connectionString, "refresh", "Acme", "--wait");
        Assert.That(refresh.Exit, Is.EqualTo(ExitCodes.Ok), refresh.Out + refresh.Error);
        Assert.That(refresh.Out, Does.Contain("queued").And.Contain("succeeded"));

        var runs = await CrmEtlCommand.RunAsync(connectionString, "runs", "--instance", "Acme");
        Assert.That(runs.Out, Does.Contain("refresh").And.Contain("succeeded"));

        // While a run holds the instance, 'crmetl sync' does not start a second one, and reset refuses to pull data from under it.
        var held = await worker.Services.GetRequiredService<InstanceLocks>().TryAcquireAsync(1, CancellationToken.None);
        var busy = await CrmEtlCommand.RunAsync(connectionString, "sync", "--instance", "Acme");
        var resetDuringRun = await CrmEtlCommand.RunAsync(connectionString, "instances", "reset", "Acme", "--yes");
        await held!.DisposeAsync();
        Assert.That((busy.Exit, resetDuringRun.Exit), Is.EqualTo((ExitCodes.Busy, ExitCodes.Busy)));
        Assert.That(busy.Error, Does.Contain("is being synced by another process"));

        Assert.That((await CrmEtlCommand.RunAsync(connectionString, "instances", "reset", "Acme")).Exit, Is.EqualTo(ExitCodes.BadInput), "reset needs --yes");
        Assert.That((await CrmEtlCommand.RunAsync(connectionString, "instances", "disable", "Acme")).Exit, Is.EqualTo(ExitCodes.Ok));
        var refused = await CrmEtlCommand.RunAsync(connectionString, "refresh", "Acme");
        Assert.That(refused.Exit, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(refused.Error, Does.Contain("'Acme' is disabled"));
        var list = await CrmEtlCommand.RunAsync(connectionString, "instances");
        Assert.That(list.Out, Does.Contain("disabled").And.Not.Contain(world.Company.ApiToken));

        await using var connection = new NpgsqlConnection(connectionString);
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM etl.sync_run"), Is.EqualTo(1));
    }
}
