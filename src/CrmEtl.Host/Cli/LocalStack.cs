using CrmEtl.Core.Instances;
using CrmEtl.Host.Hosting;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace CrmEtl.Host.Cli;

/// <summary>
/// The embedded default the demo and benchmarks run on: a scratch PostgreSQL database (local
/// throwaway server, or CRMETL_PG), a Pipedrive sandbox on loopback, and a migrated CrmEtl host.
/// </summary>
internal sealed class LocalStack : IAsyncDisposable
{
    private LocalStack(ScratchDatabase database, PipedriveSandbox sandbox, IHost host)
    {
        Database = database;
        Sandbox = sandbox;
        Host = host;
    }

    public ScratchDatabase Database { get; }
    public PipedriveSandbox Sandbox { get; }
    public IHost Host { get; }

    public static async Task<LocalStack> StartAsync(PipedriveSandboxOptions sandboxOptions, LogEventLevel logLevel, CancellationToken ct)
    {
        var database = await ScratchDatabase.CreateAsync("crmetl", ct);
        var sandbox = await PipedriveSandbox.StartAsync(sandboxOptions, ct);
        var host = CrmEtlHost.Build(database.ConnectionString, minimumLevel: logLevel);
        await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
        return new LocalStack(database, sandbox, host);
    }

    /// <summary>Connects a sandbox company as an instance.</summary>
    public Task<Instance> AddInstanceAsync(string name, PipedriveCompany company, string timeZone, string currency, string? group, CancellationToken ct) =>
        Host.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance(
            name, InstanceKinds.Pipedrive, Sandbox.BaseUrl, new InstanceCredentials(company.ApiToken, null), timeZone, currency, group), ct);

    public async ValueTask DisposeAsync()
    {
        Host.Dispose();
        await Sandbox.DisposeAsync();
        await Database.DisposeAsync();
    }
}
