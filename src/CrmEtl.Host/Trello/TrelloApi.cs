using CrmEtl.Host.Instances;
using CrmEtl.Storage.Trello;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Host.Trello;

/// <summary>A rule as POST /api/trello/rules takes it.</summary>
public sealed record TrelloRuleBody(string? Instance, string? Board, string? List, string? Kind, string? Outcome, string? Pipeline, string? Stage);

/// <summary>/api/trello: the rules and the cards they asked for, as 'crmetl rules' and 'crmetl deliveries' show them (the API key sees every company).</summary>
public static class TrelloApi
{
    public static void MapTrelloApi(RouteGroupBuilder api)
    {
        api.MapGet("/trello/rules", ListRulesAsync).WithSummary("The Trello rules (of company= when given); history=true adds the replaced, removed and switched-off ones with why.");
        api.MapPost("/trello/rules", SetRuleAsync).WithSummary("Set the rule of a board: instance, board and list (name or id), kind added | won_or_lost (outcome won, lost, both) | moved_to (stage, pipeline). A board's earlier rule is replaced.");
        api.MapDelete("/trello/rules/{id:int}", RemoveRuleAsync).WithSummary("Remove a rule: it makes no more cards and stays in the history.");
        api.MapGet("/trello/deliveries", ListDeliveriesAsync).WithSummary("The cards the rules asked for, newest first: pending, delivered (with the card's link), failed or cancelled (with why).");
        api.MapPost("/trello/deliveries/{id:long}/retry", RetryAsync).WithSummary("Try a failed card again now, its attempts counted afresh.");
    }

    private static async Task<IResult> ListRulesAsync(string? company, bool? history, TrelloRuleStore rules, CancellationToken ct) =>
        Results.Ok(await rules.ListAsync(company, history ?? false, ct));

    private static async Task<IResult> SetRuleAsync(TrelloRuleBody body, TrelloRules rules, CancellationToken ct)
    {
        var (rule, replaced) = await rules.SetAsync(new TrelloRuleInput(body.Instance, body.Board, body.List, body.Kind, body.Outcome, body.Pipeline, body.Stage), "api", null, ct);
        return Results.Created($"/api/trello/rules/{rule.Id}", new { rule, replaced });
    }

    private static async Task<IResult> RemoveRuleAsync(int id, TrelloRules rules, CancellationToken ct)
    {
        await rules.RemoveAsync(id, null, ct);
        return Results.NoContent();
    }

    private static async Task<IResult> ListDeliveriesAsync(string? company, string? status, int? limit, TrelloOutbox outbox, CancellationToken ct)
    {
        if (status is not null && !TrelloDeliveryStatus.All.Contains(status))
            throw new InstanceInputException([$"status '{status}' is not one of {string.Join(", ", TrelloDeliveryStatus.All)}."]);
        if (limit is < 1 or > 1000) throw new InstanceInputException(["limit must be between 1 and 1000."]);
        return Results.Ok(await outbox.ListAsync(company, status, limit ?? 50, ct));
    }

    private static async Task<IResult> RetryAsync(long id, TrelloOutbox outbox, CancellationToken ct) =>
        await outbox.RetryFailedAsync(null, id, ct) == 1 ? Results.Accepted($"/api/trello/deliveries?status=pending")
            : throw new InstanceNotFoundException($"There is no failed card {id} (GET /api/trello/deliveries?status=failed lists them).");
}
