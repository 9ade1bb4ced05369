using Dapper;

namespace CrmEtl.Storage.Analytics;

/// <summary>
/// Collects the values of generated SQL as numbered parameters: what admins typed (filter values,
/// numbers in formulas) only ever reaches PostgreSQL as a parameter, never as SQL text.
/// </summary>
internal sealed class SqlParameters
{
    private readonly DynamicParameters _parameters = new();
    private int _next;

    public SqlParameters(object? template = null)
    {
        if (template is not null) _parameters.AddDynamicParams(template);
    }

    public DynamicParameters Values => _parameters;

    /// <summary>Adds a value; returns its placeholder, e.g. <c>@p3</c>.</summary>
    public string Add(object? value)
    {
        var name = $"p{_next++}";
        _parameters.Add(name, value);
        return "@" + name;
    }
}
