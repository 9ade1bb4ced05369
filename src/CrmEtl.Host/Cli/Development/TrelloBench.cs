using System.CommandLine;
using System.Diagnostics;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Trello;
using CrmEtl.Sandbox.Trello;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Trello;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.Host.Cli;

/// <summary>
/// crmetl bench trello: how close the card delivery comes to Trello's per-token limit without running into it. Deals and
/// one event each are made in SQL; the Trello sandbox answers after --latency with the limits given; one delivery pass
/// makes every card. Prints cards per second against the limit, the 429s, and checks each card was made once.
/// </summary>
internal static class TrelloBench
{
    public static Command Build()
    {
        var events = new Option<int>("--events") { Description = "Events to deliver (one card each).", DefaultValueFactory = _ => 10_000 };
        var tokenLimit = new Option<int>("--token-limit") { Description = "Requests per 10 s per token, in the sandbox and the worker's pace (Trello: 100).", DefaultValueFactory = _ => 1_000 };
        var latency = new Option<int>("--latency") { Description = "Milliseconds the sandbox takes to answer (Trello: about 100 to 300).", DefaultValueFactory = _ => 150 };
        var command = new Command("trello", "Measure Trello card delivery against the per-token limit (see docs/BENCHMARKS.md).") { events, tokenLimit, latency };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(events), parse.GetValue(tokenLimit), parse.GetValue(latency), ct));
        return command;
    }

    private static async Task<int> RunAsync(int events, int tokenLimit, int latencyMs, CancellationToken ct)
    {
        await using var database = await ScratchDatabase.CreateAsync("crmetl", ct);
        await using var trello = await TrelloSandbox.StartAsync(new TrelloSandboxOptions { TokenLimit = tokenLimit, KeyLimit = tokenLimit * 3 }, ct);
        trello.Faults.Latency = TimeSpan.FromMilliseconds(latencyMs);
        var settings = new Dictionary<string, string?>
        {
            ["Trello:TokenLimit"] = tokenLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Trello:KeyLimit"] = (tokenLimit * 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Trello:BatchSize"] = "200",
            ["Trello:Concurrency"] = Concurrency(tokenLimit, latencyMs).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        using var host = CrmEtlHost.Build(database.ConnectionString, settings, LogEventLevel.Warning);
        await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
        var instance = await host.Services.GetRequiredService<InstanceRepository>().AddAsync(
            new NewInstance("Acme", InstanceKinds.Pipedrive, "http://127.0.0.1:9/", new InstanceCredentials("unused", null), "Europe/Stockholm", "SEK", "Acme Group"), ct);
        var account = trello.Accounts[0].Options;
        await host.Services.GetRequiredService<TrelloConnections>().ConnectAsync("Acme Group", trello.BaseUrl + "/1", account.Key, account.Token, "bench", ct);
        var rule = (await host.Services.GetRequiredService<TrelloRules>().SetAsync(new TrelloRuleInput("Acme", "Design", "Briefs", "added", null, null, null), "bench", null, ct)).Rule;
        await FillAsync(database.ConnectionString, instance.Id, rule.Id, events, ct);
        Console.WriteLine($"{events:N0} events of new deals; the sandbox answers in {latencyMs} ms and allows {tokenLimit} requests per 10 s per token; " +
            $"Trello:Concurrency {Concurrency(tokenLimit, latencyMs)}.");

        var deliveries = host.Services.GetRequiredService<TrelloDeliveries>();
        var started = Stopwatch.StartNew();
        var pass = await deliveries.DeliverDueAsync(ct);
        var elapsed = started.Elapsed;
        var cards = trello.Cards(account.Member);
        var calls = trello.CallsTo(account.Member).GetValueOrDefault("POST /1/cards");
        var perSecond = pass.Delivered / elapsed.TotalSeconds;
        var limit = tokenLimit / 10.0;
        Console.WriteLine($"Delivered {pass.Delivered:N0} cards in {elapsed.TotalSeconds:0.0} s: {perSecond:0.0} cards/s, {perSecond / limit:P1} of the per-token limit ({limit:0.#}/s).");
        Console.WriteLine($"POST /1/cards calls: {calls:N0}; 429s from Trello: {trello.RateLimited}; put off {pass.PutOff}, failed {pass.Failed}.");
        var distinct = cards.Select(c => c.Desc[c.Desc.LastIndexOf("CrmEtl event ", StringComparison.Ordinal)..]).Distinct().Count();
        if (cards.Count != events || distinct != events || trello.RateLimited > 0)
        {
            Console.Error.WriteLine($"Expected {events} cards, one per event, and no 429: got {cards.Count} cards for {distinct} events and {trello.RateLimited} 429s.");
            return ExitCodes.Failed;
        }
        return ExitCodes.Ok;
    }

    /// <summary>Calls in flight to keep the limit's pace at that answer time, twice over (the default 4 covers Trello's 100 per 10 s up to 400 ms).</summary>
    private static int Concurrency(int tokenLimit, int latencyMs) => Math.Clamp((int)Math.Ceiling(tokenLimit / 10.0 * latencyMs / 1000.0 * 2), 4, 32);

    private static async Task FillAsync(string connectionString, int instanceId, int ruleId, int events, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.instance SET web_url = 'https://acme.pipedrive.com' WHERE id = @i;
            INSERT INTO crm.pipeline (instance_id, id, name, order_nr) VALUES (@i, 1, 'Sales', 1);
            INSERT INTO crm.stage (instance_id, id, pipeline_id, name, order_nr) VALUES (@i, 1, 1, 'Offer needed', 1);
            INSERT INTO crm.crm_user (instance_id, id, name, email, active) VALUES (@i, 1, 'Stina Berg', 'stina@acme.example', true);
            INSERT INTO crm.contact (instance_id, id, name, emails, phones)
            SELECT @i, n, 'Customer ' || n, jsonb_build_array(jsonb_build_object('value', 'c' || n || '@bench.example', 'label', 'work', 'primary', true)),
                   jsonb_build_array(jsonb_build_object('value', '+46 70 ' || lpad(n::text, 7, '0'), 'label', 'mobile', 'primary', true))
            FROM generate_series(1, @events) n;
            INSERT INTO crm.deal (instance_id, id, title, value, currency, status, pipeline_id, stage_id, owner_id, person_id, add_time, update_time, expected_close_date)
            SELECT @i, d, 'Site visit ' || d, 100 + d % 9900, 'SEK', 'open', 1, 1, 1, d, now(), now(), current_date + 30 FROM generate_series(1, @events) d;
            INSERT INTO etl.trello_event (event_key, rule_id, instance_id, deal_id, kind, happened_at, found_at, next_attempt_at)
            SELECT 'r' || @rule || '-d' || d.id || '-added-bench', @rule, @i, d.id, 'added', d.add_time, now(), now() - interval '1 second'
            FROM crm.deal d WHERE d.instance_id = @i;
            """, new { i = instanceId, rule = ruleId, events }, commandTimeout: 600, cancellationToken: ct));
    }
}
