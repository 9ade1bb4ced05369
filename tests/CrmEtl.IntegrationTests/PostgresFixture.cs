using CrmEtl.Testing;

namespace CrmEtl.IntegrationTests;

/// <summary>
/// The run's PostgreSQL (CRMETL_PG, else a Testcontainers container when a Docker engine answers, else the local
/// binaries; see <see cref="TestPostgres"/>), with a migrated template from which each test gets a database of its
/// own. Also puts every host and crmetl process of the run on the test clock. Both are said first, on stderr.
/// </summary>
[SetUpFixture]
public sealed class PostgresFixture
{
    private static TestDatabases? _databases;

    public static TestDatabases Databases => _databases ?? throw new InvalidOperationException("The PostgreSQL fixture did not start.");

    /// <summary>The Data Protection keys every host and worker process of this test run shares.</summary>
    public static string KeysDirectory { get; } = Path.Combine(Path.GetTempPath(), $"crmetl-test-keys-{Environment.ProcessId}");

    [OneTimeSetUp]
    public async Task StartServer()
    {
        await Console.Error.WriteLineAsync(TestClock.Apply());
        Environment.SetEnvironmentVariable("CRMETL__DataProtection__KeysDirectory", KeysDirectory);
        _databases = await TestDatabases.StartAsync();
        await Console.Error.WriteLineAsync($"PostgreSQL for the integration tests: {_databases.Source}.");
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_databases is not null) await _databases.DisposeAsync();
        if (Directory.Exists(KeysDirectory)) Directory.Delete(KeysDirectory, recursive: true);
    }
}
