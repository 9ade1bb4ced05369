using CrmEtl.Core.Instances;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Web;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace CrmEtl.IntegrationTests.WebConsole;

/// <summary>
/// A console to sign in to: a real 'crmetl worker' process on a fresh database, the Pipedrive sandbox, the instance
/// "Acme" of the company Acme Group and "Globex" of the company Globex (the same sandbox account), and their users.
/// </summary>
internal sealed class ConsoleWorld : IAsyncDisposable
{
    public const string AcmeGroup = "Acme Group";

    private ConsoleWorld(PipedriveWorld crm, string database, IHost host, WorkerProcess worker)
    {
        Database = database;
        Crm = crm;
        Host = host;
        Worker = worker;
    }

    public PipedriveWorld Crm { get; }
    public string Database { get; }
    public IHost Host { get; }
    public WorkerProcess Worker { get; }
    public Uri Address => Worker.ApiAddress;

    public static async Task<ConsoleWorld> StartAsync()
    {
        var crm = await PipedriveWorld.StartAsync();
        var database = await PostgresFixture.Databases.CreateAsync("console");
        var host = CrmEtlHost.Build(database, minimumLevel: LogEventLevel.Warning);
        await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
        var instances = host.Services.GetRequiredService<InstanceRepository>();
        var credentials = new InstanceCredentials(crm.Company.ApiToken, null);
        await instances.AddAsync(new NewInstance("Acme", InstanceKinds.Pipedrive, crm.Sandbox.BaseUrl, credentials, "Europe/Helsinki", "EUR", AcmeGroup), CancellationToken.None);
        await instances.AddAsync(new NewInstance("Globex", InstanceKinds.Pipedrive, crm.Sandbox.BaseUrl, credentials, "America/New_York", "USD", "Globex"), CancellationToken.None);
        var worker = WorkerProcess.Start(database);
        await worker.WaitUntilRunningAsync();
        return new ConsoleWorld(crm, database, host, worker);
    }

    /// <summary>Adds a console user as 'crmetl users add' does; returns the password made up for them.</summary>
    public Task<string> AddUserAsync(string email, string company, string role) => AddUserAsync(Host.Services, email, company, role);

    public static async Task<string> AddUserAsync(IServiceProvider services, string email, string company, string role) =>
        (await services.GetRequiredService<ConsoleAccounts>().AddAsync(email, company, role, null, CancellationToken.None)).Password;

    /// <summary>A new user of the company, signed in in a browser of their own (dispose it).</summary>
    public Task<ConsoleBrowser> SignedInAsync(string email, string company, string role, string? typedEmail = null) =>
        SignedInAsync(Host.Services, Address, email, company, role, typedEmail);

    /// <summary>The same on any worker's console: the user added through <paramref name="services"/> (on the worker's database).</summary>
    public static async Task<ConsoleBrowser> SignedInAsync(IServiceProvider services, Uri console, string email, string company, string role, string? typedEmail = null)
    {
        var password = await AddUserAsync(services, email, company, role);
        var browser = await ConsoleBrowser.OpenAsync(console);
        await browser.SignInAsync(typedEmail ?? email, password);
        return browser;
    }

    public async ValueTask DisposeAsync()
    {
        // The worker's warnings and errors (a broken circuit, a refused event) go with the test's output.
        if (Worker.Errors.Length > 0) await TestContext.Out.WriteLineAsync("The worker's log:\n" + Worker.Errors);
        await Worker.DisposeAsync();
        Host.Dispose();
        await Crm.DisposeAsync();
    }
}
