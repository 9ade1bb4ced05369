using CrmEtl.Core.Sync;
using CrmEtl.Host.Trello;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Trello;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Storage.Trello;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Trello;

/// <summary>
/// A Pipedrive sandbox account, Zoho sandbox org or Kommo sandbox account synced into a fresh database, and a Trello sandbox member connected for
/// its company ("Acme"), with the default boards: Site inspections, Accounting, Design.
/// </summary>
internal sealed class TrelloWorld : IAsyncDisposable
{
    public const string Company = "Acme";
    public const string Member = "acme-ops";

    private readonly IAsyncDisposable _crm;
    private readonly Action<MutationPlan, int> _mutate;

    private TrelloWorld(IAsyncDisposable crm, PipedriveCompany data, Action<MutationPlan, int> mutate, Func<SbDeal, long> dealId, TrelloSandbox trello, PipedriveWorld.Replica replica) =>
        (_crm, Data, _mutate, CrmDealId, Trello, Replica) = (crm, data, mutate, dealId, trello, replica);

    /// <summary>The CRM's data (a Zoho org's is kept in the same model, under its own ids: see <see cref="CrmDealId"/>).</summary>
    public PipedriveCompany Data { get; }
    public Func<SbDeal, long> CrmDealId { get; }
    /// <summary>The Pipedrive sandbox, when the world's CRM is Pipedrive.</summary>
    public PipedriveSandbox? Pipedrive => (_crm as PipedriveWorld)?.Sandbox;
    public TrelloSandbox Trello { get; }
    public PipedriveWorld.Replica Replica { get; }
    public IServiceProvider Services => Replica.Host.Services;

    /// <summary>Delivery settings that make a put-off card due again at once (tests run passes by hand).</summary>
    public static Dictionary<string, string?> QuickRetries => new() { ["Trello:FirstRetryAfter"] = "00:00:00", ["Trello:MaxRetryAfter"] = "00:00:00" };

    /// <param name="firstSync">Sync the account before returning (its first sync: the past, which makes no card).</param>
    public static async Task<TrelloWorld> StartAsync(int seed, Dictionary<string, string?>? settings = null, bool firstSync = true)
    {
        var crm = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions { Name = "acme", ApiToken = "trello-world-token", Seed = seed, Deals = 60, Activities = 60, Leads = 4 });
        var replica = await crm.NewReplicaAsync(settings: settings ?? QuickRetries);
        return await ConnectAsync(new TrelloWorld(crm, crm.Company, (plan, s) => crm.Sandbox.Mutate("acme", plan, s), d => d.Id,
            await TrelloSandbox.StartAsync(new TrelloSandboxOptions()), replica), firstSync);
    }

    public static async Task<TrelloWorld> StartZohoAsync(int seed, Dictionary<string, string?>? settings = null)
    {
        var crm = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Seed = seed, Deals = 60, Activities = 60, Leads = 4 });
        var replica = await crm.NewReplicaAsync(settings ?? QuickRetries);
        return await ConnectAsync(new TrelloWorld(crm, crm.Org.Data, (plan, s) => crm.Sandbox.Mutate(crm.Org.Options.Name, plan, s), crm.Org.DealId,
            await TrelloSandbox.StartAsync(new TrelloSandboxOptions()), replica), firstSync: true);
    }

    public static async Task<TrelloWorld> StartKommoAsync(int seed, Dictionary<string, string?>? settings = null)
    {
        var crm = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Seed = seed, Deals = 60, Activities = 60 });
        var replica = await crm.NewReplicaAsync(settings ?? QuickRetries);
        return await ConnectAsync(new TrelloWorld(crm, crm.Account.Data, (plan, s) => crm.Sandbox.Mutate(crm.Account.Options.Subdomain, plan, s), crm.Account.LeadId,
            await TrelloSandbox.StartAsync(new TrelloSandboxOptions()), replica), firstSync: true);
    }

    private static async Task<TrelloWorld> ConnectAsync(TrelloWorld world, bool firstSync)
    {
        var trello = world.Trello;
        var account = trello.Accounts[0].Options;
        await world.Services.GetRequiredService<TrelloConnections>().ConnectAsync(Company, trello.BaseUrl + "/1", account.Key, account.Token, "test", CancellationToken.None);
        if (firstSync) await world.SyncAsync(SyncMode.Full);
        return world;
    }

    /// <summary>Changes the CRM's data now, as its users would between two syncs.</summary>
    public void Mutate(MutationPlan plan, int seed) => _mutate(plan, seed);

    public async Task SyncAsync(SyncMode mode = SyncMode.Incremental)
    {
        var outcome = await Replica.SyncAsync(mode);
        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
    }

    public async Task<TrelloRule> SetRuleAsync(string board, string list, string kind, string? outcome = null, string? stage = null, string? pipeline = null) =>
        (await Services.GetRequiredService<TrelloRules>().SetAsync(new TrelloRuleInput("Acme", board, list, kind, outcome, pipeline, stage), "test", null, CancellationToken.None)).Rule;

    /// <summary>One delivery pass, as a worker makes every Trello:PollEvery.</summary>
    public Task<DeliveryPass> DeliverAsync() => Services.GetRequiredService<TrelloDeliveries>().DeliverDueAsync(CancellationToken.None);

    /// <summary>Delivery passes until one does nothing (at most <paramref name="passes"/>); the passes' sum.</summary>
    public async Task<DeliveryPass> DeliverAllAsync(int passes = 10)
    {
        var total = DeliveryPass.None;
        for (var i = 0; i < passes; i++)
        {
            var pass = await DeliverAsync();
            if (pass == DeliveryPass.None) break;
            total = total.Add(pass);
        }
        return total;
    }

    /// <summary>The open cards on a list of the member's boards, as Trello shows them.</summary>
    public IReadOnlyList<TrelloCard> CardsOn(string board, string list) =>
        Trello.Cards(Member).Where(c => c.List.Board.Name == board && c.List.Name == list).ToList();

    public Task<IReadOnlyList<TrelloDelivery>> DeliveriesAsync(string? status = null) =>
        Services.GetRequiredService<TrelloOutbox>().ListAsync(null, status, 1000, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _crm.DisposeAsync();
        await Trello.DisposeAsync();
    }
}
