using CrmEtl.Core.Configuration;
using CrmEtl.Host.Hosting;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using CrmEtl.Storage.Database;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.IntegrationTests.Analytics;

/// <summary>
/// A small group whose numbers were worked out by hand (see the expectations in <see cref="CanonicalQueryTests"/>):
/// "Acme Group" with Acme Finland (Helsinki, EUR) and Acme Sweden (Stockholm, SEK), group currency EUR.
/// <code>
/// Funnel Sales: 1 Request [10, 20]  2 Qualified [11]  3 Quote given [12, 22]  4 Won (won)  5 Lost (refused)
///               6 Paused [13] (pause)  7 Returned [14] (return)
/// Finland (pipeline 1 "New business", country Finland, product Licences); all times 10:00 UTC unless said
///   d1 Aino  1000 EUR  Request 01-10, Qualified 01-15, Quote 01-20, won 02-05
///   d2 Mia   2000 USD  Request 01-12, Quote 01-25 (skips Qualified), won 03-10  (USD→EUR 0.9 from 01-01, 0.8 from 03-01)
///   d3 Aino   500 EUR  Request 01-20, lost 02-10
///   d4 Mia    800 EUR  Request 02-01, Qualified 02-03, On hold 02-10 (paused now)
///   d5 Aino   300 EUR  Request 02-05, Quote 02-07, won 02-20, Cancelled 03-05 (returned)
///   d6 Aino  9999 EUR  deleted                      d7 Mia 5000 EUR "TEST deal", excluded by a filter
/// Sweden (pipeline 1 "New business", country Sweden, product Licences)
///   e1 Erik 10000 SEK  Request 01-15, Quote 01-18, won 2024-02-01 23:30 UTC (= Feb 2 in Stockholm)  (SEK→EUR 0.088)
///   e2 Erik  5000 SEK  Request 01-20, lost 03-01
/// Activities (Finland): a1 call done 2024-06-10 22:30 UTC (= Jun 11 in Helsinki), a2 all-day call on 06-12 done 06-13,
///   a3 meeting done 06-11 (Mia), a4 call planned 06-14, a5 call done but deleted, a6 all-day call on Sunday 06-09 done
///   Monday 06-10 06:00 UTC (counts in the week of 06-10, when it was done)
/// Leads (Finland): l1 01-08 Web forms, l2 01-09 Web forms (archived), l3 01-16 Import
/// </code>
/// </summary>
internal sealed class KnownDataset : IAsyncDisposable
{
    public const string Company = "Acme Group";
    private KnownDataset(IHost host, string connectionString) => (Host, ConnectionString) = (host, connectionString);

    public IHost Host { get; }
    public string ConnectionString { get; }

    public static async Task<KnownDataset> CreateAsync()
    {
        var connectionString = await PostgresFixture.Databases.CreateAsync("known");
        var host = CrmEtlHost.Build(connectionString, minimumLevel: LogEventLevel.Warning);
        await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
        await using (var connection = new NpgsqlConnection(connectionString))
            await connection.ExecuteAsync(Replica);
        var store = host.Services.GetRequiredService<ConfigurationStore>();
        var catalog = await store.LoadCatalogAsync(Company, CancellationToken.None);
        var config = Configuration();
        var problems = ConfigurationValidator.Validate(config, catalog);
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("\n", problems));
        await store.SaveAsync(config, CancellationToken.None);
        await store.SaveRatesAsync(Company, [
            new("USD", "EUR", new DateOnly(2024, 1, 1), 0.9m), new("USD", "EUR", new DateOnly(2024, 3, 1), 0.8m),
            new("SEK", "EUR", new DateOnly(2024, 1, 1), 0.088m),
        ], CancellationToken.None);
        await host.Services.GetRequiredService<AnalyticsBuilder>().BuildCompanyAsync(Company, CancellationToken.None);
        return new KnownDataset(host, connectionString);
    }

    public static CompanyConfiguration Configuration() => new(Company)
    {
        ReportingCurrency = "EUR",
        Steps =
        [
            new("Sales", 1, "Request", Marker.None), new("Sales", 2, "Qualified", Marker.None), new("Sales", 3, "Quote given", Marker.None),
            new("Sales", 4, "Won", Marker.Won), new("Sales", 5, "Lost", Marker.Refused), new("Sales", 6, "Paused", Marker.Pause),
            new("Sales", 7, "Returned", Marker.Return),
        ],
        Stages =
        [
            new("Acme Finland", 10, "Sales", "Request"), new("Acme Finland", 11, "Sales", "Qualified"), new("Acme Finland", 12, "Sales", "Quote given"),
            new("Acme Finland", 13, "Sales", "Paused"), new("Acme Finland", 14, "Sales", "Returned"),
            new("Acme Sweden", 20, "Sales", "Request"), new("Acme Sweden", 22, "Sales", "Quote given"),
        ],
        Kpis =
        [
            new("Requests", KpiKinds.Stage, "Sales", "Request"), new("Quotes given", KpiKinds.Stage, "Sales", "Quote given"),
            new("Won", KpiKinds.Stage, "Sales", "Won"), new("Lost", KpiKinds.Stage, "Sales", "Lost"),
            new("Won value", KpiKinds.Stage, "Sales", "Won", KpiMeasures.Value),
            new("Win rate", KpiKinds.Calculated, Expression: "Won / (Won + Lost)"),
            new("Completed calls", KpiKinds.Activity, ActivityTypes: ["call"]), new("New leads", KpiKinds.Lead),
        ],
        Dimensions = [new("Acme Finland", null, "Finland", "Nordics", "Licences"), new("Acme Sweden", null, "Sweden", "Nordics", "Licences")],
        People = [new("Acme Finland", 7, "Aino", "North"), new("Acme Finland", 8, "Mia", "South"), new("Acme Sweden", 9, "Erik", "North")],
        Filters = [new("Acme Finland", FilterEntities.Deal, FilterModes.Exclude, "title contains 'test'")],
        Targets =
        [
            new("Completed calls", Periods.Week, new DateOnly(2024, 6, 10), AssigneeKinds.Person, "Aino", 3),
            new("Won", Periods.Quarter, new DateOnly(2024, 1, 1), AssigneeKinds.Company, Company, 8),
        ],
    };

    private const string Replica = """
        INSERT INTO etl.instance (id, name, kind, base_url, time_zone, reporting_currency, company) OVERRIDING SYSTEM VALUE VALUES
            (1, 'Acme Finland', 'pipedrive', 'http://127.0.0.1:1', 'Europe/Helsinki', 'EUR', 'Acme Group'),
            (2, 'Acme Sweden', 'pipedrive', 'http://127.0.0.1:1', 'Europe/Stockholm', 'SEK', 'Acme Group');
        INSERT INTO crm.pipeline (instance_id, id, name, order_nr) VALUES (1, 1, 'New business', 1), (2, 1, 'New business', 1);
        INSERT INTO crm.stage (instance_id, id, pipeline_id, name, order_nr) VALUES
            (1, 10, 1, 'Request', 1), (1, 11, 1, 'Qualified', 2), (1, 12, 1, 'Quote given', 3), (1, 13, 1, 'On hold', 4), (1, 14, 1, 'Cancelled', 5),
            (2, 20, 1, 'Request', 1), (2, 22, 1, 'Quote given', 2);
        INSERT INTO crm.crm_user (instance_id, id, name) VALUES (1, 7, 'Aino Virtanen'), (1, 8, 'Mia Korhonen'), (2, 9, 'Erik Lindqvist');
        INSERT INTO crm.activity_type (instance_id, id, name, key_string) VALUES (1, 1, 'Call', 'call'), (1, 2, 'Meeting', 'meeting'), (2, 1, 'Call', 'call');

        INSERT INTO crm.deal (instance_id, id, title, value, currency, status, pipeline_id, stage_id, owner_id, add_time, update_time, won_time, lost_time, is_deleted, history_due) VALUES
            (1, 1, 'd1', 1000, 'EUR', 'won',  1, 12, 7, '2024-01-10 10:00Z', '2024-02-05 10:00Z', '2024-02-05 10:00Z', NULL, false, false),
            (1, 2, 'd2', 2000, 'USD', 'won',  1, 12, 8, '2024-01-12 10:00Z', '2024-03-10 10:00Z', '2024-03-10 10:00Z', NULL, false, false),
            (1, 3, 'd3',  500, 'EUR', 'lost', 1, 10, 7, '2024-01-20 10:00Z', '2024-02-10 10:00Z', NULL, '2024-02-10 10:00Z', false, false),
            (1, 4, 'd4',  800, 'EUR', 'open', 1, 13, 8, '2024-02-01 10:00Z', '2024-02-10 10:00Z', NULL, NULL, false, false),
            (1, 5, 'd5',  300, 'EUR', 'won',  1, 14, 7, '2024-02-05 10:00Z', '2024-03-05 10:00Z', '2024-02-20 10:00Z', NULL, false, false),
            (1, 6, 'd6', 9999, 'EUR', 'won',  1, 12, 7, '2024-01-05 10:00Z', '2024-01-30 10:00Z', '2024-01-30 10:00Z', NULL, true, false),
            (1, 7, 'TEST deal', 5000, 'EUR', 'won', 1, 10, 8, '2024-02-15 10:00Z', '2024-02-25 10:00Z', '2024-02-25 10:00Z', NULL, false, false),
            (2, 1, 'e1', 10000, 'SEK', 'won', 1, 22, 9, '2024-01-15 10:00Z', '2024-02-01 23:30Z', '2024-02-01 23:30Z', NULL, false, false),
            (2, 2, 'e2',  5000, 'SEK', 'lost', 1, 20, 9, '2024-01-20 10:00Z', '2024-03-01 10:00Z', NULL, '2024-03-01 10:00Z', false, false);

        INSERT INTO crm.deal_stage_history (instance_id, deal_id, ord, stage_id, entered_at) VALUES
            (1, 1, 0, 10, '2024-01-10 10:00Z'), (1, 1, 1, 11, '2024-01-15 10:00Z'), (1, 1, 2, 12, '2024-01-20 10:00Z'),
            (1, 2, 0, 10, '2024-01-12 10:00Z'), (1, 2, 1, 12, '2024-01-25 10:00Z'),
            (1, 3, 0, 10, '2024-01-20 10:00Z'),
            (1, 4, 0, 10, '2024-02-01 10:00Z'), (1, 4, 1, 11, '2024-02-03 10:00Z'), (1, 4, 2, 13, '2024-02-10 10:00Z'),
            (1, 5, 0, 10, '2024-02-05 10:00Z'), (1, 5, 1, 12, '2024-02-07 10:00Z'), (1, 5, 2, 14, '2024-03-05 10:00Z'),
            (1, 6, 0, 10, '2024-01-05 10:00Z'), (1, 6, 1, 12, '2024-01-06 10:00Z'),
            (1, 7, 0, 10, '2024-02-15 10:00Z'),
            (2, 1, 0, 20, '2024-01-15 10:00Z'), (2, 1, 1, 22, '2024-01-18 10:00Z'),
            (2, 2, 0, 20, '2024-01-20 10:00Z');

        INSERT INTO crm.activity (instance_id, id, type, owner_id, due_date, due_time, done, marked_as_done_time, is_deleted) VALUES
            (1, 1, 'call', 7, '2024-06-10', '09:00', true, '2024-06-10 22:30Z', false),
            (1, 2, 'call', 7, '2024-06-12', NULL, true, '2024-06-13 08:00Z', false),
            (1, 3, 'meeting', 8, '2024-06-11', '10:00', true, '2024-06-11 10:00Z', false),
            (1, 4, 'call', 8, '2024-06-14', '10:00', false, NULL, false),
            (1, 5, 'call', 7, '2024-06-11', '10:00', true, '2024-06-11 11:00Z', true),
            (1, 6, 'call', 7, '2024-06-09', NULL, true, '2024-06-10 06:00Z', false);

        INSERT INTO crm.lead (instance_id, id, title, owner_id, source_name, add_time, is_archived) VALUES
            (1, 'l1', 'l1', 7, 'Web forms', '2024-01-08 10:00Z', false),
            (1, 'l2', 'l2', 8, 'Web forms', '2024-01-09 10:00Z', true),
            (1, 'l3', 'l3', 7, 'Import', '2024-01-16 10:00Z', false);
        """;

    public async Task<List<string>> RowsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await using var command = new NpgsqlCommand(sql, connection);
        await connection.OpenAsync();
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        var values = new object[reader.FieldCount];
        while (await reader.ReadAsync())
        {
            reader.GetValues(values);
            rows.Add(string.Join("|", values.Select(v => v switch
            {
                DBNull => "",
                DateOnly d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                DateTime t => t.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                decimal m => m.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                _ => v.ToString(),
            })));
        }
        return rows;
    }

    public ValueTask DisposeAsync()
    {
        Host.Dispose();
        return ValueTask.CompletedTask;
    }
}
