using CrmEtl.Core.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Testing;
using Dapper;
using Npgsql;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>
/// The tests' other PostgreSQL path, proven whatever path the run took: a server from the local binaries
/// (initdb, pg_ctl; what the demo runs on) holds a replica, survives a crash and syncs on after its restart.
/// </summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and database
public sealed class LocalBinariesTests
{
    [Test]
    public async Task A_server_from_the_local_binaries_keeps_a_replica_through_a_crash_and_syncs_on_after_its_restart()
    {
        await using var server = await TestPostgres.StartLocalServerAsync();
        await using var world = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 31, Deals = 150, Activities = 200, Leads = 10 });
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
            await connection.ExecuteAsync("CREATE DATABASE local_binaries");
        var replica = await world.NewReplicaAsync(database: new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "local_binaries" }.ConnectionString);
        Assert.That((await replica.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        var deals = world.Company.Deals.Count(d => !d.IsDeleted);

        await server.CrashAsync();
        await server.RestartAsync();
        NpgsqlConnection.ClearAllPools();

        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal WHERE NOT is_deleted"), Is.EqualTo(deals));
        world.Sandbox.Mutate("acme", MutationPlan.Mixed(20), seed: 32);
        var next = await replica.SyncAsync();
        Assert.That(next.Status, Is.EqualTo(RunStatus.Succeeded), next.Error);
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal WHERE NOT is_deleted"), Is.EqualTo(world.Company.Deals.Count(d => !d.IsDeleted)));
    }
}
