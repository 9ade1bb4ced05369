using Npgsql;

namespace CrmEtl.Storage.Database;

/// <summary>
/// Where the demo and benchmarks get a database: CRMETL_PG when it is set, otherwise a throwaway
/// local server; in both cases a new, empty database of its own on that server. (Tests: CrmEtl.Testing.)
/// </summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly LocalPostgres? _ownServer;
    private readonly string _serverConnectionString;
    private readonly string _name;

    private ScratchDatabase(LocalPostgres? ownServer, string serverConnectionString, string name, string connectionString)
    {
        _ownServer = ownServer;
        _serverConnectionString = serverConnectionString;
        _name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<ScratchDatabase> CreateAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var external = Environment.GetEnvironmentVariable("CRMETL_PG");
        var server = string.IsNullOrEmpty(external) ? await LocalPostgres.StartAsync(cancellationToken) : null;
        var serverConnectionString = server?.ConnectionString ?? external!;
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)].ToLowerInvariant();
        await CreateDatabaseAsync(serverConnectionString, name, cancellationToken);
        var connectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
        return new ScratchDatabase(server, serverConnectionString, name, connectionString);
    }

    private static async Task CreateDatabaseAsync(string serverConnectionString, string name, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(ct);
        // The name is generated here (prefix + hex), never user input.
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_ownServer is not null)
        {
            await _ownServer.DisposeAsync();
            return;
        }
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
