using System.CommandLine;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Sandbox.Zoho;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog.Events;
using CrmEtl.Core.Configuration;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using Spectre.Console;

namespace CrmEtl.Host.Cli;

/// <summary>
/// crmetl demo: a group company with two Pipedrive accounts (Acme Finland, Acme Sweden), a Zoho CRM org
/// (Acme Germany) and a Kommo account (Acme Ukraine, in UAH) served by the sandboxes, fully synced into a
/// local PostgreSQL and mapped into one funnel, then a summary of what landed.
/// </summary>
internal static class DemoCommand
{
    public static Command Build()
    {
        var deals = new Option<int>("--deals") { Description = "Deals per account.", DefaultValueFactory = _ => 2_000 };
        var exit = new Option<bool>("--exit") { Description = "Stop right after the summary (default when not on a terminal)." };
        var command = new Command("demo", "Run the whole pipeline on the embedded default: sandbox CRMs and a local PostgreSQL.") { deals, exit };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(deals), parse.GetValue(exit) || Console.IsInputRedirected, ct));
        return command;
    }

    private static async Task<int> RunAsync(int deals, bool exitRightAway, CancellationToken ct)
    {
        var options = new PipedriveSandboxOptions
        {
            Companies =
            [
                new PipedriveCompanyOptions { Name = "acme-fi", ApiToken = "sandbox-acme-fi-token", Seed = 11, Deals = deals, Activities = deals * 3, Leads = deals / 5, DefaultCurrency = "EUR" },
                new PipedriveCompanyOptions { Name = "acme-se", ApiToken = "sandbox-acme-se-token", Seed = 22, Deals = deals * 3 / 4, Activities = deals * 2, Leads = deals / 6, DefaultCurrency = "SEK", Pipelines = 2 },
            ],
        };
        var zoho = new ZohoSandboxOptions
        {
            Orgs = [new ZohoOrgOptions { Name = "acme-de", DataCentre = "eu", Seed = 33, Deals = deals / 2, Activities = deals * 3 / 2, Leads = deals / 8, BaseCurrency = "EUR" }],
        };
        var kommo = new KommoSandboxOptions
        {
            Accounts = [new KommoAccountOptions { Subdomain = "acme-ua", Name = "Acme Ukraine", Seed = 44, Deals = deals / 2, Activities = deals * 3 / 2, TimeZone = "Europe/Kyiv", Currency = "UAH", Country = "UA" }],
        };
        Console.WriteLine("Starting a local PostgreSQL and the Pipedrive, Zoho CRM and Kommo sandboxes...");
        await using var stack = await LocalStack.StartAsync(options, LogEventLevel.Warning, ct, zoho, kommo);
        await stack.AddInstanceAsync("Acme Finland", stack.Sandbox.Company("acme-fi"), "Europe/Helsinki", "EUR", "Acme Group", ct);
        await stack.AddInstanceAsync("Acme Sweden", stack.Sandbox.Company("acme-se"), "Europe/Stockholm", "SEK", "Acme Group", ct);
        await stack.AddZohoInstanceAsync("Acme Germany", stack.Zoho!.Org("acme-de"), "Europe/Berlin", "EUR", "Acme Group", ct);
        await stack.AddKommoInstanceAsync("Acme Ukraine", stack.Kommo!.Account("acme-ua"), "Europe/Kyiv", "UAH", "Acme Group", ct);

        // Rates first: every build, including the one after each sync, converts with them.
        await stack.Host.Services.GetRequiredService<ConfigurationStore>().SaveRatesAsync(DemoConfiguration.Company, DemoConfiguration.Rates(stack.Today), ct);
        var coordinator = stack.Host.Services.GetRequiredService<SyncRunCoordinator>();
        var outcomes = new List<(string, SyncOutcome)>();
        foreach (var name in new[] { "Acme Finland", "Acme Sweden", "Acme Germany", "Acme Ukraine" })
        {
            var stats = new RunStats();
            var run = coordinator.RunAsync(name, SyncMode.Full, ct, stats);
            var outcome = SyncProgress.IsSupported ? await SyncProgress.ShowAsync(name, stats, run) : await run;
            CrmEtlCli.PrintOutcome(name, outcome);
            outcomes.Add((name, outcome));
        }

        await ConfigureAsync(stack, ct);
        await PrintSummaryAsync(stack.Database.ConnectionString, ct);
        await PrintMetricsAsync(stack.Database.ConnectionString, ct);
        Console.WriteLine();
        Console.WriteLine($"Query it: psql \"{ToUri(stack.Database.ConnectionString)}\"");
        Console.WriteLine("  e.g. SELECT * FROM analytics.win_rate_group WHERE grain = 'quarter' ORDER BY period_start;");
        Console.WriteLine("       SELECT * FROM analytics.target_attainment ORDER BY period_start DESC LIMIT 20;");
        Console.WriteLine("  The views and canonical queries are described in docs/BI.md.");
        if (!exitRightAway) await RunWorkerAsync(stack, ct);
        return outcomes.All(o => o.Item2.Status == RunStatus.Succeeded) ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>
    /// Keeps everything up as a worker would run in production: the instances' nightly schedules, the web console
    /// (with a user made up for this demo) and the HTTP API (with a key made up for this demo), until Ctrl+C.
    /// </summary>
    private static async Task RunWorkerAsync(LocalStack stack, CancellationToken ct)
    {
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        await using var worker = Hosting.WorkerHost.Build(stack.Database.ConnectionString, [new("Api:Key", key)], "http://127.0.0.1:0", LogEventLevel.Information);
        await worker.StartAsync(ct);
        var api = worker.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        var accounts = worker.Services.GetRequiredService<Web.ConsoleAccounts>();
        var (admin, password) = await accounts.AddAsync("admin@acme.example", DemoConfiguration.Company, Storage.Users.ConsoleRoles.Admin, null, ct);
        Console.WriteLine();
        Console.WriteLine($"The web console: {api}/  sign in as {admin.Email} with the password {password} (made up for this demo; admin of {admin.Company}).");
        var (_, widgetKey) = await worker.Services.GetRequiredService<Storage.Customers.WidgetKeyStore>().CreateAsync(DemoConfiguration.Company, "Demo helpdesk", [], [], "demo", ct);
        var customer = Uri.EscapeDataString(await BusiestCustomerAsync(stack.Database.ConnectionString, ct));
        Console.WriteLine($"The helpdesk widget, a customer's CRM card as an agent sees it beside a ticket: {api}/widget/customer?key={widgetKey}&email={customer}");
        Console.WriteLine($"  (widget keys: the console's Helpdesk widget page, or 'crmetl widget-keys add'; the card as JSON: curl -H 'X-Widget-Key: {widgetKey}' '{api}/api/customers/card?email={customer}')");
        var form = await worker.Services.GetRequiredService<Forms.FormModules>().SaveAsync("Contact form", "Acme Ukraine", new Core.Forms.FormSettings
        {
            DefaultRegion = "UA", Deal = new Core.Forms.FormDealSettings { Budget = "{{budget}}", Task = new Core.Forms.FormTaskSettings("Call {{name}} back", DueInHours: 4) },
        }, ct);
        Console.WriteLine("A web form into Acme Ukraine's Kommo (a contact found by e-mail or phone or made, a lead, a task; see docs/FORMS.md):");
        Console.WriteLine($"  curl -X POST -H 'Content-Type: application/json' -d '{{\"name\": \"Olena Koval\", \"email\": \"olena@koval.example\", \"phone\": \"050 123 4567\", \"budget\": \"15000\"}}' {api}/forms/{form.Key}/submissions");
        Console.WriteLine("  then the console's Web forms page, or 'crmetl submissions', shows what it made in Kommo.");
        await using var trello = await TrelloDemoAsync(worker.Services, api, ct);
        Console.WriteLine($"A worker now runs the nightly schedules (02:00 in each instance's time zone) and the HTTP API on {api} (reference: {api}/api/docs):");
        Console.WriteLine($"  curl -H 'X-Api-Key: {key}' {api}/api/instances");
        Console.WriteLine($"  curl -X POST '{stack.Sandbox.BaseUrl}/_sandbox/acme-fi/mutate?mixed=20'      # change some records in the sandbox");
        Console.WriteLine($"  curl -X POST -H 'X-Api-Key: {key}' {api}/api/instances/1/refresh          # sync Acme Finland now; answers with a run id");
        Console.WriteLine($"  curl -H 'X-Api-Key: {key}' {api}/api/runs/3                                # that run's progress and outcome");
        Console.WriteLine($"  curl -s -H 'X-Api-Key: {key}' {api}/metrics | grep '^crmetl_'              # the worker's runs, rows, calls and tokens (Prometheus)");
        Console.WriteLine($"  curl {api}/readyz                                                          # health: database, scheduler, last runs");
        Console.WriteLine("The database, the sandbox and the worker stay up until you press Ctrl+C.");
        try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
        await worker.StopAsync(CancellationToken.None);
    }

    /// <summary>
    /// The Trello sandbox connected for the group, a rule on each of its boards for Acme Finland's deals, and Pipedrive's
    /// webhooks on: a change in the sandbox syncs within seconds, and its cards follow.
    /// </summary>
    private static async Task<Sandbox.Trello.TrelloSandbox> TrelloDemoAsync(IServiceProvider services, string api, CancellationToken ct)
    {
        var trello = await Sandbox.Trello.TrelloSandbox.StartAsync(new Sandbox.Trello.TrelloSandboxOptions(), ct);
        var account = trello.Accounts[0].Options;
        await services.GetRequiredService<Trello.TrelloConnections>().ConnectAsync(DemoConfiguration.Company, trello.BaseUrl + "/1", account.Key, account.Token, "demo", ct);
        var rules = services.GetRequiredService<Trello.TrelloRules>();
        var finland = await services.GetRequiredService<Storage.Instances.InstanceRepository>().FindAsync("Acme Finland", ct);
        var stage = (await services.GetRequiredService<Storage.Trello.TrelloRuleStore>().StagesAsync(finland!.Id, ct)).Skip(2).First();
        await rules.SetAsync(new Trello.TrelloRuleInput("Acme Finland", "Design", "Briefs", "added", null, null, null), "demo", null, ct);
        await rules.SetAsync(new Trello.TrelloRuleInput("Acme Finland", "Accounting", "Invoices to send", "won_or_lost", "won", null, null), "demo", null, ct);
        await rules.SetAsync(new Trello.TrelloRuleInput("Acme Finland", "Site inspections", "Offer needed", "moved_to", null, stage.PipelineId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            stage.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), "demo", null, ct);
        await services.GetRequiredService<Webhooks.WebhookSubscriptions>().EnableAsync("Acme Finland", api, "demo", ct);
        Console.WriteLine($"Trello (a sandbox at {trello.BaseUrl}): Acme Finland's new deals, won deals and deals arriving at {stage.Pipeline} / {stage.Name} make cards on three boards;");
        Console.WriteLine("  Pipedrive's webhooks tell the worker of each change, which syncs within about 10 s and makes the cards. After the mutate below:");
        Console.WriteLine($"  the console's Trello page, or: curl -H 'Authorization: OAuth oauth_consumer_key=\"{account.Key}\", oauth_token=\"{account.Token}\"' {trello.BaseUrl}/1/members/me/boards");
        return trello;
    }

    /// <summary>The group's mapping, KPIs, targets and rates, as an admin would set them up; then the numbers.</summary>
    private static async Task ConfigureAsync(LocalStack stack, CancellationToken ct)
    {
        var store = stack.Host.Services.GetRequiredService<ConfigurationStore>();
        var catalog = await store.LoadCatalogAsync(DemoConfiguration.Company, ct);
        var today = stack.Today;
        var config = DemoConfiguration.For(catalog, today);
        var problems = ConfigurationValidator.Validate(config, catalog).Concat(ConfigurationValidator.ValidateRates(DemoConfiguration.Rates(today))).ToList();
        if (problems.Count > 0) throw new InvalidOperationException("The demo configuration is invalid: " + string.Join("; ", problems));
        await store.SaveAsync(config, ct);
        foreach (var built in await stack.Host.Services.GetRequiredService<AnalyticsBuilder>().BuildCompanyAsync(DemoConfiguration.Company, ct))
            Console.WriteLine($"{built.Instance}: analytics built: {built.Deals} deals, {built.Passes} funnel passes, {built.Activities} activities, {built.Leads} leads in {built.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The e-mail of the synced customer with the most deals, to open the widget on.</summary>
    private static async Task<string> BusiestCustomerAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition("""
            SELECT e.email FROM crm.contact_email e
            JOIN crm.deal d ON d.instance_id = e.instance_id AND d.person_id = e.contact_id AND NOT d.is_deleted
            GROUP BY e.email ORDER BY count(*) DESC, e.email LIMIT 1
            """, cancellationToken: ct)) ?? "someone@example.com";
    }

    private static async Task PrintMetricsAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var rows = await connection.QueryAsync<(DateOnly Quarter, long Won, long Refused, decimal? WinRate, decimal WonValue)>(new CommandDefinition("""
            SELECT period_start, won, refused, win_rate, won_value_group FROM analytics.win_rate_group
            WHERE grain = 'quarter' ORDER BY period_start DESC LIMIT 4
            """, cancellationToken: ct));
        var table = new Table().AddColumns("Quarter", "Won", "Lost", "Win rate", "Won value (EUR)");
        foreach (var r in rows)
            table.AddRow($"{r.Quarter:yyyy-MM}", $"{r.Won}", $"{r.Refused}", r.WinRate is { } w ? $"{w:P1}" : "-", $"{r.WonValue:N0}");
        AnsiConsole.Write(new Rule("Acme Group, all instances (analytics.win_rate_group)"));
        AnsiConsole.Write(table);
    }

    private static async Task PrintSummaryAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var rows = await connection.QueryAsync<SummaryRow>(new CommandDefinition("""
            SELECT i.name AS Instance,
                   (SELECT count(*) FROM crm.deal d WHERE d.instance_id = i.id AND d.status = 'open' AND NOT d.is_deleted) AS Open,
                   (SELECT count(*) FROM crm.deal d WHERE d.instance_id = i.id AND d.status = 'won' AND NOT d.is_deleted) AS Won,
                   (SELECT count(*) FROM crm.deal d WHERE d.instance_id = i.id AND d.status = 'lost' AND NOT d.is_deleted) AS Lost,
                   (SELECT count(*) FROM crm.deal d WHERE d.instance_id = i.id AND d.is_archived) AS Archived,
                   (SELECT count(*) FROM crm.deal d WHERE d.instance_id = i.id AND d.is_deleted) AS Deleted,
                   (SELECT count(*) FROM crm.deal_stage_history h WHERE h.instance_id = i.id) AS StageArrivals,
                   (SELECT count(*) FROM crm.activity a WHERE a.instance_id = i.id AND NOT a.is_deleted) AS Activities,
                   (SELECT count(*) FROM crm.lead l WHERE l.instance_id = i.id AND NOT l.is_deleted) AS Leads,
                   (SELECT count(*) FROM crm.stage s WHERE s.instance_id = i.id) AS Stages
            FROM etl.instance i ORDER BY i.id
            """, cancellationToken: ct));
        var table = new Table().AddColumns("Instance", "Open", "Won", "Lost", "Archived", "Deleted", "Stage arrivals", "Activities", "Leads", "Stages");
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Instance), $"{r.Open}", $"{r.Won}", $"{r.Lost}", $"{r.Archived}", $"{r.Deleted}", $"{r.StageArrivals}", $"{r.Activities}", $"{r.Leads}", $"{r.Stages}");
        AnsiConsole.Write(table);
    }

    private static string ToUri(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
    }

    private sealed record SummaryRow(string Instance, long Open, long Won, long Lost, long Archived, long Deleted, long StageArrivals, long Activities, long Leads, long Stages);
}
