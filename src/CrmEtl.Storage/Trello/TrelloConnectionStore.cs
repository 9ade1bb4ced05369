using CrmEtl.Core.Instances;
using CrmEtl.Core.Trello;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Trello;

/// <summary>A company's Trello connection as shown (never the key or token, only their last four characters).</summary>
public sealed record TrelloConnection(string Company, string BaseUrl, string KeyHint, string TokenHint, string? Member, string Status, string? LastError, DateTime? TestedAt, DateTime UpdatedAt);

/// <summary>etl.trello_connection: one Trello key and token per company, encrypted at rest.</summary>
public sealed class TrelloConnectionStore(NpgsqlDataSource dataSource, ISecretProtector protector, TimeProvider clock)
{
    public async Task SaveAsync(string company, TrelloAccess access, string? updatedBy, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO etl.trello_connection (company, base_url, api_key, token, status, updated_at, updated_by) VALUES (@company, @baseUrl, @key, @token, 'untested', @now, @updatedBy)
            ON CONFLICT (company) DO UPDATE SET base_url = excluded.base_url, api_key = excluded.api_key, token = excluded.token, status = 'untested', member = NULL,
                last_error = NULL, tested_at = NULL, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """, new
            {
                company, baseUrl = access.BaseUrl, key = protector.Protect(access.Credentials.Key), token = protector.Protect(access.Credentials.Token),
                now = clock.GetUtcNow(), updatedBy,
            }, cancellationToken: ct));
    }

    public async Task<TrelloConnection?> FindAsync(string company, CancellationToken ct)
    {
        var row = await RowAsync(company, ct);
        return row is null ? null : new TrelloConnection(row.Company, row.BaseUrl, Hint(protector.Unprotect(row.ApiKey)), Hint(protector.Unprotect(row.Token)), row.Member, row.Status, row.LastError, row.TestedAt, row.UpdatedAt);
    }

    /// <summary>Where to call Trello and the decrypted key and token; null when the company has not connected Trello.</summary>
    public async Task<TrelloAccess?> AccessAsync(string company, CancellationToken ct) =>
        await RowAsync(company, ct) is { } row ? new TrelloAccess(row.BaseUrl, new TrelloCredentials(protector.Unprotect(row.ApiKey), protector.Unprotect(row.Token))) : null;

    public async Task RecordTestAsync(string company, string status, string? member, string? error, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE etl.trello_connection SET status = @status, member = coalesce(@member, member), last_error = @error, tested_at = @now WHERE company = @company",
            new { company, status, member, error, now = clock.GetUtcNow() }, cancellationToken: ct));
    }

    public async Task<bool> RemoveAsync(string company, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM etl.trello_connection WHERE company = @company", new { company }, cancellationToken: ct)) == 1;
    }

    private async Task<Row?> RowAsync(string company, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT company, base_url AS BaseUrl, api_key AS ApiKey, token, member, status, last_error AS LastError, tested_at AS TestedAt, updated_at AS UpdatedAt FROM etl.trello_connection WHERE company = @company",
            new { company }, cancellationToken: ct));
    }

    private static string Hint(string secret) => "****" + (secret.Length > 4 ? secret[^4..] : "");

    private sealed record Row(string Company, string BaseUrl, string ApiKey, string Token, string? Member, string Status, string? LastError, DateTime? TestedAt, DateTime UpdatedAt);
}
