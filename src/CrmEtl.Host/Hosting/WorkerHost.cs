using CrmEtl.Host.Api;
using CrmEtl.Host.Web;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serilog.Events;

namespace CrmEtl.Host.Hosting;

/// <summary>
/// The long-running worker: the generic host with Quartz firing runs (clustered with every other
/// worker on the database) the HTTP API and the web console, in one process.
/// </summary>
public static class WorkerHost
{
    /// <param name="urls">Where the API listens; null takes Api:Urls.</param>
    public static WebApplication Build(string? connectionString = null, IEnumerable<KeyValuePair<string, string?>>? settings = null, string? urls = null,
        LogEventLevel minimumLevel = LogEventLevel.Information)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            // The console's static files are listed in crmetl.staticwebassets.*.json, found by this name (also when a test hosts the worker).
            ApplicationName = typeof(WorkerHost).Assembly.GetName().Name,
            Args = [],
        });
        builder.AddCrmEtl(connectionString, settings, minimumLevel, runJobs: true);
        builder.AddWorkerApi(urls);
        builder.AddWorkerConsole();
        var app = builder.Build();
        app.MapWorkerApi();
        app.MapWorkerConsole();
        return app;
    }

    /// <summary>Brings the schema up to date and encrypts tokens stored in plain text by earlier versions; then the app can start.</summary>
    public static async Task PrepareAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        // Settings first, so that a bad one is reported as such before anything starts (and before a stack trace could be logged).
        _ = services.GetService<IOptions<ApiOptions>>()?.Value;
        _ = services.GetRequiredService<IOptions<Scheduling.SchedulerOptions>>().Value;
        await services.GetRequiredService<MigrationRunner>().ApplyAsync(cancellationToken);
        await services.GetRequiredService<InstanceRepository>().ProtectPlainTokensAsync(cancellationToken);
    }
}
