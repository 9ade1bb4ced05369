using CrmEtl.Core.Configuration;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Analytics;

/// <summary>How many of an instance's records (deleted ones aside) a filter's condition matches, of how many.</summary>
public sealed record FilterMatch(long Matching, long Total);

/// <summary>
/// Counts the replica's records a filter condition matches, compiled as the analytics build compiles it, so that
/// an admin sees what a filter would keep or take out before saving it. The filter must be valid (see
/// <see cref="ConfigurationValidator"/>).
/// </summary>
public sealed class FilterMatches(NpgsqlDataSource dataSource)
{
    public async Task<FilterMatch> CountAsync(InstanceCatalog instance, string entity, string condition, CancellationToken cancellationToken)
    {
        var parameters = new SqlParameters(new { i = instance.Id });
        var sql = FilterSql.Condition(entity, [new FilterRow(instance.Name, entity, FilterModes.Include, condition)], instance, parameters);
        var (table, alias) = entity switch
        {
            FilterEntities.Deal => ("crm.deal", "d"),
            FilterEntities.Activity => ("crm.activity", "a"),
            FilterEntities.Lead => ("crm.lead", "l"),
            _ => throw new ArgumentOutOfRangeException(nameof(entity), entity, $"Use one of {string.Join(", ", FilterEntities.All)}."),
        };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var (matching, total) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            $"SELECT count(*) FILTER (WHERE {sql}), count(*) FROM {table} {alias} WHERE {alias}.instance_id = @i AND NOT {alias}.is_deleted",
            parameters.Values, cancellationToken: cancellationToken));
        return new FilterMatch(matching, total);
    }
}
