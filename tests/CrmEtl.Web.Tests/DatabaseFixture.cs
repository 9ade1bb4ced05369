using CrmEtl.Testing;

namespace CrmEtl.Web.Tests;

/// <summary>The pages' tests run on the real services, over a PostgreSQL database of their own per test.</summary>
[SetUpFixture]
public sealed class DatabaseFixture
{
    private static TestRun? _run;

    public static TestDatabases Databases => _run?.Databases ?? throw new InvalidOperationException("The PostgreSQL fixture did not start.");

    [OneTimeSetUp]
    public async Task StartServer() => _run = await TestRun.StartAsync("console's page tests");

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_run is not null) await _run.DisposeAsync();
    }
}
