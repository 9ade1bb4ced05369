using CrmEtl.Storage.Database;
using CrmEtl.Testing;

namespace CrmEtl.IntegrationTests;

/// <summary>
/// One real PostgreSQL server for the whole assembly (a throwaway local one, or CRMETL_PG); each test gets its own database on it.
/// Also puts every host and crmetl process of the run on the test clock.
/// </summary>
[SetUpFixture]
public sealed class PostgresFixture
{
    private static ScratchDatabase? _server;

    public static ScratchDatabase Server => _server ?? throw new InvalidOperationException("The PostgreSQL fixture did not start.");

    /// <summary>The Data Protection keys every host and worker process of this test run shares.</summary>
    public static string KeysDirectory { get; } = Path.Combine(Path.GetTempPath(), $"crmetl-test-keys-{Environment.ProcessId}");

    [OneTimeSetUp]
    public async Task StartServer()
    {
        TestContext.Progress.WriteLine(TestClock.Apply());
        Environment.SetEnvironmentVariable("CRMETL__DataProtection__KeysDirectory", KeysDirectory);
        _server = await ScratchDatabase.CreateAsync("crmetl_tests");
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_server is not null) await _server.DisposeAsync();
        if (Directory.Exists(KeysDirectory)) Directory.Delete(KeysDirectory, recursive: true);
    }
}
