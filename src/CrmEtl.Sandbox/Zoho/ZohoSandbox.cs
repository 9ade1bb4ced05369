using CrmEtl.Sandbox.Pipedrive;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Zoho;

/// <summary>
/// Loopback HTTP servers that behave like Zoho CRM: for each data centre an accounts server (OAuth
/// token endpoint) and an API domain, each on its own port, so that a token of one data centre is
/// refused by another as Zoho refuses it. Orgs are generated from a seed, can be changed between
/// syncs, and the servers take the same fault switches as the Pipedrive sandbox.
/// </summary>
public sealed class ZohoSandbox : IAsyncDisposable
{
    private readonly List<SandboxServer> _servers;
    private readonly ZohoEndpoints _endpoints;
    private readonly Dictionary<string, (string Accounts, string Api)> _dataCentres;

    private ZohoSandbox(List<SandboxServer> servers, ZohoEndpoints endpoints, Dictionary<string, (string, string)> dataCentres, IReadOnlyList<ZohoOrg> orgs, Faults faults, TimeProvider clock)
    {
        _servers = servers;
        _endpoints = endpoints;
        _dataCentres = dataCentres;
        Orgs = orgs;
        Faults = faults;
        Clock = clock;
    }

    public IReadOnlyList<ZohoOrg> Orgs { get; }
    public Faults Faults { get; }
    public TimeProvider Clock { get; }
    public IReadOnlyCollection<string> DataCentres => _dataCentres.Keys;

    /// <summary>The accounts server of a data centre, e.g. http://127.0.0.1:5123 (stands for https://accounts.zoho.eu).</summary>
    public string AccountsUrl(string dataCentre) => Lookup(dataCentre).Accounts;

    /// <summary>The API domain of a data centre (stands for https://www.zohoapis.eu); token responses name it as api_domain.</summary>
    public string ApiDomain(string dataCentre) => Lookup(dataCentre).Api;

    private (string Accounts, string Api) Lookup(string dataCentre) =>
        _dataCentres.TryGetValue(dataCentre, out var urls) ? urls
            : throw new ArgumentException($"The sandbox serves no data centre '{dataCentre}'. It serves: {string.Join(", ", _dataCentres.Keys)}.", nameof(dataCentre));

    public ZohoOrg Org(string name) =>
        Orgs.FirstOrDefault(o => string.Equals(o.Options.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"The sandbox has no org '{name}'. It has: {string.Join(", ", Orgs.Select(o => o.Options.Name))}.", nameof(name));

    /// <summary>API calls served to an org, per operation such as "GET /crm/v8/{module}".</summary>
    public IReadOnlyDictionary<string, int> CallsTo(string org) =>
        _endpoints.Calls.Where(kv => kv.Key.Org == org).ToDictionary(kv => kv.Key.Operation, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Writes served to an org (done, or refused as invalid), per operation such as "PUT /crm/v8/Deals/{id}".</summary>
    public IReadOnlyDictionary<string, int> WritesTo(string org) =>
        CallsTo(org).Where(c => !c.Key.StartsWith("GET ", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);

    public void ResetCallCounts() => _endpoints.Calls.Clear();

    /// <summary>Changes an org's data now, as its users would between two syncs.</summary>
    public void Mutate(string org, MutationPlan plan, int seed)
    {
        var target = Org(org);
        PipedriveMutator.Apply(target.Data, plan, seed, Clock.GetUtcNow().UtcDateTime);
        lock (target.Sync) target.Invalidate();
    }

    /// <summary>Adds a customer with the deals and activities a test needs, stamped now; Zoho shows at most two of its e-mails (Email, Secondary_Email).</summary>
    public AddedCustomer AddCustomer(string org, CustomerCase customer)
    {
        var target = Org(org);
        var added = CustomerCases.Add(target.Data, customer, Clock.GetUtcNow().UtcDateTime);
        lock (target.Sync) target.Invalidate();
        return added;
    }

    public static async Task<ZohoSandbox> StartAsync(ZohoSandboxOptions options, CancellationToken cancellationToken = default)
    {
        var now = PipedriveGenerator.Truncate((options.AsOf ?? options.Clock.GetUtcNow()).UtcDateTime);
        var orgs = options.Orgs.Select(o => new ZohoOrg(o, PipedriveGenerator.Generate(ToGeneratorOptions(o), now)) { Scopes = o.Scopes }).ToList();
        var faults = new Faults();
        var endpoints = new ZohoEndpoints(orgs, faults, options.Clock);
        var codes = orgs.Select(o => o.Options.DataCentre.ToLowerInvariant()).Concat(options.ExtraDataCentres.Select(c => c.ToLowerInvariant())).Distinct().ToList();
        foreach (var code in codes.Where(c => !ZohoDataCentres.Real.ContainsKey(c)))
            throw new ArgumentException($"Unknown Zoho data centre '{code}'. Known: {string.Join(", ", ZohoDataCentres.Real.Keys)}.", nameof(options));

        var servers = new List<SandboxServer>();
        var dataCentres = new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase);
        ZohoSandbox? sandbox = null;
        try
        {
            foreach (var code in codes)
            {
                var api = await SandboxServer.StartAsync(0, app =>
                {
                    MapControl(app, () => sandbox!);
                    endpoints.MapApi(app, code);
                }, cancellationToken);
                servers.Add(api);
                var accounts = await SandboxServer.StartAsync(0, app => endpoints.MapAccounts(app, code, () => api.BaseUrl), cancellationToken);
                servers.Add(accounts);
                dataCentres[code] = (accounts.BaseUrl, api.BaseUrl);
            }
        }
        catch
        {
            foreach (var server in servers) await server.DisposeAsync();
            throw;
        }
        sandbox = new ZohoSandbox(servers, endpoints, dataCentres, orgs, faults, options.Clock);
        return sandbox;
    }

    private static PipedriveCompanyOptions ToGeneratorOptions(ZohoOrgOptions o) => new()
    {
        Name = o.Name, Seed = o.Seed, Deals = o.Deals, Activities = o.Activities, Leads = o.Leads, Users = o.Users,
        Pipelines = o.Pipelines, HistoryDays = o.HistoryDays, DefaultCurrency = o.BaseCurrency,
    };

    /// <summary>
    /// Control endpoints under /_sandbox on every API domain (loopback only, no auth): change data,
    /// spend or restore credits, revoke the refresh token, expire access tokens, inject faults.
    /// </summary>
    private static void MapControl(IEndpointRouteBuilder app, Func<ZohoSandbox> sandbox)
    {
        app.MapGet("/_sandbox/orgs", () => Results.Json(sandbox().Orgs.Select(o => new
        {
            name = o.Options.Name, data_centre = o.Options.DataCentre, accounts_url = sandbox().AccountsUrl(o.Options.DataCentre),
            client_id = o.Options.ClientId, deals = o.Data.Deals.Count(d => !d.IsDeleted), activities = o.Data.Activities.Count(a => !a.IsDeleted),
            leads = o.Data.Leads.Count(l => !l.IsDeleted), credits_used = o.CreditsUsed, daily_credits = o.DailyCredits, tokens_minted = o.TokensMinted,
        })));
        app.MapGet("/_sandbox/{org}/writes", (string org) => Results.Json(sandbox().WritesTo(sandbox().Org(org).Options.Name)));
        app.MapPost("/_sandbox/{org}/mutate", (string org, HttpRequest request) =>
        {
            var plan = SandboxControl.Plan(request);
            sandbox().Mutate(org, plan, SandboxControl.Int(request, "seed"));
            return Results.Json(new { changed = plan.Total });
        });
        app.MapPost("/_sandbox/{org}/customers", async (string org, HttpRequest request) =>
        {
            var target = sandbox().Org(org);
            var added = sandbox().AddCustomer(org, await SandboxControl.BodyAsync<CustomerCase>(request));
            return Results.Json(new { contact_id = target.ContactId(added.Person).ToString(System.Globalization.CultureInfo.InvariantCulture),
                deal_ids = added.Deals.Select(d => target.DealId(d).ToString(System.Globalization.CultureInfo.InvariantCulture)) });
        });
        app.MapPost("/_sandbox/{org}/credits", (string org, HttpRequest request) =>
        {
            var target = sandbox().Org(org);
            if (request.Query.ContainsKey("exhaust")) target.ExhaustCredits(sandbox().Clock.GetUtcNow().UtcDateTime);
            if (request.Query.ContainsKey("reset")) target.ResetCredits();
            if (long.TryParse(request.Query["daily"], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var daily)) target.DailyCredits = daily;
            return Results.Json(new { used = target.CreditsUsed, daily = target.DailyCredits });
        });
        app.MapPost("/_sandbox/{org}/revoke", (string org) => { sandbox().Org(org).RevokeRefreshToken(); return Results.Json(new { revoked = true }); });
        app.MapPost("/_sandbox/{org}/expire-tokens", (string org) => { sandbox().Org(org).ExpireAccessTokens(); return Results.Json(new { expired = true }); });
        app.MapPost("/_sandbox/faults", (HttpRequest request) =>
        {
            SandboxControl.SetFaults(sandbox().Faults, request);
            return Results.Json(new { ok = true });
        });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync();
    }
}
