using System.Security.Cryptography;
using CrmEtl.Core.Instances;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Instances;

/// <summary>
/// etl.rotating_token: an instance's current pair of a CRM whose refresh tokens work once (Kommo),
/// encrypted like its other secrets. A rotation holds the row's lock for the length of the CRM's
/// answer, so workers of a cluster never spend one refresh token twice.
/// </summary>
public sealed class RotatingTokenStore(NpgsqlDataSource dataSource, ISecretProtector protector) : IRotatingTokenStore
{
    private const string Columns = "refresh_token_protected, refresh_issued_at, access_token_protected, access_expires_at";

    public async Task<RotatingToken?> GetAsync(int instanceId, string seedHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row?>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.rotating_token WHERE instance_id = @instanceId AND seed_hash = @seedHash",
            new { instanceId, seedHash }, cancellationToken: cancellationToken));
        return row is null ? null : Read(row);
    }

    public async Task<RotatingToken> RotateAsync(int instanceId, string seedHash, RotatingToken seed,
        Func<RotatingToken, CancellationToken, Task<RotatingToken?>> rotate, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The seed row exists (or replaces a pair of an earlier refresh token) before it is locked.
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO etl.rotating_token (instance_id, seed_hash, refresh_token_protected, refresh_issued_at)
            VALUES (@instanceId, @seedHash, @refresh, @issued)
            ON CONFLICT (instance_id) DO UPDATE SET seed_hash = excluded.seed_hash, refresh_token_protected = excluded.refresh_token_protected,
                refresh_issued_at = excluded.refresh_issued_at, access_token_protected = NULL, access_expires_at = NULL, updated_at = now()
            WHERE etl.rotating_token.seed_hash <> excluded.seed_hash
            """, new { instanceId, seedHash, refresh = protector.Protect(seed.RefreshToken), issued = seed.RefreshIssuedAt.UtcDateTime }, transaction, cancellationToken: cancellationToken));
        var row = await connection.QuerySingleAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.rotating_token WHERE instance_id = @instanceId FOR UPDATE",
            new { instanceId }, transaction, cancellationToken: cancellationToken));
        var current = Read(row) ?? seed;
        var next = await rotate(current, cancellationToken);
        if (next is null)
        {
            await transaction.CommitAsync(CancellationToken.None);
            return current;
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.rotating_token SET refresh_token_protected = @refresh, refresh_issued_at = @issued, access_token_protected = @access,
                access_expires_at = @expires, rotations = rotations + 1, updated_at = now()
            WHERE instance_id = @instanceId
            """, new
        {
            instanceId, refresh = protector.Protect(next.RefreshToken), issued = next.RefreshIssuedAt.UtcDateTime,
            access = next.AccessToken is null ? null : protector.Protect(next.AccessToken), expires = next.AccessExpiresAt?.UtcDateTime,
        }, transaction, cancellationToken: CancellationToken.None));
        // Not cancellable: the old refresh token is spent, so the new one must be kept whatever happens to the run.
        await transaction.CommitAsync(CancellationToken.None);
        return next;
    }

    private RotatingToken? Read(Row row)
    {
        try
        {
            return new RotatingToken(protector.Unprotect(row.refresh_token_protected), Utc(row.refresh_issued_at),
                row.access_token_protected is null ? null : protector.Unprotect(row.access_token_protected),
                row.access_expires_at is { } expires ? Utc(expires) : null);
        }
        catch (CryptographicException)
        {
            return null; // written by a process with other keys: start again from the stored refresh token
        }
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    private sealed record Row(string refresh_token_protected, DateTime refresh_issued_at, string? access_token_protected, DateTime? access_expires_at);
}
