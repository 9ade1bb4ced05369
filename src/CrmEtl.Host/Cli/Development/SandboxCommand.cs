using System.CommandLine;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Zoho;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl sandbox: runs the Pipedrive sandbox (and, with --zoho-orgs, the Zoho CRM sandbox; with --kommo-accounts, Kommo's; with --trello, Trello's) on loopback until Ctrl+C.</summary>
internal static class SandboxCommand
{
    public static Command Build()
    {
        var deals = new Option<int>("--deals") { Description = "Deals per company.", DefaultValueFactory = _ => 1_000 };
        var activities = new Option<int?>("--activities") { Description = "Activities per company (default 3 per deal)." };
        var leads = new Option<int?>("--leads") { Description = "Leads per company (default 1 per 10 deals)." };
        var companies = new Option<string>("--companies") { Description = "Comma-separated company names (\"\" for none); each gets the token sandbox-NAME-token.", DefaultValueFactory = _ => "acme" };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated data.", DefaultValueFactory = _ => 1 };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 = any free port).", DefaultValueFactory = _ => 0 };
        var budget = new Option<long>("--daily-tokens") { Description = "Daily token budget per company.", DefaultValueFactory = _ => new PipedriveCompanyOptions().DailyTokenBudget };
        var burst = new Option<int>("--burst") { Description = "Requests per 2-second window per token.", DefaultValueFactory = _ => 120 };
        var credits = new Option<long>("--daily-credits") { Description = "Zoho: API credits per org per 24 hours.", DefaultValueFactory = _ => new ZohoOrgOptions().DailyCredits };
        var zohoOrgs = new Option<string?>("--zoho-orgs") { Description = "Comma-separated Zoho org names (EU data centre) to serve as well; each gets client id 1000.NAME, secret sandbox-NAME-secret, refresh token 1000.sandbox-NAME-refresh." };
        var kommoAccounts = new Option<string?>("--kommo-accounts")
        {
            Description = "Comma-separated Kommo account subdomains to serve as well, each on a base URL of its own; each gets client id, secret and a refresh token (printed), and the redirect URI https://crmetl.example/oauth/kommo.",
        };
        var trello = new Option<bool>("--trello") { Description = "Also run the Trello sandbox (member acme-ops with the boards Site inspections, Accounting and Design)." };
        var command = new Command("sandbox", "Run the Pipedrive sandbox (and Zoho CRM's with --zoho-orgs, Kommo's with --kommo-accounts, Trello's with --trello) on loopback (Ctrl+C stops it).")
            { deals, activities, leads, companies, seed, port, budget, burst, credits, zohoOrgs, kommoAccounts, trello };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(deals);
            var names = parse.GetValue(companies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var options = new PipedriveSandboxOptions
            {
                Port = parse.GetValue(port),
                Companies = names.Select((name, i) => new PipedriveCompanyOptions
                {
                    Name = name, ApiToken = $"sandbox-{name}-token", Seed = parse.GetValue(seed) + i, Deals = n,
                    Activities = parse.GetValue(activities) ?? n * 3, Leads = parse.GetValue(leads) ?? n / 10,
                    DailyTokenBudget = parse.GetValue(budget), BurstLimit = parse.GetValue(burst),
                }).ToList(),
            };
            await using var sandbox = await PipedriveSandbox.StartAsync(options, ct);
            Console.WriteLine($"Pipedrive sandbox listening on {sandbox.BaseUrl}");
            foreach (var c in sandbox.Companies)
                Console.WriteLine($"  company {c.Options.Name}: token {c.ApiToken}, {c.Deals.Count} deals, {c.Activities.Count} activities, {c.Leads.Count} leads");
            if (names.Length > 0) Console.WriteLine($"Change data: curl -X POST '{sandbox.BaseUrl}/_sandbox/{names[0]}/mutate?mixed=10'");
            var orgs = parse.GetValue(zohoOrgs)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
            await using var zoho = orgs.Length == 0 ? null : await ZohoSandbox.StartAsync(new ZohoSandboxOptions
            {
                Orgs = orgs.Select((name, i) => new ZohoOrgOptions
                {
                    Name = name, DataCentre = "eu", ClientId = $"1000.{name}", ClientSecret = $"sandbox-{name}-secret", RefreshToken = $"1000.sandbox-{name}-refresh",
                    Seed = parse.GetValue(seed) + 100 + i, Deals = n, Activities = parse.GetValue(activities) ?? n * 3, Leads = parse.GetValue(leads) ?? n / 10,
                    DailyCredits = parse.GetValue(credits),
                }).ToList(),
            }, ct);
            foreach (var org in zoho?.Orgs ?? [])
            {
                Console.WriteLine($"Zoho CRM sandbox org {org.Options.Name} (EU): accounts server {zoho!.AccountsUrl("eu")} (API domain {zoho.ApiDomain("eu")}),");
                Console.WriteLine($"  client id {org.Options.ClientId}, client secret {org.Options.ClientSecret}, refresh token {org.Options.RefreshToken}; {org.Data.Deals.Count} deals");
                Console.WriteLine($"  change data: curl -X POST '{zoho.ApiDomain("eu")}/_sandbox/{org.Options.Name}/mutate?mixed=10'");
            }
            var subdomains = parse.GetValue(kommoAccounts)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
            await using var kommo = subdomains.Length == 0 ? null : await Sandbox.Kommo.KommoSandbox.StartAsync(new Sandbox.Kommo.KommoSandboxOptions
            {
                Accounts = subdomains.Select((name, i) => new Sandbox.Kommo.KommoAccountOptions
                {
                    Subdomain = name, Name = name, ClientId = $"sandbox-{name}-client", ClientSecret = $"sandbox-{name}-secret", RefreshToken = $"sandbox-{name}-refresh",
                    Seed = parse.GetValue(seed) + 200 + i, Deals = n, Activities = parse.GetValue(activities) ?? n * 3,
                }).ToList(),
            }, ct);
            foreach (var account in kommo?.Accounts ?? [])
            {
                Console.WriteLine($"Kommo sandbox account {account.Options.Subdomain}: {account.BaseUrl} (standing for https://{account.Options.Subdomain}.kommo.com), {account.Data.Deals.Count} leads;");
                Console.WriteLine($"  client id {account.Options.ClientId}, client secret {account.Options.ClientSecret}, refresh token {account.Options.RefreshToken} (works once), redirect URI {account.Options.RedirectUri}");
                Console.WriteLine($"  change data: curl -X POST '{account.BaseUrl}/_sandbox/kommo/mutate?mixed=10'");
            }
            await using var trelloSandbox = parse.GetValue(trello) ? await Sandbox.Trello.TrelloSandbox.StartAsync(new Sandbox.Trello.TrelloSandboxOptions(), ct) : null;
            foreach (var account in trelloSandbox?.Accounts ?? [])
            {
                Console.WriteLine($"Trello sandbox: API {trelloSandbox!.BaseUrl}/1, member {account.Options.Member}, key {account.Options.Key}, token {account.Options.Token};");
                Console.WriteLine($"  boards {string.Join(", ", account.Boards.Select(b => $"{b.Name} ({string.Join(", ", b.Lists.Select(l => l.Name))})"))}");
                Console.WriteLine($"  connect it: crmetl trello connect --company G --key {account.Options.Key} --token-stdin --url {trelloSandbox.BaseUrl}/1");
            }
            Console.Out.Flush();
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
            return ExitCodes.Ok;
        });
        return command;
    }
}
