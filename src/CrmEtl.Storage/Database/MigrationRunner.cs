using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrmEtl.Storage.Database;

/// <summary>
/// Applies db/migrations/NNNN_name.sql in order: each script in its own transaction, recorded in a
/// version table, under an advisory lock so that workers starting together don't race.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    // An arbitrary constant shared by every CrmEtl process: "CRMETL" in ASCII.
    private const long AdvisoryLockKey = 0x43524D45544C;

    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> Embedded()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Load(assembly, n))
            .OrderBy(m => m.Version)
            .ToList();
    }

    /// <summary>Applies what is missing; returns the names of the scripts applied now.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken)
    {
        var applied = new List<string>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@AdvisoryLockKey)", new { AdvisoryLockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                CREATE TABLE IF NOT EXISTS public.crmetl_schema_version (
                    version    integer PRIMARY KEY,
                    name       text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken: cancellationToken));
            var done = (await connection.QueryAsync<int>(new CommandDefinition(
                "SELECT version FROM public.crmetl_schema_version", cancellationToken: cancellationToken))).ToHashSet();

            foreach (var migration in Embedded().Where(m => !done.Contains(m.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: tx, cancellationToken: cancellationToken));
                }
                catch (PostgresException e)
                {
                    throw new InvalidOperationException($"Migration {migration.Name} failed: {e.MessageText} (at position {e.Position}). Nothing of it was applied.", e);
                }
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO public.crmetl_schema_version (version, name) VALUES (@Version, @Name)",
                    new { migration.Version, migration.Name }, tx, cancellationToken: cancellationToken));
                await tx.CommitAsync(cancellationToken);
                StorageLog.MigrationApplied(logger, migration.Name);
                applied.Add(migration.Name);
            }
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@AdvisoryLockKey)", new { AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
        return applied;
    }

    private static Migration Load(Assembly assembly, string resource)
    {
        var name = resource["migrations/".Length..^".sql".Length];
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        return new Migration(version, name, reader.ReadToEnd());
    }
}
