using CrmEtl.Core.Instances;
using CrmEtl.Host.Hosting;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace CrmEtl.Host.Cli;

/// <summary>
/// The embedded default the demo and benchmarks run on: a scratch PostgreSQL database (local
/// throwaway server, or CRMETL_PG), a Pipedrive sandbox (and optionally Zoho and Kommo sandboxes) on loopback,
/// and a migrated CrmEtl host.
/// </summary>
internal sealed class LocalStack : IAsyncDisposable
{
    private LocalStack(ScratchDatabase database, PipedriveSandbox sandbox, ZohoSandbox? zoho, KommoSandbox? kommo, IHost host)
    {
        Database = database;
        Sandbox = sandbox;
        Zoho = zoho;
        Kommo = kommo;
        Host = host;
    }

    public ScratchDatabase Database { get; }
    public PipedriveSandbox Sandbox { get; }
    public ZohoSandbox? Zoho { get; }
    public KommoSandbox? Kommo { get; }
    public IHost Host { get; }

    /// <summary>Today's date (UTC) on the host's clock: rates and targets of the demo and benchmarks start from it.</summary>
    public DateOnly Today => DateOnly.FromDateTime(Host.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime);

    public static async Task<LocalStack> StartAsync(PipedriveSandboxOptions sandboxOptions, LogEventLevel logLevel, CancellationToken ct,
        ZohoSandboxOptions? zohoOptions = null, KommoSandboxOptions? kommoOptions = null)
    {
        var database = await ScratchDatabase.CreateAsync("crmetl", ct);
        var sandbox = await PipedriveSandbox.StartAsync(sandboxOptions, ct);
        var zoho = zohoOptions is null ? null : await ZohoSandbox.StartAsync(zohoOptions, ct);
        var kommo = kommoOptions is null ? null : await KommoSandbox.StartAsync(kommoOptions, ct);
        // The sandbox's integration names its redirect URI, which Kommo wants in every token request.
        var settings = kommo is null ? null : new Dictionary<string, string?> { ["Kommo:RedirectUri"] = kommo.Accounts[0].Options.RedirectUri };
        var host = CrmEtlHost.Build(database.ConnectionString, settings, logLevel);
        await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
        return new LocalStack(database, sandbox, zoho, kommo, host);
    }

    /// <summary>Connects a Kommo sandbox account as an instance, with its integration's keys and refresh token.</summary>
    public Task<Instance> AddKommoInstanceAsync(string name, KommoAccount account, string timeZone, string currency, string? group, CancellationToken ct) =>
        Host.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance(
            name, InstanceKinds.Kommo, account.BaseUrl,
            InstanceCredentials.OAuth(account.Options.ClientId, account.Options.ClientSecret, account.Options.RefreshToken!), timeZone, currency, group), ct);

    /// <summary>Connects a Zoho sandbox org as an instance, through its data centre's accounts server.</summary>
    public Task<Instance> AddZohoInstanceAsync(string name, ZohoOrg org, string timeZone, string currency, string? group, CancellationToken ct) =>
        Host.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance(
            name, InstanceKinds.Zoho, Zoho!.AccountsUrl(org.Options.DataCentre),
            InstanceCredentials.OAuth(org.Options.ClientId, org.Options.ClientSecret, org.Options.RefreshToken), timeZone, currency, group), ct);

    /// <summary>Connects a sandbox company as an instance.</summary>
    public Task<Instance> AddInstanceAsync(string name, PipedriveCompany company, string timeZone, string currency, string? group, CancellationToken ct) =>
        Host.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance(
            name, InstanceKinds.Pipedrive, Sandbox.BaseUrl, new InstanceCredentials(company.ApiToken, null), timeZone, currency, group), ct);

    public async ValueTask DisposeAsync()
    {
        Host.Dispose();
        await Sandbox.DisposeAsync();
        if (Zoho is not null) await Zoho.DisposeAsync();
        if (Kommo is not null) await Kommo.DisposeAsync();
        await Database.DisposeAsync();
    }
}
