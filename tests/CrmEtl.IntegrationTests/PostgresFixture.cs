using CrmEtl.Storage.Database;

namespace CrmEtl.IntegrationTests;

/// <summary>One real PostgreSQL server for the whole assembly (a throwaway local one, or CRMETL_PG); each test gets its own database on it.</summary>
[SetUpFixture]
public sealed class PostgresFixture
{
    private static ScratchDatabase? _server;

    public static ScratchDatabase Server => _server ?? throw new InvalidOperationException("The PostgreSQL fixture did not start.");

    [OneTimeSetUp]
    public async Task StartServer() => _server = await ScratchDatabase.CreateAsync("crmetl_tests");

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
