using CrmEtl.Sandbox.Pipedrive;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// Loopback HTTP servers that behave like Kommo (amoCRM) API v4 for one or more accounts, each on its own base URL
/// as Kommo gives each account its subdomain: the OAuth token endpoint and the API, generated data that can be
/// changed between syncs, the per-integration limits, a 402 switch and the shared fault switches.
/// <para>
/// Each account has its own listener on 127.0.0.1 rather than one listener routing by Host: on this machine .NET's
/// HttpClient does not resolve {subdomain}.localhost (checked with a throwaway client: "Name or service not known").
/// </para>
/// </summary>
public sealed class KommoSandbox : IAsyncDisposable
{
    private readonly List<SandboxServer> _servers;
    private readonly Dictionary<string, KommoEndpoints> _endpoints;
    private readonly KommoRateLimits _limits;

    private KommoSandbox(List<SandboxServer> servers, Dictionary<string, KommoEndpoints> endpoints, KommoRateLimits limits, IReadOnlyList<KommoAccount> accounts, Faults faults, TimeProvider clock)
    {
        _servers = servers;
        _endpoints = endpoints;
        _limits = limits;
        Accounts = accounts;
        Faults = faults;
        Clock = clock;
    }

    public IReadOnlyList<KommoAccount> Accounts { get; }
    public Faults Faults { get; }
    public TimeProvider Clock { get; }

    /// <summary>429s answered so far, all accounts together.</summary>
    public int RateLimited => _limits.Refused;

    /// <summary>403s answered so far because an account was blocked.</summary>
    public int BlockedAnswers => _limits.BlockedAnswers;

    private DateTime Now => PipedriveGenerator.Truncate(Clock.GetUtcNow().UtcDateTime);

    public KommoAccount Account(string subdomain) =>
        Accounts.FirstOrDefault(a => string.Equals(a.Options.Subdomain, subdomain, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"The Kommo sandbox has no account '{subdomain}'. It has: {string.Join(", ", Accounts.Select(a => a.Options.Subdomain))}.", nameof(subdomain));

    /// <summary>Where an account answers, e.g. http://127.0.0.1:5123, standing for https://{subdomain}.kommo.com (/oauth2/…, /api/v4/…).</summary>
    public string BaseUrl(string subdomain) => Account(subdomain).BaseUrl;

    /// <summary>API calls served to an account, per operation such as "GET /api/v4/leads".</summary>
    public IReadOnlyDictionary<string, int> CallsTo(string subdomain) => _endpoints[Account(subdomain).Options.Subdomain].Calls.ToDictionary(StringComparer.Ordinal);

    /// <summary>Writes served to an account (answered or refused as invalid), per operation such as "POST /api/v4/leads/complex".</summary>
    public IReadOnlyDictionary<string, int> WritesTo(string subdomain) =>
        CallsTo(subdomain).Where(c => !c.Key.StartsWith("GET ", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);

    // ---- the integration ------------------------------------------------------------------------------------------

    /// <summary>An authorization code, as the integration's modal window or its redirect shows it: it lives 20 minutes and works once.</summary>
    public string MintAuthorizationCode(string subdomain) => Account(subdomain).Auth.MintCode(Now);

    /// <summary>A long-lived token (1 day to 5 years, no refresh token), as generated on the integration's Keys tab.</summary>
    public string MintLongLivedToken(string subdomain, TimeSpan lifetime) => Account(subdomain).Auth.MintLongLived(lifetime, Now);

    /// <summary>As an admin switching the integration off: every code and token dies, the API answers 401 until a new code is exchanged.</summary>
    public void RevokeIntegration(string subdomain) => Account(subdomain).Auth.Revoke();

    /// <summary>As Kommo's support lifting the block that repeated 429s brought.</summary>
    public void Unblock(string subdomain) => _limits.Unblock(Account(subdomain).Options.Subdomain);

    /// <summary>Blocks the account's API now (403 to every request until Unblock or BlockFor), as when another of its integrations kept exceeding 7 requests a second.</summary>
    public void Block(string subdomain) => _limits.Block(Account(subdomain).Options.Subdomain);

    /// <summary>
    /// As an admin ticking the integration among the sources of duplicate control (duplication-control.md): POST
    /// /api/v4/leads/complex then merges a contact sent with a lead into an existing one with its e-mail or phone.
    /// </summary>
    public void SetDuplicateControl(string subdomain, bool on) => Account(subdomain).DuplicateControl = on;

    // ---- changes between syncs --------------------------------------------------------------------------------------

    /// <summary>Changes an account's data now, as its users would between two syncs; deletions land in the trash with their events.</summary>
    public void Mutate(string subdomain, MutationPlan plan, int seed)
    {
        var account = Account(subdomain);
        PipedriveMutator.Apply(account.Data, plan, seed, Now);
        Change(account, () => KommoLeadHistory.RecordDeletions(account.Data));
    }

    /// <summary>Adds a customer with the deals and activities a test needs, stamped now: a contact with all its e-mails and phones, its leads and tasks.</summary>
    public AddedCustomer AddCustomer(string subdomain, CustomerCase customer)
    {
        var account = Account(subdomain);
        AddedCustomer? added = null;
        Change(account, () => added = CustomerCases.Add(account.Data, customer, Now));
        return added!;
    }

    /// <summary>Forgets the calls counted so far (<see cref="CallsTo"/>).</summary>
    public void ResetCallCounts()
    {
        foreach (var endpoints in _endpoints.Values) endpoints.Calls.Clear();
    }

    /// <summary>Moves a lead to a status of its pipeline now: a stage, 142 (won) or 143 (lost, with a loss reason); a closed lead is reopened there.</summary>
    public void MoveLead(string subdomain, long leadId, long statusId, long? byUserId = null)
    {
        var account = Account(subdomain);
        Change(account, () =>
        {
            var deal = LiveDeal(account, leadId);
            KommoLeadHistory.Move(account, deal, deal.PipelineId, statusId, byUserId ?? deal.OwnerId, Now);
        });
    }

    /// <summary>Puts a lead in the trash now (lead_deleted; listed with with=only_deleted).</summary>
    public void DeleteLead(string subdomain, long leadId)
    {
        var account = Account(subdomain);
        Change(account, () => { var deal = LiveDeal(account, leadId); KommoLeadHistory.Delete(deal, deal.OwnerId, Now); });
    }

    /// <summary>Takes a lead out of the trash now (lead_restored; listed again, updated now).</summary>
    public void RestoreLead(string subdomain, long leadId)
    {
        var account = Account(subdomain);
        Change(account, () =>
        {
            var deal = account.FindDeal(leadId) is { IsDeleted: true } d ? d : throw new ArgumentException($"Lead {leadId} is not in the trash.", nameof(leadId));
            KommoLeadHistory.Restore(deal, deal.OwnerId, Now);
        });
    }

    private static SbDeal LiveDeal(KommoAccount account, long leadId) =>
        account.FindDeal(leadId) is { IsDeleted: false } deal ? deal : throw new ArgumentException($"No lead {leadId} outside the trash.", nameof(leadId));

    private static void Change(KommoAccount account, Action change)
    {
        lock (account.Sync)
        {
            change();
            account.Invalidate();
        }
    }

    // ---- start and stop ---------------------------------------------------------------------------------------------

    public static async Task<KommoSandbox> StartAsync(KommoSandboxOptions options, CancellationToken cancellationToken = default)
    {
        var duplicate = options.Accounts.GroupBy(a => a.Subdomain, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two accounts have the subdomain '{duplicate.Key}'.", nameof(options));
        var now = PipedriveGenerator.Truncate((options.AsOf ?? options.Clock.GetUtcNow()).UtcDateTime);
        var accounts = options.Accounts.Select(a => Build(a, now)).ToList();
        var faults = new Faults();
        var limits = new KommoRateLimits(options, options.Clock);
        var servers = new List<SandboxServer>();
        var endpoints = new Dictionary<string, KommoEndpoints>(StringComparer.OrdinalIgnoreCase);
        KommoSandbox? sandbox = null;
        try
        {
            foreach (var account in accounts)
            {
                var served = new KommoEndpoints(account, faults, limits, options.Clock);
                var server = await SandboxServer.StartAsync(0, app =>
                {
                    MapControl(app, () => sandbox!, account);
                    served.Map(app);
                }, cancellationToken);
                servers.Add(server);
                endpoints[account.Options.Subdomain] = served;
                account.BaseUrl = server.BaseUrl;
            }
        }
        catch
        {
            foreach (var server in servers) await server.DisposeAsync();
            throw;
        }
        sandbox = new KommoSandbox(servers, endpoints, limits, accounts, faults, options.Clock);
        return sandbox;
    }

    private static KommoAccount Build(KommoAccountOptions options, DateTime now)
    {
        // The generator's own leads (Pipedrive's leads inbox) have no Kommo counterpart; they are generated all the
        // same, so that a seed gives the same deals here as in the Pipedrive and Zoho sandboxes.
        var data = PipedriveGenerator.Generate(new PipedriveCompanyOptions
        {
            Name = options.Subdomain, Seed = options.Seed, Deals = options.Deals, Activities = options.Activities, Users = options.Users,
            Pipelines = options.Pipelines, HistoryDays = options.HistoryDays, DefaultCurrency = options.Currency,
        }, now);
        KommoLeadHistory.RecordDeletions(data);
        KommoLeadHistory.AddPastRestorations(data, new Random(options.Seed ^ 0x4B4F4D4D), now);
        data.Invalidate();
        return new KommoAccount(options, data, now);
    }

    /// <summary>
    /// Control endpoints under /_sandbox/kommo on each account's host (loopback only, no auth), so that a person or a
    /// script can run the sandbox as its own process: mint a code or a long-lived token, revoke, switch 402, lift a
    /// block, switch duplicate control, change data, inject faults.
    /// </summary>
    private static void MapControl(IEndpointRouteBuilder app, Func<KommoSandbox> sandbox, KommoAccount account)
    {
        var subdomain = account.Options.Subdomain;
        app.MapGet("/_sandbox/kommo", () => Results.Json(new
        {
            subdomain, base_url = account.BaseUrl, client_id = account.Options.ClientId, redirect_uri = account.Options.RedirectUri,
            leads = account.Leads().Count(l => !l.Deal.IsDeleted), unpaid = account.Unpaid, refreshes_made = account.RefreshesMade,
            spent_refresh_token_reuses = account.SpentRefreshTokenReuses, rate_limited = sandbox().RateLimited,
        }));
        app.MapPost("/_sandbox/kommo/code", () => Results.Json(new { code = sandbox().MintAuthorizationCode(subdomain) }));
        app.MapPost("/_sandbox/kommo/long-lived-token", (HttpRequest request) =>
            Results.Json(new { access_token = sandbox().MintLongLivedToken(subdomain, TimeSpan.FromDays(Math.Max(1, SandboxControl.Int(request, "days")))) }));
        app.MapPost("/_sandbox/kommo/revoke", () => { sandbox().RevokeIntegration(subdomain); return Results.Json(new { revoked = true }); });
        app.MapPost("/_sandbox/kommo/unblock", () => { sandbox().Unblock(subdomain); return Results.Json(new { blocked = false }); });
        app.MapPost("/_sandbox/kommo/unpaid", (HttpRequest request) =>
        {
            account.Unpaid = !string.Equals(request.Query["on"], "false", StringComparison.OrdinalIgnoreCase);
            return Results.Json(new { unpaid = account.Unpaid });
        });
        app.MapPost("/_sandbox/kommo/duplicate-control", (HttpRequest request) =>
        {
            sandbox().SetDuplicateControl(subdomain, !string.Equals(request.Query["on"], "false", StringComparison.OrdinalIgnoreCase));
            return Results.Json(new { duplicate_control = account.DuplicateControl });
        });
        app.MapPost("/_sandbox/kommo/mutate", (HttpRequest request) =>
        {
            var plan = SandboxControl.Plan(request);
            sandbox().Mutate(subdomain, plan, SandboxControl.Int(request, "seed"));
            var restored = account.Leads().Where(l => l.Deal.IsDeleted).Take(SandboxControl.Int(request, "restore_leads")).Select(l => l.Id).ToList();
            foreach (var lead in restored) sandbox().RestoreLead(subdomain, lead);
            return Results.Json(new { changed = plan.Total + restored.Count });
        });
        app.MapPost("/_sandbox/kommo/faults", (HttpRequest request) =>
        {
            SandboxControl.SetFaults(sandbox().Faults, request);
            if (SandboxControl.Int(request, "lose_answers") > 0) sandbox().Faults.LoseWriteAnswers(SandboxControl.Int(request, "lose_answers"));
            if (SandboxControl.Int(request, "server_errors") > 0) sandbox().Faults.AddServerErrors(SandboxControl.Int(request, "server_errors"));
            return Results.Json(new { ok = true });
        });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync();
    }
}
