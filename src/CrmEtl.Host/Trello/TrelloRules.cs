using CrmEtl.Core.Trello;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Trello;

namespace CrmEtl.Host.Trello;

/// <summary>A rule as a person gives it: the instance, the board and list by name or id, the kind and its outcome or stage.</summary>
public sealed record TrelloRuleInput(string? Instance, string? Board, string? List, string? Kind, string? Outcome, string? Pipeline, string? Stage);

/// <summary>
/// Trello rules for 'crmetl rules', the API and the console: the board and list are looked up in the company's Trello
/// account (by name or id), a stage in the instance's replica; one rule per board, a new one replacing the old.
/// </summary>
public sealed class TrelloRules(TrelloRuleStore store, TrelloConnections connections, InstanceRepository instances)
{
    public async Task<(TrelloRule Rule, TrelloRule? Replaced)> SetAsync(TrelloRuleInput input, string? createdBy, string? onlyCompany, CancellationToken ct)
    {
        var instance = (int.TryParse(input.Instance, out var id) ? await instances.FindAsync(id, ct) : null)
            ?? (string.IsNullOrWhiteSpace(input.Instance) ? null : await instances.FindAsync(input.Instance.Trim(), ct));
        var company = instance?.Company ?? instance?.Name;
        if (instance is null || (onlyCompany is not null && company != onlyCompany))
            throw new InstanceNotFoundException($"There is no instance '{input.Instance}' ('crmetl instances' lists them).");
        var problems = new List<string>();
        var kind = input.Kind?.Trim().ToLowerInvariant().Replace('-', '_');
        if (kind is null || !TrelloRuleKinds.All.Contains(kind))
            problems.Add($"The kind '{input.Kind}' is not one of {string.Join(", ", TrelloRuleKinds.All)}: a card when a deal is added, won or lost, or moved to a stage.");
        var outcome = kind == TrelloRuleKinds.WonOrLost ? (input.Outcome?.Trim().ToLowerInvariant() ?? "both") : null;
        if (outcome is not (null or "won" or "lost" or "both")) problems.Add($"The outcome '{input.Outcome}' is not won, lost or both.");
        if (kind != TrelloRuleKinds.WonOrLost && input.Outcome is not null) problems.Add("--outcome goes with --kind won_or_lost only.");
        (long Id, string Name, long PipelineId, string Pipeline)? stage = null;
        if (kind == TrelloRuleKinds.MovedTo)
        {
            var stages = await store.StagesAsync(instance.Id, ct);
            var matching = stages.Where(s => Is(input.Stage, s.Id, s.Name) && (input.Pipeline is null || Is(input.Pipeline, s.PipelineId, s.Pipeline))).ToList();
            if (stages.Count == 0) problems.Add($"{instance.Name} has no stages yet: sync it first ('crmetl sync --instance \"{instance.Name}\"').");
            else if (matching.Count == 1) stage = matching[0];
            else problems.Add((string.IsNullOrWhiteSpace(input.Stage) ? "Name the stage (--stage) a deal must arrive at" : matching.Count == 0 ? $"{instance.Name} has no stage '{input.Stage}'" + (input.Pipeline is null ? "" : $" in pipeline '{input.Pipeline}'") : $"Several pipelines have a stage '{input.Stage}': add --pipeline")
                + $"; its stages: {string.Join("; ", stages.GroupBy(s => s.Pipeline).Select(g => $"{g.Key}: {string.Join(", ", g.Select(s => s.Name))}"))}.");
        }
        else if (input.Stage is not null || input.Pipeline is not null) problems.Add("--stage and --pipeline go with --kind moved_to only.");
        if (problems.Count > 0) throw new InstanceInputException(problems);

        var client = await connections.ClientAsync(company!, ct);
        var boards = await client.BoardsAsync(ct);
        var board = boards.FirstOrDefault(b => b.Id == input.Board?.Trim()) ?? boards.FirstOrDefault(b => string.Equals(b.Name, input.Board?.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new InstanceInputException([$"The Trello account has no open board '{input.Board}'; its boards: {string.Join(", ", boards.Select(b => b.Name))}."]);
        var lists = await client.ListsAsync(board.Id, ct);
        var list = lists.FirstOrDefault(l => l.Id == input.List?.Trim()) ?? lists.FirstOrDefault(l => string.Equals(l.Name, input.List?.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new InstanceInputException([$"The board '{board.Name}' has no open list '{input.List}'; its lists: {string.Join(", ", lists.Select(l => l.Name))}."]);
        return await store.SetAsync(new NewTrelloRule(company!, instance.Id, board.Id, board.Name, list.Id, list.Name, kind!, outcome, stage?.PipelineId, stage?.Id, createdBy), ct);
    }

    public async Task RemoveAsync(int id, string? company, CancellationToken ct)
    {
        if (!await store.EndAsync(id, company, "removed", ct))
            throw new InstanceNotFoundException($"There is no active rule {id} ('crmetl rules' lists them).");
    }

    private static bool Is(string? given, long id, string name) =>
        given is not null && (given.Trim() == id.ToString(System.Globalization.CultureInfo.InvariantCulture) || string.Equals(given.Trim(), name, StringComparison.OrdinalIgnoreCase));
}
