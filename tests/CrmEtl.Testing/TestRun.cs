namespace CrmEtl.Testing;

/// <summary>
/// What a test assembly starts once: the test clock for every host and crmetl process, the Data Protection keys they
/// share, and the run's PostgreSQL (see <see cref="TestDatabases"/>). Both are said first, on stderr.
/// </summary>
public sealed class TestRun : IAsyncDisposable
{
    private TestRun(TestDatabases databases) => Databases = databases;

    public TestDatabases Databases { get; }

    /// <summary>The Data Protection keys every host and worker process of this test run shares.</summary>
    public static string KeysDirectory { get; } = Path.Combine(Path.GetTempPath(), $"crmetl-test-keys-{Environment.ProcessId}");

    public static async Task<TestRun> StartAsync(string tests)
    {
        await Console.Error.WriteLineAsync(TestClock.Apply());
        Environment.SetEnvironmentVariable("CRMETL__DataProtection__KeysDirectory", KeysDirectory);
        var databases = await TestDatabases.StartAsync();
        await Console.Error.WriteLineAsync($"PostgreSQL for the {tests}: {databases.Source}.");
        return new TestRun(databases);
    }

    public async ValueTask DisposeAsync()
    {
        await Databases.DisposeAsync();
        if (Directory.Exists(KeysDirectory)) Directory.Delete(KeysDirectory, recursive: true);
    }
}
