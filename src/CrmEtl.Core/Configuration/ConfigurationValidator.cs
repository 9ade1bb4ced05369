using CrmEtl.Core.Expressions;
using CrmEtl.Core.Filters;
using CrmEtl.Core.Metrics;

namespace CrmEtl.Core.Configuration;

/// <summary>
/// Checks a company's configuration against itself and against what its CRMs have, and reports
/// every problem at once, each naming the row (file and line when it came from a CSV), what is
/// wrong and how to fix it. A configuration with problems is never saved.
/// </summary>
public static class ConfigurationValidator
{
    private static readonly StringComparer Names = StringComparer.OrdinalIgnoreCase;

    public static IReadOnlyList<string> Validate(CompanyConfiguration config, CrmCatalog catalog)
    {
        var problems = new List<string>();
        void Problem(RowOrigin? at, string message) => problems.Add(at is null ? message : $"{at}: {message}");

        // ---- funnels and steps -------------------------------------------------------------
        var funnels = config.Steps.GroupBy(s => s.Funnel, Names).ToDictionary(g => g.Key, g => g.ToList(), Names);
        foreach (var (funnel, steps) in funnels)
        {
            foreach (var dup in steps.GroupBy(s => s.Position).Where(g => g.Count() > 1))
                Problem(dup.Last().Origin, $"funnel '{funnel}' has two steps at position {dup.Key} ('{dup.First().Step}' and '{dup.Last().Step}'); give each step its own position.");
            foreach (var dup in steps.GroupBy(s => s.Step, Names).Where(g => g.Count() > 1))
                Problem(dup.Last().Origin, $"funnel '{funnel}' has two steps named '{dup.Key}'; step names must be unique within a funnel.");
            foreach (var dup in steps.Where(s => s.Marker != Marker.None).GroupBy(s => s.Marker).Where(g => g.Count() > 1))
                Problem(dup.Last().Origin, $"funnel '{funnel}' has two {dup.Key} steps ('{dup.First().Step}' and '{dup.Last().Step}'); a funnel may put each marker on one step only.");
            foreach (var step in steps.Where(s => s.Position < 1))
                Problem(step.Origin, $"step '{step.Step}' of funnel '{funnel}' has position {step.Position}; positions start at 1.");
            foreach (var step in steps.Where(s => string.IsNullOrWhiteSpace(s.Step)))
                Problem(step.Origin, $"a step of funnel '{funnel}' has no name.");
        }
        FunnelStepRow? FindStep(string funnel, string step) =>
            funnels.TryGetValue(funnel, out var steps) ? steps.FirstOrDefault(s => Names.Equals(s.Step, step)) : null;

        InstanceCatalog? FindInstance(string name, RowOrigin? at)
        {
            var instance = catalog.Instance(name);
            if (instance is null)
                Problem(at, $"unknown instance '{name}'; the instances of company '{config.Company}' are: {List(catalog.Instances.Select(i => i.Name))}.");
            return instance;
        }

        // ---- stage mapping -----------------------------------------------------------------
        foreach (var row in config.Stages)
        {
            var instance = FindInstance(row.Instance, row.Origin);
            if (instance is not null && !instance.Stages.ContainsKey(row.StageId))
                Problem(row.Origin, $"instance '{row.Instance}' has no stage with id {row.StageId}; run 'crmetl mapping scaffold --instance \"{row.Instance}\"' or export the mapping to see its stages.");
            if (!funnels.TryGetValue(row.Funnel, out var funnelSteps))
                Problem(row.Origin, $"unknown funnel '{row.Funnel}'; define its steps first (funnels: {List(funnels.Keys)}).");
            else if (FindStep(row.Funnel, row.Step) is null)
                Problem(row.Origin, $"funnel '{row.Funnel}' has no step '{row.Step}' (steps: {List(funnelSteps.OrderBy(s => s.Position).Select(s => s.Step))}).");
        }
        foreach (var dup in config.Stages.GroupBy(s => (Instance: s.Instance.ToUpperInvariant(), s.StageId, Funnel: s.Funnel.ToUpperInvariant())).Where(g => g.Count() > 1))
        {
            var rows = dup.ToList();
            var stageName = catalog.Instance(rows[0].Instance)?.Stages.GetValueOrDefault(rows[0].StageId)?.Name ?? $"#{rows[0].StageId}";
            Problem(rows[^1].Origin, $"stage '{stageName}' (id {rows[0].StageId}) of instance '{rows[0].Instance}' is mapped twice in funnel '{rows[0].Funnel}' " +
                $"(steps {List(rows.Select(r => r.Step))}); a stage may be in one step of a funnel only — several stages may share a step.");
        }
        // A funnel counts deals or leads, not both: lead statuses and deal stages cannot share one.
        foreach (var funnel in config.Stages.GroupBy(s => s.Funnel, StringComparer.OrdinalIgnoreCase))
        {
            var kinds = funnel.Select(r => catalog.Instance(r.Instance)?.Stages.GetValueOrDefault(r.StageId)).OfType<CatalogStage>().GroupBy(s => s.IsLeadStatus).ToList();
            if (kinds.Count > 1)
                Problem(funnel.Last().Origin, $"funnel '{funnel.Key}' has both deal stages and lead statuses mapped (e.g. '{kinds.First(k => !k.Key).First().Name}' and " +
                    $"'{kinds.First(k => k.Key).First().Name}'); put lead statuses in a funnel of their own.");
        }

        // ---- KPIs --------------------------------------------------------------------------
        var kpis = new Dictionary<string, KpiRow>(Names);
        foreach (var kpi in config.Kpis)
        {
            if (string.IsNullOrWhiteSpace(kpi.Name)) { Problem(kpi.Origin, "a KPI has no name."); continue; }
            if (!kpis.TryAdd(kpi.Name, kpi)) Problem(kpi.Origin, $"KPI '{kpi.Name}' is defined twice; KPI names are unique per company.");
        }
        var formulas = new Dictionary<string, KpiExpression>(Names);
        foreach (var kpi in config.Kpis)
        {
            switch (kpi.Kind)
            {
                case KpiKinds.Stage:
                    if (kpi.Funnel is null || kpi.Step is null)
                        Problem(kpi.Origin, $"stage KPI '{kpi.Name}' needs a funnel and a step.");
                    else if (FindStep(kpi.Funnel, kpi.Step) is null)
                        Problem(kpi.Origin, $"stage KPI '{kpi.Name}' refers to step '{kpi.Step}' of funnel '{kpi.Funnel}', which does not exist.");
                    if (kpi.Measure is not (KpiMeasures.Count or KpiMeasures.Value))
                        Problem(kpi.Origin, $"KPI '{kpi.Name}' has measure '{kpi.Measure}'; use count or value.");
                    break;
                case KpiKinds.Activity:
                    var known = catalog.Instances.SelectMany(i => i.ActivityTypes).ToHashSet(Names);
                    foreach (var type in (kpi.ActivityTypes ?? []).Where(t => !known.Contains(t)))
                        Problem(kpi.Origin, $"activity KPI '{kpi.Name}' counts activity type '{type}', which no instance of the company has (types: {List(known)}).");
                    break;
                case KpiKinds.Lead:
                    break;
                case KpiKinds.Calculated:
                    if (string.IsNullOrWhiteSpace(kpi.Expression)) { Problem(kpi.Origin, $"calculated KPI '{kpi.Name}' has no formula; write e.g. won / (won + lost)."); break; }
                    try
                    {
                        var formula = KpiExpression.Parse(kpi.Expression);
                        formulas[kpi.Name] = formula;
                        foreach (var name in formula.References().Where(n => !kpis.ContainsKey(n)))
                            Problem(kpi.Origin, $"the formula of KPI '{kpi.Name}' uses '{name}', which is not a KPI (KPIs: {List(kpis.Keys)}).");
                    }
                    catch (ExpressionException e)
                    {
                        Problem(kpi.Origin, $"the formula of KPI '{kpi.Name}' cannot be read: {e.Message}");
                    }
                    break;
                default:
                    Problem(kpi.Origin, $"KPI '{kpi.Name}' has kind '{kpi.Kind}'; use one of {List(KpiKinds.All)}.");
                    break;
            }
        }
        foreach (var cycle in Cycles(formulas))
            Problem(kpis[cycle[0]].Origin, $"calculated KPIs refer to each other in a cycle: {string.Join(" → ", cycle.Append(cycle[0]))}; break the cycle.");

        // ---- dimensions and people ---------------------------------------------------------
        foreach (var row in config.Dimensions)
        {
            var instance = FindInstance(row.Instance, row.Origin);
            if (instance is not null && row.PipelineId is { } pipeline && !instance.Pipelines.ContainsKey(pipeline))
                Problem(row.Origin, $"instance '{row.Instance}' has no pipeline with id {pipeline} (pipelines: {List(instance.Pipelines.Select(p => $"{p.Key} {p.Value}"))}).");
        }
        foreach (var dup in config.Dimensions.GroupBy(d => (d.Instance.ToUpperInvariant(), d.PipelineId)).Where(g => g.Count() > 1))
            Problem(dup.Last().Origin, $"instance '{dup.First().Instance}' {(dup.Key.PipelineId is null ? "defaults" : $"pipeline {dup.Key.PipelineId}")} have two dimension rows; keep one.");
        foreach (var row in config.People)
        {
            var instance = FindInstance(row.Instance, row.Origin);
            if (instance is not null && !instance.Users.ContainsKey(row.UserId))
                Problem(row.Origin, $"instance '{row.Instance}' has no user with id {row.UserId}.");
            if (string.IsNullOrWhiteSpace(row.Person))
                Problem(row.Origin, $"user {row.UserId} of instance '{row.Instance}' is mapped to an empty person name.");
        }
        foreach (var dup in config.People.GroupBy(p => (p.Instance.ToUpperInvariant(), p.UserId)).Where(g => g.Count() > 1))
            Problem(dup.Last().Origin, $"user {dup.Key.UserId} of instance '{dup.First().Instance}' is mapped twice; keep one row.");

        // ---- filters -----------------------------------------------------------------------
        foreach (var row in config.Filters)
        {
            var instance = FindInstance(row.Instance, row.Origin);
            if (!FilterEntities.All.Contains(row.Entity))
            {
                Problem(row.Origin, $"filter entity '{row.Entity}' is unknown; use one of {List(FilterEntities.All)}.");
                continue;
            }
            if (row.Mode is not (FilterModes.Include or FilterModes.Exclude))
                Problem(row.Origin, $"filter mode '{row.Mode}' is unknown; use include or exclude.");
            try
            {
                var condition = FilterCondition.Parse(row.Condition);
                foreach (var comparison in condition.Comparisons())
                {
                    var isStandard = StandardFilterFields.Find(row.Entity, comparison.Field) is not null;
                    var isCustom = row.Entity == FilterEntities.Deal && instance?.DealField(comparison.Field) is not null;
                    if (!isStandard && !isCustom && instance is not null)
                        Problem(row.Origin, $"the filter uses field '{comparison.Field}', which {FilterEntities.Plural(row.Entity)} of '{row.Instance}' do not have " +
                            $"(fields: {List(StandardFilterFields.ByEntity[row.Entity].Concat(row.Entity == FilterEntities.Deal ? instance.DealFields.Select(f => f.Name) : []))}).");
                }
            }
            catch (ExpressionException e)
            {
                Problem(row.Origin, $"the filter condition cannot be read: {e.Message}");
            }
        }

        // ---- targets -----------------------------------------------------------------------
        var persons = config.People.Select(p => p.Person).ToHashSet(Names);
        var teams = config.People.Where(p => p.Team is not null).Select(p => p.Team!).ToHashSet(Names);
        var countries = config.Dimensions.Where(d => d.Country is not null).Select(d => d.Country!).ToHashSet(Names);
        var activityTypes = catalog.Instances.SelectMany(i => i.ActivityTypes).ToHashSet(Names);
        foreach (var target in config.Targets)
        {
            if (!kpis.TryGetValue(target.Kpi, out var targetKpi))
                Problem(target.Origin, $"the target is for KPI '{target.Kpi}', which does not exist (KPIs: {List(kpis.Keys)}).");
            else if (targetKpi.Kind == KpiKinds.Calculated && target.AssigneeKind != AssigneeKinds.Company)
                // a ratio is computed from the company's period totals; per person it would be a different number
                Problem(target.Origin, $"calculated KPI '{target.Kpi}' is computed for the company as a whole, so its targets can only be for the company, not for a {target.AssigneeKind}; set the target on the KPIs it is made of, or on the company.");
            if (!Periods.All.Contains(target.Period))
                Problem(target.Origin, $"period '{target.Period}' is unknown; use one of {List(Periods.All)}.");
            else if (Periods.Start(target.Period, target.PeriodStart) != target.PeriodStart)
                Problem(target.Origin, $"{target.PeriodStart:yyyy-MM-dd} does not start a {target.Period}; use {Periods.Start(target.Period, target.PeriodStart):yyyy-MM-dd}.");
            if (target.Value < 0)
                Problem(target.Origin, $"the target value {target.Value} is negative.");
            var (known, what) = target.AssigneeKind switch
            {
                AssigneeKinds.Person => (persons, "person"),
                AssigneeKinds.Team => (teams, "team"),
                AssigneeKinds.Country => (countries, "country"),
                AssigneeKinds.ActivityType => (activityTypes, "activity type"),
                AssigneeKinds.Company => (new HashSet<string>([config.Company], Names), "company"),
                _ => ((HashSet<string>?)null, ""),
            };
            if (known is null)
                Problem(target.Origin, $"assignee kind '{target.AssigneeKind}' is unknown; use one of {List(AssigneeKinds.All)}.");
            else if (!known.Contains(target.Assignee))
                Problem(target.Origin, $"the target is for {what} '{target.Assignee}', who is not known{(what == "person" || what == "team" ? " — map a CRM user to them in people.csv first" : "")} ({what}s: {List(known)}).");
        }
        foreach (var dup in config.Targets.GroupBy(t => (Kpi: t.Kpi.ToUpperInvariant(), t.Period, t.PeriodStart, t.AssigneeKind, Assignee: t.Assignee.ToUpperInvariant())).Where(g => g.Count() > 1))
            Problem(dup.Last().Origin, $"KPI '{dup.First().Kpi}' has two {dup.Key.Period} targets from {dup.Key.PeriodStart:yyyy-MM-dd} for {dup.Key.AssigneeKind} '{dup.First().Assignee}'; keep one.");

        return problems;
    }

    public static IReadOnlyList<string> ValidateRates(IEnumerable<ExchangeRateRow> rates)
    {
        var problems = new List<string>();
        var list = rates.ToList();
        foreach (var rate in list)
        {
            var at = rate.Origin is null ? "" : $"{rate.Origin}: ";
            foreach (var code in new[] { rate.Currency, rate.ReportingCurrency }.Where(c => c.Length != 3 || !c.All(char.IsAsciiLetterUpper)))
                problems.Add($"{at}'{code}' is not a three-letter ISO currency code in capitals, e.g. EUR.");
            if (rate.Rate <= 0) problems.Add($"{at}the rate {rate.Rate} must be above 0 (1 {rate.Currency} = rate {rate.ReportingCurrency}).");
            if (rate.Currency == rate.ReportingCurrency) problems.Add($"{at}a rate from {rate.Currency} to itself is always 1; remove the row.");
        }
        foreach (var dup in list.GroupBy(r => (r.Currency, r.ReportingCurrency, r.ValidFrom)).Where(g => g.Count() > 1))
            problems.Add($"{(dup.Last().Origin is { } o ? $"{o}: " : "")}two rates for {dup.Key.Currency}→{dup.Key.ReportingCurrency} from {dup.Key.ValidFrom:yyyy-MM-dd}; keep one.");
        return problems;
    }

    /// <summary>Each cycle among calculated KPIs once, as the names along it.</summary>
    private static List<List<string>> Cycles(Dictionary<string, KpiExpression> formulas)
    {
        var cycles = new List<List<string>>();
        var done = new HashSet<string>(Names);
        var path = new List<string>();
        foreach (var start in formulas.Keys) Visit(start);
        return cycles;

        void Visit(string name)
        {
            var at = path.FindIndex(p => Names.Equals(p, name));
            if (at >= 0) { cycles.Add(path[at..]); return; }
            if (!formulas.TryGetValue(name, out var formula) || !done.Add(name)) return;
            path.Add(name);
            foreach (var next in formula.References()) Visit(next);
            path.RemoveAt(path.Count - 1);
        }
    }

    private static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        return all.Count == 0 ? "none yet" : string.Join(", ", all.Take(12)) + (all.Count > 12 ? $", … ({all.Count} in all)" : "");
    }
}
