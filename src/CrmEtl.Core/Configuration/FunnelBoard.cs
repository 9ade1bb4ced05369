namespace CrmEtl.Core.Configuration;

/// <summary>A step container of a funnel on the mapping board.</summary>
public sealed class BoardStep(string name, Marker marker, string? savedName)
{
    public string Name { get; set; } = name;
    public Marker Marker { get; set; } = marker;

    /// <summary>Its name in the saved configuration (null for a new step): KPIs that count it follow a rename.</summary>
    public string? SavedName { get; } = savedName;
}

/// <summary>A CRM stage (or lead status) on the mapping board, and the step of the funnel it is in (null: not mapped).</summary>
public sealed record BoardChip(string Instance, long PipelineId, string Pipeline, long StageId, string Stage, int Rank, bool IsLeadStatus, bool ClosedWon, bool ClosedLost)
{
    public BoardStep? Step { get; set; }
}

/// <summary>
/// One funnel of a company being edited on the console's mapping board: its steps in order with their markers, and
/// every stage of every instance of the company as a chip in a step or unmapped. <see cref="ApplyTo"/> gives back the
/// configuration with the funnel replaced, for the same validation and save as 'crmetl config import'.
/// </summary>
public sealed class FunnelBoard
{
    private readonly List<BoardStep> _steps;

    private FunnelBoard(string funnel, List<BoardStep> steps, IReadOnlyList<BoardChip> chips)
    {
        Funnel = funnel;
        _steps = steps;
        Chips = chips;
    }

    public string Funnel { get; }
    public IReadOnlyList<BoardStep> Steps => _steps;
    public IReadOnlyList<BoardChip> Chips { get; }
    public IEnumerable<BoardChip> Unmapped => Chips.Where(c => c.Step is null);

    /// <param name="funnel">The funnel to edit, matched without regard to case; a new one when the configuration has none of that name.</param>
    public static FunnelBoard Of(CompanyConfiguration config, CrmCatalog catalog, string funnel)
    {
        funnel = config.Steps.FirstOrDefault(s => Same(s.Funnel, funnel))?.Funnel ?? funnel.Trim();
        var steps = config.Steps.Where(s => Same(s.Funnel, funnel)).OrderBy(s => s.Position).Select(s => new BoardStep(s.Step, s.Marker, s.Step)).ToList();
        var chips = new List<BoardChip>();
        foreach (var instance in catalog.Instances)
            foreach (var pipeline in instance.Stages.Values.GroupBy(s => s.PipelineId).OrderBy(p => p.Key))
            {
                var ranked = pipeline.OrderBy(s => s.OrderNr ?? int.MaxValue).ThenBy(s => s.Id).ToList();
                var pipelineName = instance.Pipelines.GetValueOrDefault(pipeline.Key) ?? (ranked[0].IsLeadStatus ? "Lead statuses" : $"Pipeline {pipeline.Key}");
                chips.AddRange(ranked.Select((s, i) => new BoardChip(instance.Name, pipeline.Key, pipelineName, s.Id, s.Name.Trim(), i + 1, s.IsLeadStatus, s.ClosedWon, s.ClosedLost)));
            }
        foreach (var row in config.Stages.Where(r => Same(r.Funnel, funnel)))
            if (chips.FirstOrDefault(c => Same(c.Instance, row.Instance) && c.StageId == row.StageId) is { } chip)
                chip.Step = steps.FirstOrDefault(s => Same(s.Name, row.Step));
        return new FunnelBoard(funnel, steps, chips);
    }

    public IEnumerable<BoardChip> ChipsIn(BoardStep step) => Chips.Where(c => c.Step == step);

    public BoardStep AddStep(string? name = null)
    {
        var step = new BoardStep(UniqueName(name ?? "New step"), Marker.None, null);
        _steps.Add(step);
        return step;
    }

    public void Move(BoardStep step, int by)
    {
        var from = _steps.IndexOf(step);
        var to = Math.Clamp(from + by, 0, _steps.Count - 1);
        _steps.RemoveAt(from);
        _steps.Insert(to, step);
    }

    /// <summary>Removes the step; its stages become unmapped.</summary>
    public void Remove(BoardStep step)
    {
        foreach (var chip in ChipsIn(step).ToList()) chip.Step = null;
        _steps.Remove(step);
    }

    /// <summary>Problems to show while editing, in the words the validator uses on save.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var dup in _steps.Where(s => s.Marker != Marker.None).GroupBy(s => s.Marker).Where(g => g.Count() > 1))
            problems.Add($"funnel '{Funnel}' has two {dup.Key} steps ('{dup.First().Name}' and '{dup.Last().Name}'); a funnel may put each marker on one step only.");
        foreach (var dup in _steps.GroupBy(s => s.Name.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add($"funnel '{Funnel}' has two steps named '{dup.Key}'; step names must be unique within a funnel.");
        if (_steps.Any(s => string.IsNullOrWhiteSpace(s.Name))) problems.Add($"a step of funnel '{Funnel}' has no name.");
        return problems;
    }

    /// <summary>True when another step carries the same marker (the board shows both).</summary>
    public bool MarkerClashes(BoardStep step) => step.Marker != Marker.None && _steps.Count(s => s.Marker == step.Marker) > 1;

    /// <summary>
    /// Replaces the steps with one per stage of the CRM: pipelines line up, by name where a stage's name occurs in
    /// several pipelines, else by position (the first stages together, the second ones together, ...), instead of
    /// interleaving; the stages that close a deal won or lost (Zoho's Closed Won / Closed Lost) go to Won and Lost steps,
    /// which get their markers. Lead statuses are left out of a deal funnel, and only they are used in a lead funnel.
    /// </summary>
    public void StartFromCrm()
    {
        var leadFunnel = Chips.Any(c => c.Step is not null && c.IsLeadStatus);
        foreach (var chip in Chips) chip.Step = null;
        _steps.Clear();
        var open = Chips.Where(c => c.IsLeadStatus == leadFunnel && !c.ClosedWon && !c.ClosedLost).ToList();
        var pipelinesOfName = open.GroupBy(c => c.Stage, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Select(c => (c.Instance, c.PipelineId)).Distinct().Count(), StringComparer.OrdinalIgnoreCase);
        var groups = open.GroupBy(c => pipelinesOfName[c.Stage] > 1 ? "name:" + c.Stage.ToUpperInvariant() : "rank:" + c.Rank)
            .OrderBy(g => g.Average(c => c.Rank)).ThenBy(g => g.Min(c => c.Rank)).ToList();
        foreach (var group in groups)
        {
            var step = AddStep(string.Join(" / ", group.Select(c => c.Stage).Distinct(StringComparer.OrdinalIgnoreCase)));
            foreach (var chip in group) chip.Step = step;
        }
        var won = AddStep("Won");
        won.Marker = Marker.Won;
        var lost = AddStep("Lost");
        lost.Marker = Marker.Refused;
        foreach (var chip in Chips.Where(c => c.IsLeadStatus == leadFunnel && (c.ClosedWon || c.ClosedLost))) chip.Step = chip.ClosedWon ? won : lost;
    }

    /// <summary>The configuration with this funnel's steps and stage mappings replaced, and the KPIs that count a renamed step following it.</summary>
    public CompanyConfiguration ApplyTo(CompanyConfiguration config)
    {
        var renamed = _steps.Where(s => s.SavedName is not null && s.SavedName != s.Name.Trim()).ToDictionary(s => s.SavedName!, s => s.Name.Trim(), StringComparer.OrdinalIgnoreCase);
        return config with
        {
            Steps = [.. config.Steps.Where(s => !Same(s.Funnel, Funnel)), .. _steps.Select((s, i) => new FunnelStepRow(Funnel, i + 1, s.Name.Trim(), s.Marker))],
            Stages = [.. config.Stages.Where(s => !Same(s.Funnel, Funnel)),
                .. Chips.Where(c => c.Step is not null).Select(c => new StageMappingRow(c.Instance, c.StageId, Funnel, c.Step!.Name.Trim()))],
            Kpis = config.Kpis.Select(k => k.Funnel is { } f && Same(f, Funnel) && k.Step is { } step && renamed.TryGetValue(step, out var now) ? k with { Step = now } : k).ToList(),
        };
    }

    private string UniqueName(string name)
    {
        var candidate = name;
        for (var n = 2; _steps.Any(s => Same(s.Name, candidate)); n++) candidate = $"{name} {n}";
        return candidate;
    }

    private static bool Same(string a, string b) => string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
