using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Customers;

/// <summary>A helpdesk widget's key as an admin sees it (never the key itself, which is shown once, when created).</summary>
public sealed record WidgetKey(int Id, string Company, string Name, string Prefix, string[] Agents, string[] AgentGroups,
    DateTime CreatedAt, string? CreatedBy, DateTime? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;

    /// <summary>Who may use the key, as the CLI and the console say it.</summary>
    public string Audience =>
        Agents.Length == 0 && AgentGroups.Length == 0 ? "every agent"
        : string.Join("; ", new[] { Agents.Length > 0 ? "agents " + string.Join(", ", Agents) : null, AgentGroups.Length > 0 ? "groups " + string.Join(", ", AgentGroups) : null }.OfType<string>());

    /// <summary>Every agent may use a key that names no agent and no group; otherwise the agent or one of their groups must be listed.</summary>
    public bool Allows(string? agent, IReadOnlyCollection<string> groups) =>
        (Agents.Length == 0 && AgentGroups.Length == 0)
        || (agent is not null && Agents.Contains(agent, StringComparer.OrdinalIgnoreCase))
        || groups.Any(g => AgentGroups.Contains(g, StringComparer.OrdinalIgnoreCase));
}

/// <summary>
/// etl.widget_key. A key is 32 random bytes (base64url, after "cwk_"); only its SHA-256 is stored, so a leaked database
/// gives no key. Lookups are by that hash: a key either is found whole or not at all.
/// </summary>
public sealed class WidgetKeyStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public const string KeyPrefix = "cwk_";
    private const string Columns = "id, company, name, key_prefix AS Prefix, agents, agent_groups AS AgentGroups, created_at AS CreatedAt, created_by AS CreatedBy, revoked_at AS RevokedAt";

    /// <summary>A new key for <paramref name="company"/>; the returned secret is not kept anywhere.</summary>
    public async Task<(WidgetKey Key, string Secret)> CreateAsync(string company, string name, IReadOnlyList<string> agents, IReadOnlyList<string> groups,
        string? createdBy, CancellationToken cancellationToken)
    {
        var secret = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var key = await connection.QuerySingleAsync<Row>(new CommandDefinition($"""
            INSERT INTO etl.widget_key (company, name, key_hash, key_prefix, agents, agent_groups, created_at, created_by)
            VALUES (@company, @name, @hash, @prefix, @agents, @groups, @now, @createdBy) RETURNING {Columns}
            """, new { company = company.Trim(), name = name.Trim(), hash = Hash(secret), prefix = secret[..(KeyPrefix.Length + 6)], agents = Clean(agents), groups = Clean(groups), now = clock.GetUtcNow(), createdBy },
            cancellationToken: cancellationToken));
        return (key.ToKey(), secret);
    }

    /// <summary>Every key, or a company's, newest first.</summary>
    public async Task<IReadOnlyList<WidgetKey>> ListAsync(string? company, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.widget_key WHERE @company::text IS NULL OR company = @company ORDER BY id DESC",
            new { company }, cancellationToken: cancellationToken))).Select(r => r.ToKey()).ToList();
    }

    /// <summary>The key a helpdesk sent, whether revoked or not; null when no key has that value.</summary>
    public async Task<WidgetKey?> FindAsync(string secret, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.widget_key WHERE key_hash = @hash", new { hash = Hash(secret) }, cancellationToken: cancellationToken)))?.ToKey();
    }

    /// <summary>Revokes a key of <paramref name="company"/> (any company's when null); false when there is none such.</summary>
    public async Task<bool> RevokeAsync(int id, string? company, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE etl.widget_key SET revoked_at = coalesce(revoked_at, @now) WHERE id = @id AND (@company::text IS NULL OR company = @company)",
            new { id, company, now = clock.GetUtcNow() }, cancellationToken) == 1;

    /// <summary>Replaces who may use a key; false when <paramref name="company"/> has no such key.</summary>
    public async Task<bool> SetAudienceAsync(int id, string? company, IReadOnlyList<string> agents, IReadOnlyList<string> groups, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE etl.widget_key SET agents = @agents, agent_groups = @groups WHERE id = @id AND (@company::text IS NULL OR company = @company)",
            new { id, company, agents = Clean(agents), groups = Clean(groups) }, cancellationToken) == 1;

    private async Task<int> ExecuteAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret.Trim()));

    private static string[] Clean(IReadOnlyList<string> names) =>
        names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>As Dapper reads a row (text[] comes as an Array, which no constructor takes).</summary>
    private sealed class Row
    {
        public int Id { get; init; }
        public string Company { get; init; } = "";
        public string Name { get; init; } = "";
        public string Prefix { get; init; } = "";
        public string[] Agents { get; init; } = [];
        public string[] AgentGroups { get; init; } = [];
        public DateTime CreatedAt { get; init; }
        public string? CreatedBy { get; init; }
        public DateTime? RevokedAt { get; init; }

        public WidgetKey ToKey() => new(Id, Company, Name, Prefix, Agents, AgentGroups, CreatedAt, CreatedBy, RevokedAt);
    }
}
