using CrmEtl.Host.Trello;
using CrmEtl.Storage.Trello;

namespace CrmEtl.Host.Web;

/// <summary>The console's Trello page: the company's connection, rules and cards, as 'crmetl trello', 'rules' and 'deliveries' give them; changes are an admin's.</summary>
public sealed class ConsoleTrello(TrelloConnections connections, TrelloConnectionStore store, TrelloRules rules, TrelloRuleStore ruleStore, TrelloOutbox outbox)
{
    public Task<TrelloConnection?> ConnectionAsync(ConsoleSession session, CancellationToken ct) => store.FindAsync(session.Company, ct);

    public Task<TrelloTestResult> ConnectAsync(ConsoleSession session, string? url, string? key, string? token, CancellationToken ct)
    {
        session.RequireAdmin("connects Trello");
        return connections.ConnectAsync(session.Company, url, key, token, session.Email, ct);
    }

    /// <summary>Tests the connection; its boards and lists feed the rule form.</summary>
    public Task<TrelloTestResult> TestAsync(ConsoleSession session, CancellationToken ct) => connections.TestAsync(session.Company, ct);

    public Task<IReadOnlyList<TrelloRule>> RulesAsync(ConsoleSession session, bool history, CancellationToken ct) => ruleStore.ListAsync(session.Company, history, ct);

    public Task<IReadOnlyList<(long Id, string Name, long PipelineId, string Pipeline)>> StagesAsync(int instanceId, CancellationToken ct) => ruleStore.StagesAsync(instanceId, ct);

    public async Task<(TrelloRule Rule, TrelloRule? Replaced)> SetRuleAsync(ConsoleSession session, TrelloRuleInput input, CancellationToken ct)
    {
        session.RequireAdmin("sets Trello rules");
        return await rules.SetAsync(input, session.Email, session.Company, ct);
    }

    public Task RemoveRuleAsync(ConsoleSession session, int id, CancellationToken ct)
    {
        session.RequireAdmin("removes Trello rules");
        return rules.RemoveAsync(id, session.Company, ct);
    }

    public Task<IReadOnlyList<TrelloDelivery>> DeliveriesAsync(ConsoleSession session, string? status, CancellationToken ct) => outbox.ListAsync(session.Company, status, 100, ct);

    public async Task RetryAsync(ConsoleSession session, long id, CancellationToken ct)
    {
        session.RequireAdmin("retries Trello cards");
        if (await outbox.RetryFailedAsync(session.Company, id, ct) == 0) throw new Instances.InstanceNotFoundException($"There is no failed card {id} of {session.Company}.");
    }
}
