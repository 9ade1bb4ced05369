using CrmEtl.Core.Configuration;
using CrmEtl.Core.Filters;

namespace CrmEtl.Storage.Analytics;

/// <summary>
/// Turns an instance's record filters into a SQL condition on one row of crm.deal (alias d),
/// crm.activity (a) or crm.lead (l). Field names come from a fixed list or the CRM's custom fields
/// and become fixed column expressions; values become parameters. Text compares ignoring case;
/// an empty field never equals, contains or is in anything.
/// </summary>
internal static class FilterSql
{
    public static string Condition(string entity, IEnumerable<FilterRow> filters, InstanceCatalog? catalog, SqlParameters parameters)
    {
        var mine = filters.Where(f => f.Entity == entity).ToList();
        var includes = mine.Where(f => f.Mode == FilterModes.Include).Select(f => Compile(entity, FilterCondition.Parse(f.Condition), catalog, parameters));
        var excludes = mine.Where(f => f.Mode == FilterModes.Exclude).Select(f => $"NOT {Compile(entity, FilterCondition.Parse(f.Condition), catalog, parameters)}");
        var all = includes.Concat(excludes).ToList();
        return all.Count == 0 ? "true" : string.Join(" AND ", all);
    }

    private static string Compile(string entity, FilterCondition condition, InstanceCatalog? catalog, SqlParameters parameters) => condition switch
    {
        FilterCondition.Both b => $"({Compile(entity, b.Left, catalog, parameters)} AND {Compile(entity, b.Right, catalog, parameters)})",
        FilterCondition.Either e => $"({Compile(entity, e.Left, catalog, parameters)} OR {Compile(entity, e.Right, catalog, parameters)})",
        FilterCondition.Negation n => $"(NOT {Compile(entity, n.Operand, catalog, parameters)})",
        FilterCondition.Comparison c => Comparison(entity, c, catalog, parameters),
        _ => throw new InvalidOperationException(),
    };

    private static string Comparison(string entity, FilterCondition.Comparison c, InstanceCatalog? catalog, SqlParameters parameters)
    {
        var (column, options) = Column(entity, c.Field, catalog, parameters);
        // A value may name an option of a custom field by its label; the CRM stores the option's id.
        IEnumerable<string> Spellings(string value) =>
            options is not null && options.TryGetValue(value, out var id) ? [value.ToLowerInvariant(), id] : [value.ToLowerInvariant()];
        string AnyOf(IEnumerable<string> values) => $"lower({column}) = ANY({parameters.Add(values.SelectMany(Spellings).ToArray())})";
        return c.Operator switch
        {
            FilterOperator.Equals => $"coalesce({AnyOf(c.Values)}, false)",
            FilterOperator.In => $"coalesce({AnyOf(c.Values)}, false)",
            FilterOperator.NotEquals => $"NOT coalesce({AnyOf(c.Values)}, false)",
            FilterOperator.Contains => $"coalesce(strpos(lower({column}), lower({parameters.Add(c.Values[0])})) > 0, false)",
            FilterOperator.IsEmpty => $"coalesce({column}, '') = ''",
            FilterOperator.IsNotEmpty => $"coalesce({column}, '') <> ''",
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>The text expression for a field, and the option ids of a custom field by label.</summary>
    private static (string Sql, IReadOnlyDictionary<string, string>? Options) Column(string entity, string field, InstanceCatalog? catalog, SqlParameters parameters)
    {
        var standard = StandardFilterFields.Find(entity, field);
        var sql = (entity, standard) switch
        {
            (FilterEntities.Deal, "title") => "d.title",
            (FilterEntities.Deal, "status") => "d.status",
            (FilterEntities.Deal, "pipeline") => "(SELECT p.name FROM crm.pipeline p WHERE p.instance_id = d.instance_id AND p.id = d.pipeline_id)",
            (FilterEntities.Deal, "pipeline_id") => "d.pipeline_id::text",
            (FilterEntities.Deal, "stage") => "(SELECT s.name FROM crm.stage s WHERE s.instance_id = d.instance_id AND s.id = d.stage_id)",
            (FilterEntities.Deal, "stage_id") => "d.stage_id::text",
            (FilterEntities.Deal, "owner") => "(SELECT u.name FROM crm.crm_user u WHERE u.instance_id = d.instance_id AND u.id = d.owner_id)",
            (FilterEntities.Deal, "owner_id") => "d.owner_id::text",
            (FilterEntities.Deal, "value") => "d.value::text",
            (FilterEntities.Deal, "currency") => "d.currency",
            (FilterEntities.Deal, "origin") => "d.origin",
            (FilterEntities.Deal, "channel") => "d.channel::text",
            (FilterEntities.Deal, "lost_reason") => "d.lost_reason",
            (FilterEntities.Activity, "type") => "a.type",
            (FilterEntities.Activity, "subject") => "a.subject",
            (FilterEntities.Activity, "owner") => "(SELECT u.name FROM crm.crm_user u WHERE u.instance_id = a.instance_id AND u.id = a.owner_id)",
            (FilterEntities.Activity, "owner_id") => "a.owner_id::text",
            (FilterEntities.Activity, "done") => "a.done::text",
            (FilterEntities.Activity, "deal_id") => "a.deal_id::text",
            (FilterEntities.Lead, "title") => "l.title",
            (FilterEntities.Lead, "source") => "l.source_name",
            (FilterEntities.Lead, "origin") => "l.origin",
            (FilterEntities.Lead, "owner") => "(SELECT u.name FROM crm.crm_user u WHERE u.instance_id = l.instance_id AND u.id = l.owner_id)",
            (FilterEntities.Lead, "owner_id") => "l.owner_id::text",
            (FilterEntities.Lead, "value_currency") => "l.value_currency",
            _ => null,
        };
        if (sql is not null) return (sql, null);
        if (entity == FilterEntities.Deal && catalog?.DealField(field) is { } custom)
            return ($"(d.custom_fields ->> {parameters.Add(custom.Code)})", custom.OptionIdsByLabel);
        throw new InvalidOperationException($"The filter field '{field}' is not a field of {FilterEntities.Plural(entity)}; validate the configuration before building.");
    }
}
