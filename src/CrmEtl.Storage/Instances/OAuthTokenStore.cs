using System.Security.Cryptography;
using CrmEtl.Core.Instances;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Instances;

/// <summary>
/// etl.oauth_token: an instance's current access token (encrypted like its other secrets) and the
/// API domain it is valid at, bound to the credentials that minted it.
/// </summary>
public sealed class OAuthTokenStore(NpgsqlDataSource dataSource, ISecretProtector protector) : IOAuthTokenCache
{
    public async Task<OAuthToken?> GetAsync(int instanceId, string credentialsHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string? Token, DateTime? ExpiresAt, string ApiDomain)?>(new CommandDefinition("""
            SELECT access_token_protected, expires_at, api_domain FROM etl.oauth_token
            WHERE instance_id = @instanceId AND credentials_hash = @credentialsHash
            """, new { instanceId, credentialsHash }, cancellationToken: cancellationToken));
        if (row is not { Token: { } token, ExpiresAt: { } expires } r) return null;
        try
        {
            return new OAuthToken(protector.Unprotect(token), new DateTimeOffset(DateTime.SpecifyKind(expires, DateTimeKind.Utc)), r.ApiDomain);
        }
        catch (CryptographicException)
        {
            return null; // minted by a process with other keys: mint a new one
        }
    }

    public async Task SaveAsync(int instanceId, string credentialsHash, OAuthToken token, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO etl.oauth_token (instance_id, credentials_hash, access_token_protected, expires_at, api_domain, updated_at)
            VALUES (@instanceId, @credentialsHash, @token, @expiresAt, @apiDomain, now())
            ON CONFLICT (instance_id) DO UPDATE SET credentials_hash = excluded.credentials_hash, access_token_protected = excluded.access_token_protected,
                expires_at = excluded.expires_at, api_domain = excluded.api_domain, updated_at = now()
            """, new { instanceId, credentialsHash, token = protector.Protect(token.AccessToken), expiresAt = token.ExpiresAt.UtcDateTime, apiDomain = token.ApiDomain },
            cancellationToken: cancellationToken));
    }

    public async Task ForgetAsync(int instanceId, string accessToken, CancellationToken cancellationToken)
    {
        var current = await CurrentTokenAsync(instanceId, cancellationToken);
        if (current != accessToken) return; // another run already replaced it
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.oauth_token SET access_token_protected = NULL, expires_at = NULL, updated_at = now() WHERE instance_id = @instanceId",
            new { instanceId }, cancellationToken: cancellationToken));
    }

    private async Task<string?> CurrentTokenAsync(int instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var token = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT access_token_protected FROM etl.oauth_token WHERE instance_id = @instanceId", new { instanceId }, cancellationToken: cancellationToken));
        try { return token is null ? null : protector.Unprotect(token); }
        catch (CryptographicException) { return null; }
    }
}
