using CrmEtl.Testing;

namespace CrmEtl.IntegrationTests;

/// <summary>
/// The run's PostgreSQL (CRMETL_PG, else a Testcontainers container when a Docker engine answers, else the local
/// binaries; see <see cref="TestPostgres"/>), with a migrated template from which each test gets a database of its
/// own. Also puts every host and crmetl process of the run on the test clock.
/// </summary>
[SetUpFixture]
public sealed class PostgresFixture
{
    private static TestRun? _run;

    public static TestDatabases Databases => _run?.Databases ?? throw new InvalidOperationException("The PostgreSQL fixture did not start.");

    /// <summary>The Data Protection keys every host and worker process of this test run shares.</summary>
    public static string KeysDirectory => TestRun.KeysDirectory;

    [OneTimeSetUp]
    public async Task StartServer() => _run = await TestRun.StartAsync("integration tests");

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_run is not null) await _run.DisposeAsync();
    }
}
