using Npgsql;

namespace CrmEtl.Storage.Instances;

/// <summary>
/// One PostgreSQL advisory lock per instance, held for the whole of a run on a connection of its
/// own: whichever process runs an instance — a worker or 'crmetl sync' — holds it, and when that
/// process dies its connection closes and the lock is free again. That makes "never two runs of one
/// instance at once" hold across workers and commands, and lets the next holder know that a run
/// still marked running was left behind.
/// </summary>
public sealed class InstanceLocks(NpgsqlDataSource dataSource)
{
    // The first key of the two-key advisory lock space: "CRME" for instances, "TREL" for a company's Trello deliveries.
    private const int Space = 0x43524D45, TrelloSpace = 0x5452454C;

    /// <summary>The instance's lock, or null at once if another process holds it.</summary>
    public Task<IAsyncDisposable?> TryAcquireAsync(int instanceId, CancellationToken cancellationToken) =>
        TryAcquireAsync(Space, instanceId, cancellationToken);

    /// <summary>
    /// The lock on delivering Trello cards made with one API key, or null at once if another worker holds it: one worker at
    /// a time paces the calls made with the key (and its tokens), so that a cluster stays within Trello's limits as one
    /// worker does. The lock's number is a 32-bit hash of the key, which does not give the key away.
    /// </summary>
    public Task<IAsyncDisposable?> TryAcquireTrelloAsync(string apiKey, CancellationToken cancellationToken) =>
        TryAcquireAsync(TrelloSpace, StableHash(apiKey), cancellationToken);

    private async Task<IAsyncDisposable?> TryAcquireAsync(int space, int id, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@space, @id)", connection);
            command.Parameters.AddWithValue("space", space);
            command.Parameters.AddWithValue("id", id);
            if (await command.ExecuteScalarAsync(cancellationToken) is true) return new Held(connection, space, id);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    /// <summary>Waits for the instance's lock, trying again every <paramref name="poll"/>.</summary>
    public async Task<IAsyncDisposable> AcquireAsync(int instanceId, TimeSpan poll, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await TryAcquireAsync(instanceId, cancellationToken) is { } held) return held;
            await Task.Delay(poll, cancellationToken);
        }
    }

    /// <summary>FNV-1a of the name: the same number in every process (string.GetHashCode is not).</summary>
    private static int StableHash(string name)
    {
        var hash = 2166136261u;
        foreach (var c in name) hash = (hash ^ c) * 16777619u;
        return unchecked((int)hash);
    }

    private sealed class Held(NpgsqlConnection connection, int space, int id) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@space, @id)", connection);
                command.Parameters.AddWithValue("space", space);
                command.Parameters.AddWithValue("id", id);
                await command.ExecuteScalarAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and the lock with it.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
