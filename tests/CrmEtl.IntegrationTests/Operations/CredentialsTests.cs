using CrmEtl.Core.Sync;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Sync;
using CrmEtl.Storage.Instances;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>Stored tokens are encrypted with the deployment's keys; without those keys a worker says what is missing.</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own worker, sandbox and database
public sealed class CredentialsTests
{
    [Test]
    public async Task A_token_stored_in_plain_text_by_an_earlier_version_is_encrypted_on_the_first_start()
    {
        var connectionString = await PostgresFixture.Databases.CreateAsync("plain");
        using (var host = CrmEtlHost.Build(connectionString, minimumLevel: LogEventLevel.Warning))
            await WorkerHost.PrepareAsync(host.Services, CancellationToken.None);
        await using (var connection = new NpgsqlConnection(connectionString))
            await connection.ExecuteAsync("""INSERT INTO etl.instance (name, kind, base_url, credentials) VALUES ('Old', 'pipedrive', 'http://127.0.0.1:1', '{"api_token": "plain-secret-9876"}')""");

        using var upgraded = CrmEtlHost.Build(connectionString, minimumLevel: LogEventLevel.Warning);
        await WorkerHost.PrepareAsync(upgraded.Services, CancellationToken.None);

        await using var check = new NpgsqlConnection(connectionString);
        var stored = await check.ExecuteScalarAsync<string>("SELECT credentials::text FROM etl.instance");
        Assert.That(stored, Does.Contain("api_token_protected").And.Not.Contain("plain-secret"));
        var instance = await upgraded.Services.GetRequiredService<InstanceRepository>().FindAsync("Old", CancellationToken.None);
        Assert.That(instance!.Credentials.ResolveApiToken(), Is.EqualTo("plain-secret-9876"));
        Assert.That(instance.Credentials.ToString(), Is.EqualTo("****9876"));
    }

    [Test]
    public async Task A_worker_without_the_deployments_keys_ends_the_run_as_auth_failed_naming_the_keys_directory()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var replica = await world.NewReplicaAsync();
        var otherKeys = Directory.CreateTempSubdirectory("crmetl-other-keys-").FullName;
        try
        {
            using var stranger = CrmEtlHost.Build(replica.ConnectionString, [new("DataProtection:KeysDirectory", otherKeys)], LogEventLevel.Warning);
            var outcome = await stranger.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Incremental, CancellationToken.None);

            Assert.That(outcome.Status, Is.EqualTo(RunStatus.AuthFailed));
            Assert.That(outcome.Error, Does.Contain("cannot be decrypted").And.Contain("DataProtection:KeysDirectory"));
            Assert.That((await replica.SyncAsync()).Status, Is.EqualTo(RunStatus.Succeeded), "with the deployment's keys the same token works");
        }
        finally
        {
            Directory.Delete(otherKeys, recursive: true);
        }
    }
}
