using CrmEtl.Core.Instances;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Storage.Instances;
using CrmEtl.Testing;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.IntegrationTests;

/// <summary>A Zoho sandbox org (EU data centre) and fresh, migrated CrmEtl databases for one test.</summary>
internal sealed class ZohoWorld : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];

    private ZohoWorld(ZohoSandbox sandbox) => Sandbox = sandbox;

    public ZohoSandbox Sandbox { get; }
    public ZohoOrg Org => Sandbox.Orgs[0];

    public static ZohoOrgOptions DefaultOrg => new() { Name = "acme-de", DataCentre = "eu", Seed = 3, Deals = 600, Activities = 1500, Leads = 160 };

    public static async Task<ZohoWorld> StartAsync(ZohoOrgOptions? org = null, TimeProvider? clock = null) =>
        new(await ZohoSandbox.StartAsync(new ZohoSandboxOptions { Orgs = [org ?? DefaultOrg], Clock = clock ?? TestClock.Clock, AsOf = TestClock.Now }));

    /// <summary>A new database with the instance "Acme" connected to the org through <paramref name="dataCentre"/>'s accounts server.</summary>
    public Task<PipedriveWorld.Replica> NewReplicaAsync(Dictionary<string, string?>? settings = null, string dataCentre = "eu", string? refreshToken = null) =>
        PipedriveWorld.NewReplicaAsync(_hosts, new NewInstance("Acme", InstanceKinds.Zoho, Sandbox.AccountsUrl(dataCentre),
            InstanceCredentials.OAuth(Org.Options.ClientId, Org.Options.ClientSecret, refreshToken ?? Org.Options.RefreshToken)), settings);

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts) host.Dispose();
        await Sandbox.DisposeAsync();
    }
}
