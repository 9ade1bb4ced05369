using System.CommandLine;
using System.Diagnostics;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Customers;
using CrmEtl.Host.Hosting;
using CrmEtl.Storage.Customers;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.Host.Cli;

/// <summary>
/// crmetl bench card: the customer card's latency from the replica, through the worker's HTTP API as a helpdesk calls it
/// (a widget key, one customer's e-mail per request). The replica is made in SQL at the asked size: contacts with one to
/// three e-mails (a third sharing a team address), two deals each in three currencies, planned and done activities.
/// </summary>
internal static class CardBench
{
    private const string Instance = "Acme Sweden";

    public static Command Build()
    {
        var deals = new Option<int>("--deals") { Description = "Deals in the replica.", DefaultValueFactory = _ => 1_000_000 };
        var contacts = new Option<int>("--contacts") { Description = "Contacts in the replica.", DefaultValueFactory = _ => 500_000 };
        var requests = new Option<int>("--requests") { Description = "Cards asked for per measurement.", DefaultValueFactory = _ => 5_000 };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients of the second measurement.", DefaultValueFactory = _ => 4 };
        var command = new Command("card", "Measure the customer card's latency from the replica over HTTP (see docs/BENCHMARKS.md).") { deals, contacts, requests, clients };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(deals), parse.GetValue(contacts), parse.GetValue(requests), parse.GetValue(clients), ct));
        return command;
    }

    private static async Task<int> RunAsync(int deals, int contacts, int requests, int clients, CancellationToken ct)
    {
        await using var database = await ScratchDatabase.CreateAsync("crmetl", ct);
        var app = WorkerHost.Build(database.ConnectionString, new Dictionary<string, string?> { ["Api:Key"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) }, "http://127.0.0.1:0", LogEventLevel.Warning);
        await using var _ = app;
        await WorkerHost.PrepareAsync(app.Services, ct);
        // Never asked: the card reads the replica, and the links come from the web address set below.
        var instance = await app.Services.GetRequiredService<InstanceRepository>().AddAsync(
            new NewInstance(Instance, InstanceKinds.Pipedrive, "http://127.0.0.1:9/", new InstanceCredentials("unused", null), "Europe/Stockholm", "SEK", "Acme Group"), ct);
        var filling = Stopwatch.StartNew();
        await FillAsync(database.ConnectionString, instance.Id, deals, contacts, ct);
        Console.WriteLine($"Replica: {contacts:N0} contacts, {deals:N0} deals, {deals:N0} activities, made in SQL in {filling.Elapsed.TotalSeconds:0.0} s");
        var (_, key) = await app.Services.GetRequiredService<WidgetKeyStore>().CreateAsync("Acme Group", "bench", [], [], "bench", ct);
        await app.StartAsync(ct);
        try
        {
            return await MeasureAsync(app, key, contacts, requests, clients, ct);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> MeasureAsync(WebApplication app, string key, int contacts, int requests, int clients, CancellationToken ct)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using var http = new HttpClient { BaseAddress = new Uri(address) };
        http.DefaultRequestHeaders.Add(CustomerAccess.WidgetKeyHeader, key);
        var random = new Random(42);
        string Email() => random.Next(3) == 0 ? $"team{random.Next(contacts / 3 / 3)}@bench.example" : $"c{random.Next(contacts)}@bench.example";
        async Task<double> CardAsync(string email)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync($"/api/customers/card?email={Uri.EscapeDataString(email)}", ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode} for {email}: {body}");
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        for (var i = 0; i < 300; i++) await CardAsync(Email());
        var one = new List<double>(requests);
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < requests; i++) one.Add(await CardAsync(Email()));
        Report($"1 client, {requests:N0} cards", one, wall.Elapsed);

        var emails = Enumerable.Range(0, requests).Select(_ => Email()).ToArray();
        var many = new System.Collections.Concurrent.ConcurrentBag<double>();
        var next = -1;
        wall.Restart();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < emails.Length) many.Add(await CardAsync(emails[i]));
        }));
        Report($"{clients} clients, {requests:N0} cards", many.ToList(), wall.Elapsed);
        var p95 = Percentile(one, 0.95);
        Console.WriteLine($"target: p95 ≤ 20 ms with one client: {(p95 <= 20 ? "met" : "MISSED")} ({p95:0.0} ms)");
        return ExitCodes.Ok;
    }

    private static void Report(string what, List<double> ms, TimeSpan wall) =>
        Console.WriteLine($"{what}: p50 {Percentile(ms, 0.5):0.0} ms, p95 {Percentile(ms, 0.95):0.0} ms, p99 {Percentile(ms, 0.99):0.0} ms, max {ms.Max():0.0} ms; " +
                          $"{ms.Count / wall.TotalSeconds:N0} cards/s");

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    /// <summary>
    /// Contacts c{n}@bench.example; every third also has a private address and shares team{n/9}@bench.example with two
    /// others. Two deals per contact (deals beyond that go to contacts in turn), in EUR, USD and SEK, over the last two
    /// years in five stages; one activity per deal, half of them done, due from a month ago to a month ahead.
    /// </summary>
    private static async Task FillAsync(string connectionString, int instanceId, int deals, int contacts, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var sql = """
            UPDATE etl.instance SET web_url = 'https://acme.pipedrive.com' WHERE id = @i;
            INSERT INTO crm.pipeline (instance_id, id, name, order_nr) VALUES (@i, 1, 'Sales', 1);
            INSERT INTO crm.stage (instance_id, id, pipeline_id, name, order_nr)
            SELECT @i, s, 1, (ARRAY['Lead', 'Qualified', 'Proposal', 'Negotiation', 'Contract'])[s], s FROM generate_series(1, 5) s;
            INSERT INTO crm.organization (instance_id, id, name) SELECT @i, o, 'Company ' || o FROM generate_series(1, greatest(@contacts / 10, 1)) o;
            INSERT INTO crm.contact (instance_id, id, name, org_id, emails, phones, add_time, update_time)
            SELECT @i, n, 'Customer ' || n, 1 + n % greatest(@contacts / 10, 1),
                   CASE WHEN n % 3 = 0
                        THEN jsonb_build_array(jsonb_build_object('value', 'c' || n || '@bench.example', 'label', 'work', 'primary', true),
                                               jsonb_build_object('value', 'C' || n || '@Home.Example', 'label', 'home', 'primary', false),
                                               jsonb_build_object('value', 'team' || n / 9 || '@bench.example', 'label', 'other', 'primary', false))
                        ELSE jsonb_build_array(jsonb_build_object('value', 'c' || n || '@bench.example', 'label', 'work', 'primary', true)) END,
                   jsonb_build_array(jsonb_build_object('value', '+46 70 ' || lpad(n::text, 7, '0'), 'label', 'mobile', 'primary', true)),
                   now() - interval '2 years', now()
            FROM generate_series(0, @contacts - 1) n;
            INSERT INTO crm.deal (instance_id, id, title, value, currency, status, pipeline_id, stage_id, person_id, add_time, update_time)
            SELECT @i, d, 'Deal ' || d, 100 + d % 9900, (ARRAY['EUR', 'USD', 'SEK'])[1 + d % 3], (ARRAY['open', 'open', 'won', 'lost'])[1 + d % 4],
                   1, 1 + d % 5, d % @contacts, now() - (d % 730) * interval '1 day', now()
            FROM generate_series(1, @deals) d;
            INSERT INTO crm.activity (instance_id, id, subject, type, deal_id, due_date, due_time, done)
            SELECT @i, a, 'Call ' || a, 'call', a, current_date + (a % 61 - 30), CASE WHEN a % 2 = 0 THEN time '10:00' END, a % 2 = 1
            FROM generate_series(1, @deals) a;
            ANALYZE crm.contact; ANALYZE crm.contact_email; ANALYZE crm.deal; ANALYZE crm.activity;
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { i = instanceId, deals, contacts }, commandTimeout: 3600, cancellationToken: ct));
    }
}
