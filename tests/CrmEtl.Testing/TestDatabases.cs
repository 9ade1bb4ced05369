using CrmEtl.Storage.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CrmEtl.Testing;

/// <summary>
/// The databases of a test run: one server (see <see cref="TestPostgres"/>), one template database with CrmEtl's
/// schema migrated once, and a fresh database per test copied from it (CREATE DATABASE ... TEMPLATE), so that each
/// test owns its data and none pays for the migrations.
/// </summary>
public sealed class TestDatabases : IAsyncDisposable
{
    private readonly ITestPostgresServer? _server;
    private readonly string _serverConnectionString;
    private readonly string _template;
    private readonly List<string> _created = [];

    private TestDatabases(ITestPostgresServer? server, string serverConnectionString, string template, string source)
    {
        _server = server;
        _serverConnectionString = serverConnectionString;
        _template = template;
        Source = source;
    }

    /// <summary>Where the server comes from, for the run's first lines.</summary>
    public string Source { get; }

    public static async Task<TestDatabases> StartAsync(CancellationToken ct = default)
    {
        var (server, connectionString, source) = await TestPostgres.StartAsync(ct);
        var template = Name("crmetl_template");
        await ExecuteAsync(connectionString, $"CREATE DATABASE \"{template}\"", ct);
        var templateConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Database = template, Pooling = false }.ConnectionString;
        await using (var dataSource = NpgsqlDataSource.Create(templateConnectionString))
            await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
        return new TestDatabases(server, connectionString, template, source);
    }

    /// <summary>A new database with CrmEtl's schema, copied from the template; its connection string.</summary>
    public async Task<string> CreateAsync(string prefix, CancellationToken ct = default)
    {
        var name = Name(prefix);
        await ExecuteAsync(_serverConnectionString, $"CREATE DATABASE \"{name}\" TEMPLATE \"{_template}\"", ct);
        lock (_created) _created.Add(name);
        return new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A generated name (prefix + hex), never user input: it is spliced into DDL.</summary>
    private static string Name(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)].ToLowerInvariant();

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A server of the tests' own goes away whole; on CRMETL_PG's, the run's databases are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_server is not null)
        {
            await _server.DisposeAsync();
            return;
        }
        foreach (var name in _created.Append(_template))
            await ExecuteAsync(_serverConnectionString, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", CancellationToken.None);
    }
}
