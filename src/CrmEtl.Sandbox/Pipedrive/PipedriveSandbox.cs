using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>
/// A loopback HTTP server that behaves like Pipedrive for one or more accounts (told apart by
/// their API tokens), with generated data, a way to change it between syncs, and fault switches.
/// </summary>
public sealed class PipedriveSandbox : IAsyncDisposable
{
    private readonly SandboxServer _server;
    private readonly PipedriveEndpoints _endpoints;

    private readonly PipedriveWebhookSender _webhooks;

    private PipedriveSandbox(SandboxServer server, PipedriveEndpoints endpoints, IReadOnlyList<PipedriveCompany> companies, Faults faults, TimeProvider clock, PipedriveWebhookSender webhooks)
    {
        _webhooks = webhooks;
        _server = server;
        _endpoints = endpoints;
        Companies = companies;
        Faults = faults;
        Clock = clock;
    }

    /// <summary>Base URL to give a connector, e.g. http://127.0.0.1:5123 (the API lives under /api/v1 and /api/v2).</summary>
    public string BaseUrl => _server.BaseUrl;
    public IReadOnlyList<PipedriveCompany> Companies { get; }
    public Faults Faults { get; }
    public TimeProvider Clock { get; }

    public PipedriveCompany Company(string name) =>
        Companies.FirstOrDefault(c => string.Equals(c.Options.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"The sandbox has no company '{name}'. It has: {string.Join(", ", Companies.Select(c => c.Options.Name))}.", nameof(name));

    /// <summary>Calls served to a company, per operation such as "v2 GET /deals".</summary>
    public IReadOnlyDictionary<string, int> CallsTo(string company) =>
        _endpoints.Calls.Where(kv => kv.Key.Company == company).ToDictionary(kv => kv.Key.Operation, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Writes served to a company (done, or refused as invalid), per operation such as "v2 PATCH /deals/{id}".</summary>
    public IReadOnlyDictionary<string, int> WritesTo(string company) =>
        CallsTo(company).Where(c => !c.Key.Contains(" GET ", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);

    public void ResetCallCounts() => _endpoints.Calls.Clear();

    /// <summary>A company's webhook subscriptions (active and removed).</summary>
    public IReadOnlyList<SbWebhook> Webhooks(string company)
    {
        var target = Company(company);
        lock (target.Sync) return target.Webhooks.ToList();
    }

    /// <summary>Changes a company's data now, as its users would between two syncs.</summary>
    public void Mutate(string company, MutationPlan plan, int seed) =>
        PipedriveMutator.Apply(Company(company), plan, seed, Clock.GetUtcNow().UtcDateTime);

    /// <summary>Adds a customer with the deals and activities a test needs, stamped now.</summary>
    public AddedCustomer AddCustomer(string company, CustomerCase customer) => CustomerCases.Add(Company(company), customer, Clock.GetUtcNow().UtcDateTime);

    /// <summary>Wins, loses or reopens one deal now, as its owner would in Pipedrive.</summary>
    public void SetDealStatus(string company, long dealId, string status)
    {
        var target = Company(company);
        lock (target.Sync)
        {
            var deal = target.FindDeal(dealId) ?? throw new ArgumentException($"No deal {dealId} in {company}.", nameof(dealId));
            var now = PipedriveGenerator.Truncate(Clock.GetUtcNow().UtcDateTime);
            switch (status)
            {
                case "won": PipedriveGenerator.Win(deal, deal.OwnerId, now); break;
                case "lost": PipedriveGenerator.Lose(deal, deal.OwnerId, now, "No budget"); break;
                case "open": PipedriveGenerator.Reopen(deal, deal.OwnerId, now); break;
                default: throw new ArgumentException($"A deal's status is open, won or lost, not '{status}'.", nameof(status));
            }
            target.Invalidate();
        }
    }

    /// <summary>Moves one deal to another stage now (or at <paramref name="at"/>), as a user dragging it on the pipeline board would.</summary>
    public void MoveDeal(string company, long dealId, long stageId, DateTimeOffset? at = null)
    {
        var target = Company(company);
        lock (target.Sync)
        {
            var deal = target.FindDeal(dealId) ?? throw new ArgumentException($"No deal {dealId} in {company}.", nameof(dealId));
            PipedriveGenerator.Move(deal, stageId, deal.OwnerId, PipedriveGenerator.Truncate((at ?? Clock.GetUtcNow()).UtcDateTime));
            target.Invalidate();
        }
    }

    public static async Task<PipedriveSandbox> StartAsync(PipedriveSandboxOptions options, CancellationToken cancellationToken = default)
    {
        var now = PipedriveGenerator.Truncate((options.AsOf ?? options.Clock.GetUtcNow()).UtcDateTime);
        var companies = options.Companies.Select(c => PipedriveGenerator.Generate(c, now)).ToList();
        var faults = new Faults();
        var endpoints = new PipedriveEndpoints(companies, faults, options.Clock);
        PipedriveSandbox? sandbox = null;
        var server = await SandboxServer.StartAsync(options.Port, app =>
        {
            MapControl(app, () => sandbox!);
            endpoints.Map(app);
        }, cancellationToken);
        sandbox = new PipedriveSandbox(server, endpoints, companies, faults, options.Clock,
            new PipedriveWebhookSender(companies, options.Clock, options.WebhookRetries, options.WebhookScanEvery));
        return sandbox;
    }

    /// <summary>
    /// Control endpoints under /_sandbox (loopback only, no auth) so a person or a script can change
    /// the data or inject faults while the sandbox runs as its own process.
    /// </summary>
    private static void MapControl(IEndpointRouteBuilder app, Func<PipedriveSandbox> sandbox)
    {
        app.MapGet("/_sandbox/companies", () => Results.Json(sandbox().Companies.Select(c => new
        {
            name = c.Options.Name, api_token = c.ApiToken, deals = c.Deals.Count, activities = c.Activities.Count(a => !a.IsDeleted),
            leads = c.Leads.Count(l => !l.IsDeleted), tokens_spent_today = c.Budget.Spent, daily_token_budget = c.Budget.DailyBudget,
        })));
        app.MapGet("/_sandbox/{company}/writes", (string company) => Results.Json(sandbox().WritesTo(sandbox().Company(company).Options.Name)));
        app.MapPost("/_sandbox/{company}/mutate", (string company, HttpRequest request) =>
        {
            var plan = SandboxControl.Plan(request);
            sandbox().Mutate(company, plan, SandboxControl.Int(request, "seed"));
            return Results.Json(new { changed = plan.Total });
        });
        app.MapPost("/_sandbox/{company}/customers", async (string company, HttpRequest request) =>
        {
            var added = sandbox().AddCustomer(company, await SandboxControl.BodyAsync<CustomerCase>(request));
            return Results.Json(new { person_id = added.Person.Id, deal_ids = added.Deals.Select(d => d.Id), activity_ids = added.Activities.Select(a => a.Id) });
        });
        app.MapPost("/_sandbox/{company}/budget", (string company, HttpRequest request) =>
        {
            var target = sandbox().Company(company);
            if (request.Query.ContainsKey("exhaust")) target.Budget.Exhaust();
            if (request.Query.ContainsKey("reset")) target.Budget.ResetDay();
            if (long.TryParse(request.Query["daily"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var daily)) target.Budget.DailyBudget = daily;
            return Results.Json(new { spent = target.Budget.Spent, daily = target.Budget.DailyBudget });
        });
        app.MapPost("/_sandbox/faults", (HttpRequest request) =>
        {
            SandboxControl.SetFaults(sandbox().Faults, request);
            return Results.Json(new { ok = true });
        });
    }

    /// <summary>Every webhook delivery attempt so far, oldest first.</summary>
    public IReadOnlyList<WebhookAttempt> WebhookAttempts => _webhooks.Attempts.ToList();

    public async ValueTask DisposeAsync()
    {
        await _webhooks.DisposeAsync();
        await _server.DisposeAsync();
    }
}
