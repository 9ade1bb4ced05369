using CrmEtl.Core.Sync;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using CrmEtl.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.IntegrationTests;

/// <summary>A Pipedrive sandbox account and a fresh, migrated CrmEtl database for one test.</summary>
internal sealed class PipedriveWorld : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];

    private PipedriveWorld(PipedriveSandbox sandbox) => Sandbox = sandbox;

    public PipedriveSandbox Sandbox { get; }
    public PipedriveCompany Company => Sandbox.Companies[0];

    /// <param name="clock">The sandbox's clock; the test clock by default (CrmEtl's hosts always run on the test clock).</param>
    public static async Task<PipedriveWorld> StartAsync(PipedriveCompanyOptions? company = null, TimeProvider? clock = null) =>
        new(await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [company ?? new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 3, Deals = 600, Activities = 1500, Leads = 120 }],
            Clock = clock ?? TestClock.Clock,
            AsOf = TestClock.Now,
        }));

    /// <summary>A new database (on the tests' server, or in <paramref name="database"/>) with one instance connected to the sandbox account.</summary>
    public Task<Replica> NewReplicaAsync(string? token = null, Dictionary<string, string?>? settings = null, string? database = null) =>
        NewReplicaAsync(_hosts, new NewInstance("Acme", "pipedrive", Sandbox.BaseUrl, new CrmEtl.Core.Instances.InstanceCredentials(token ?? Company.ApiToken, null)), settings, database);

    /// <summary>A new, migrated database with <paramref name="instance"/> in it, and a host on it (disposed with <paramref name="hosts"/>).</summary>
    internal static async Task<Replica> NewReplicaAsync(List<IHost> hosts, NewInstance instance, Dictionary<string, string?>? settings, string? database = null)
    {
        var connectionString = database ?? await PostgresFixture.Databases.CreateAsync("t");
        var host = CrmEtlHost.Build(connectionString, settings, LogEventLevel.Warning);
        hosts.Add(host);
        await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
        await host.Services.GetRequiredService<InstanceRepository>().AddAsync(instance, CancellationToken.None);
        return new Replica(host, connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts) host.Dispose();
        await Sandbox.DisposeAsync();
    }

    internal sealed record Replica(IHost Host, string ConnectionString)
    {
        public Task<SyncOutcome> SyncAsync(SyncMode mode = SyncMode.Incremental) =>
            Host.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", mode, CancellationToken.None);

        public async Task<List<string>> RowsAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            return (await connection.QueryAsync<string>(sql)).ToList();
        }

        public async Task<T> ScalarAsync<T>(string sql)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            return await connection.ExecuteScalarAsync<T>(sql) ?? throw new InvalidOperationException("null");
        }

        /// <summary>
        /// The replica's content, one line per row, in a fixed order, without instance ids or bookkeeping columns.
        /// <paramref name="liveDealsOnly"/> leaves out deleted deals: Zoho's lists never show them, so only a replica
        /// that saw them before their deletion keeps them (flagged).
        /// </summary>
        public async Task<Dictionary<string, List<string>>> FingerprintAsync(bool liveDealsOnly = false)
        {
            var tables = new Dictionary<string, string>
            {
                ["deal"] = "SELECT concat_ws('|', id, title, value, currency, status, pipeline_id, stage_id, owner_id, person_id, org_id, add_time, update_time, stage_change_time, won_time, lost_time, close_time, expected_close_date, probability, lost_reason, is_deleted, is_archived, archive_time, label_ids, custom_fields) FROM crm.deal" + (liveDealsOnly ? " WHERE NOT is_deleted" : "") + " ORDER BY id",
                ["activity"] = "SELECT concat_ws('|', id, subject, type, owner_id, deal_id, due_date, due_time, duration, done, marked_as_done_time, update_time) FROM crm.activity WHERE NOT is_deleted ORDER BY id",
                ["lead"] = "SELECT concat_ws('|', id, title, owner_id, source_name, value_amount, value_currency, is_archived, update_time) FROM crm.lead WHERE NOT is_deleted ORDER BY id",
                // Deleted deals count nowhere; whether their history was fetched before they were deleted does not matter.
                ["history"] = "SELECT concat_ws('|', h.deal_id, h.ord, h.stage_id, h.from_stage_id, h.entered_at) FROM crm.deal_stage_history h JOIN crm.deal d USING (instance_id) WHERE d.id = h.deal_id AND NOT d.is_deleted ORDER BY h.deal_id, h.ord",
                ["stage"] = "SELECT concat_ws('|', id, pipeline_id, name, order_nr) FROM crm.stage ORDER BY id",
                ["contact"] = "SELECT concat_ws('|', id, name, owner_id, org_id, emails, phones, update_time) FROM crm.contact WHERE NOT is_deleted ORDER BY id",
                ["contact_email"] = "SELECT concat_ws('|', contact_id, email) FROM crm.contact_email ORDER BY contact_id, email",
                ["organization"] = "SELECT concat_ws('|', id, name, address, update_time) FROM crm.organization WHERE NOT is_deleted ORDER BY id",
                ["reference"] = "SELECT concat_ws('|', 'user', id, name, time_zone) FROM crm.crm_user UNION ALL SELECT concat_ws('|', 'currency', code) FROM crm.currency UNION ALL SELECT concat_ws('|', 'field', field_code, field_type) FROM crm.deal_field ORDER BY 1",
            };
            var result = new Dictionary<string, List<string>>();
            foreach (var (name, sql) in tables) result[name] = await RowsAsync(sql);
            return result;
        }
    }
}
