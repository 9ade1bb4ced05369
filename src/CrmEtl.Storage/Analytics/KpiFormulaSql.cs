using CrmEtl.Core.Metrics;

namespace CrmEtl.Storage.Analytics;

/// <summary>
/// A calculated KPI's formula as a SQL aggregate over the kpi_period rows of one period: each KPI
/// it names is the sum of that KPI's rows (0 when there are none), numbers are parameters, and a
/// division by zero is null.
/// </summary>
internal static class KpiFormulaSql
{
    public static string Aggregate(KpiExpression formula, string column, Func<string, int> kpiId, SqlParameters parameters) => formula switch
    {
        KpiExpression.Number n => $"{parameters.Add(n.Value)}::numeric",
        KpiExpression.KpiRef r => $"coalesce(sum({column}) FILTER (WHERE kpi_id = {parameters.Add(kpiId(r.Name))}), 0)",
        KpiExpression.Negate n => $"(-{Aggregate(n.Operand, column, kpiId, parameters)})",
        KpiExpression.Binary { Operator: '/' } b =>
            $"({Aggregate(b.Left, column, kpiId, parameters)} / NULLIF({Aggregate(b.Right, column, kpiId, parameters)}, 0))",
        KpiExpression.Binary b => $"({Aggregate(b.Left, column, kpiId, parameters)} {b.Operator} {Aggregate(b.Right, column, kpiId, parameters)})",
        _ => throw new InvalidOperationException(),
    };
}
