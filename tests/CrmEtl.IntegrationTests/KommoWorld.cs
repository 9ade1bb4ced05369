using CrmEtl.Core.Instances;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Storage.Instances;
using CrmEtl.Testing;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.IntegrationTests;

/// <summary>A Kommo sandbox account and fresh, migrated CrmEtl databases for one test.</summary>
internal sealed class KommoWorld : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];

    private KommoWorld(KommoSandbox sandbox) => Sandbox = sandbox;

    public KommoSandbox Sandbox { get; }
    public KommoAccount Account => Sandbox.Accounts[0];

    public static KommoAccountOptions DefaultAccount => new() { Subdomain = "acme", Seed = 5, Deals = 600, Activities = 1_200 };

    public static async Task<KommoWorld> StartAsync(KommoAccountOptions? account = null, TimeProvider? clock = null) =>
        new(await KommoSandbox.StartAsync(new KommoSandboxOptions { Accounts = [account ?? DefaultAccount], Clock = clock ?? TestClock.Clock, AsOf = TestClock.Now }));

    /// <summary>The redirect URI of the sandbox's integration, which every token request must name.</summary>
    public Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Kommo:RedirectUri"] = Account.Options.RedirectUri };
        foreach (var (k, v) in more ?? []) settings[k] = v;
        return settings;
    }

    /// <summary>A new database with the instance "Acme" signed in to the account with the integration's keys and a refresh token.</summary>
    public Task<PipedriveWorld.Replica> NewReplicaAsync(Dictionary<string, string?>? settings = null, string? refreshToken = null, string? database = null) =>
        PipedriveWorld.NewReplicaAsync(_hosts, new NewInstance("Acme", InstanceKinds.Kommo, Account.BaseUrl,
            InstanceCredentials.OAuth(Account.Options.ClientId, Account.Options.ClientSecret, refreshToken ?? Account.Options.RefreshToken!)), Settings(settings), database);

    /// <summary>
    /// A new database with "Acme" signed in with a long-lived token of its own: a refresh token works once, so a second
    /// replica of the same account cannot start from the one the first has spent.
    /// </summary>
    public Task<PipedriveWorld.Replica> NewLongLivedReplicaAsync(Dictionary<string, string?>? settings = null) =>
        PipedriveWorld.NewReplicaAsync(_hosts, new NewInstance("Acme", InstanceKinds.Kommo, Account.BaseUrl,
            new InstanceCredentials(Sandbox.MintLongLivedToken(Account.Options.Subdomain, TimeSpan.FromDays(30)), null)), Settings(settings));

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts) host.Dispose();
        await Sandbox.DisposeAsync();
    }
}
