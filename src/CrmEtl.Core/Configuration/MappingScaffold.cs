namespace CrmEtl.Core.Configuration;

/// <summary>
/// A starting mapping for an instance, from its CRM's pipelines and stages: one funnel named after
/// the instance, one step per stage (stages of the same name in several pipelines share the step,
/// ordered by their place in the pipelines), then Won and Lost as markers (Pipedrive's won and
/// lost statuses land there; Zoho's stages with forecast_type Closed Won and Closed Lost are mapped
/// there), and one KPI per step plus won value and win rate. An instance whose CRM has lead statuses
/// (Zoho) also gets a lead funnel: one step per status, then Converted (Won) and Lost (Refused, where
/// Zoho's default Lost Lead, Junk Lead and Not Qualified statuses go), with a KPI per step.
/// </summary>
public static class MappingScaffold
{
    public static CompanyConfiguration Apply(CompanyConfiguration current, InstanceCatalog instance, string? funnelName = null)
    {
        var funnel = funnelName ?? $"{instance.Name} deals";
        if (current.Steps.Any(s => string.Equals(s.Funnel, funnel, StringComparison.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"Funnel '{funnel}' already exists; export the configuration to edit it, or scaffold with another --funnel name.");

        var stepNames = instance.Stages.Values
            .Where(s => instance.Pipelines.ContainsKey(s.PipelineId) && !s.ClosedWon && !s.ClosedLost && !s.IsLeadStatus)
            .GroupBy(s => s.Name.Trim(), StringComparer.OrdinalIgnoreCase)
            .OrderBy(g => g.Min(s => s.OrderNr ?? int.MaxValue)).ThenBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var steps = stepNames.Select((g, i) => new FunnelStepRow(funnel, i + 1, g.First().Name.Trim(), Marker.None)).ToList();
        var won = UniqueName("Won", steps);
        steps.Add(new FunnelStepRow(funnel, steps.Count + 1, won, Marker.Won));
        var lost = UniqueName("Lost", steps);
        steps.Add(new FunnelStepRow(funnel, steps.Count + 1, lost, Marker.Refused));

        var stages = stepNames.SelectMany(g => g.Select(s => new StageMappingRow(instance.Name, s.Id, funnel, g.First().Name.Trim())))
            .Concat(instance.Stages.Values.Where(s => instance.Pipelines.ContainsKey(s.PipelineId) && (s.ClosedWon || s.ClosedLost)).OrderBy(s => s.Id)
                .Select(s => new StageMappingRow(instance.Name, s.Id, funnel, s.ClosedWon ? won : lost)))
            .ToList();

        var kpis = new List<KpiRow>();
        string Kpi(string name) => UniqueKpi(name, current.Kpis.Concat(kpis));
        foreach (var step in steps) kpis.Add(new KpiRow(Kpi(step.Step), KpiKinds.Stage, funnel, step.Step));
        var wonKpi = kpis[^2].Name;
        var lostKpi = kpis[^1].Name;
        kpis.Add(new KpiRow(Kpi($"{won} value"), KpiKinds.Stage, funnel, won, KpiMeasures.Value));
        kpis.Add(new KpiRow(Kpi("Win rate"), KpiKinds.Calculated, Expression: $"{Quote(wonKpi)} / ({Quote(wonKpi)} + {Quote(lostKpi)})"));

        var scaffolded = current with
        {
            Steps = [.. current.Steps, .. steps],
            Stages = [.. current.Stages, .. stages],
            Kpis = [.. current.Kpis, .. kpis],
        };
        return instance.Stages.Values.Any(s => s.IsLeadStatus) ? LeadFunnel(scaffolded, instance, $"{instance.Name} leads") : scaffolded;
    }

    private static readonly string[] LostLeadStatuses = ["Lost Lead", "Junk Lead", "Not Qualified"];

    /// <summary>Adds the lead funnel of an instance with lead statuses (unless a funnel of that name exists).</summary>
    public static CompanyConfiguration LeadFunnel(CompanyConfiguration current, InstanceCatalog instance, string funnel)
    {
        if (current.Steps.Any(s => string.Equals(s.Funnel, funnel, StringComparison.OrdinalIgnoreCase))) return current;
        var statuses = instance.Stages.Values.Where(s => s.IsLeadStatus).OrderBy(s => s.OrderNr ?? int.MaxValue).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
        var open = statuses.Where(s => !LostLeadStatuses.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        var steps = open.Select((s, i) => new FunnelStepRow(funnel, i + 1, s.Name.Trim(), Marker.None)).ToList();
        var converted = UniqueName("Converted", steps);
        steps.Add(new FunnelStepRow(funnel, steps.Count + 1, converted, Marker.Won));
        var lost = UniqueName("Lost", steps);
        steps.Add(new FunnelStepRow(funnel, steps.Count + 1, lost, Marker.Refused));
        var stages = statuses.Select(s => new StageMappingRow(instance.Name, s.Id, funnel, open.Contains(s) ? s.Name.Trim() : lost)).ToList();
        var kpis = new List<KpiRow>();
        foreach (var step in steps) kpis.Add(new KpiRow(UniqueKpi($"{step.Step} leads", current.Kpis.Concat(kpis)), KpiKinds.Stage, funnel, step.Step));
        return current with
        {
            Steps = [.. current.Steps, .. steps],
            Stages = [.. current.Stages, .. stages],
            Kpis = [.. current.Kpis, .. kpis],
        };
    }

    /// <summary>A KPI counting the deals passing each funnel step that has none yet, named after the step.</summary>
    public static CompanyConfiguration StepKpis(CompanyConfiguration current)
    {
        var kpis = new List<KpiRow>();
        foreach (var step in current.Steps.OrderBy(s => s.Funnel, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.Position))
        {
            var counted = current.Kpis.Any(k => k.Kind == KpiKinds.Stage && k.Measure == KpiMeasures.Count
                && string.Equals(k.Funnel, step.Funnel, StringComparison.OrdinalIgnoreCase) && string.Equals(k.Step, step.Step, StringComparison.OrdinalIgnoreCase));
            if (!counted) kpis.Add(new KpiRow(UniqueKpi(step.Step, current.Kpis.Concat(kpis)), KpiKinds.Stage, step.Funnel, step.Step));
        }
        return current with { Kpis = [.. current.Kpis, .. kpis] };
    }

    private static string UniqueName(string name, List<FunnelStepRow> steps)
    {
        var candidate = name;
        for (var n = 2; steps.Any(s => string.Equals(s.Step, candidate, StringComparison.OrdinalIgnoreCase)); n++) candidate = $"{name} {n}";
        return candidate;
    }

    private static string UniqueKpi(string name, IEnumerable<KpiRow> kpis)
    {
        var taken = kpis.Select(k => k.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var candidate = name;
        for (var n = 2; taken.Contains(candidate); n++) candidate = $"{name} {n}";
        return candidate;
    }

    private static string Quote(string name) => $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
