using CrmEtl.Connectors.Pipedrive;
using CrmEtl.Connectors.Kommo;
using CrmEtl.Connectors.Zoho;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Scheduling;
using CrmEtl.Host.Sync;
using CrmEtl.Host.Telemetry;
using CrmEtl.Host.Web;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Replica;
using CrmEtl.Storage.Runs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace CrmEtl.Host.Hosting;

/// <summary>Builds the generic host every command runs in: configuration, logs, options, storage, connectors.</summary>
public static class CrmEtlHost
{
    /// <param name="connectionString">Overrides configuration (the demo's throwaway server, tests).</param>
    public static IHost Build(string? connectionString = null, IEnumerable<KeyValuePair<string, string?>>? settings = null, LogEventLevel minimumLevel = LogEventLevel.Information)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.AddCrmEtl(connectionString, settings, minimumLevel, runJobs: false);
        return builder.Build();
    }

    /// <summary>Everything a command or a worker needs; <paramref name="runJobs"/> makes it a worker that fires scheduled runs.</summary>
    public static void AddCrmEtl(this IHostApplicationBuilder builder, string? connectionString, IEnumerable<KeyValuePair<string, string?>>? settings,
        LogEventLevel minimumLevel, bool runJobs)
    {
        builder.Configuration.AddEnvironmentVariables(prefix: "CRMETL__");
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.AddCrmEtlLogging(minimumLevel);
        builder.AddCrmEtlStorage(connectionString);
        builder.AddCrmEtlSecretProtection();
        builder.AddPipedriveConnector();
        builder.AddZohoConnector();
        builder.AddKommoConnector();
        builder.Services.AddSingleton<SyncRunCoordinator>();
        builder.AddCrmEtlScheduling(runJobs);
        builder.AddTrello(runJobs);
        builder.AddForms(runJobs);
        builder.AddWebhooks(runJobs);
        builder.AddCrmEtlTelemetry();
        builder.AddCrmEtlClock();
        builder.Services.AddSingleton<InstanceLifecycle>();
        builder.Services.AddSingleton<Companies.CompanyConfigurations>();
        builder.AddConsoleServices();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// The one clock every part reads, Quartz included. Registered last: AddQuartz registers the system clock as its
    /// fallback, and of several registrations the container hands out the last.
    /// </summary>
    public static void AddCrmEtlClock(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClockOptions>().Bind(builder.Configuration.GetSection(ClockOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.RemoveAll<TimeProvider>();
        builder.Services.AddSingleton(services => services.GetRequiredService<IOptions<ClockOptions>>().Value.CreateClock());
    }

    /// <summary>
    /// Serilog, from configuration: the command's <paramref name="minimumLevel"/> and a few quiet namespaces first,
    /// then the "Serilog" section (its MinimumLevel and Override win). Logs go to stderr so that command output on
    /// stdout stays clean for scripts: as text, or as compact JSON (CLEF) one event per line when Logs:Format is json.
    /// </summary>
    public static void AddCrmEtlLogging(this IHostApplicationBuilder builder, LogEventLevel minimumLevel)
    {
        builder.Services.AddOptions<LogsOptions>().Bind(builder.Configuration.GetSection(LogsOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        var configuration = builder.Configuration;
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.MinimumLevel.Is(minimumLevel)
                .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
                .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
                .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
                // It warns that keys are stored unencrypted: they are, in a directory only this user can read (docs/OPERATIONS.md).
                .MinimumLevel.Override("Microsoft.AspNetCore.DataProtection", LogEventLevel.Error)
                .ReadFrom.Configuration(configuration)
                .Enrich.FromLogContext();
            if (services.GetRequiredService<IOptions<LogsOptions>>().Value.Format == LogsOptions.Json)
                logger.WriteTo.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Verbose);
            else
                logger.WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, formatProvider: System.Globalization.CultureInfo.InvariantCulture,
                    outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj} {Properties:j}{NewLine}{Exception}");
        }, preserveStaticLogger: true);
    }

    public static void AddCrmEtlStorage(this IHostApplicationBuilder builder, string? connectionString)
    {
        builder.Services.AddOptions<DatabaseOptions>().Bind(builder.Configuration.GetSection(DatabaseOptions.SectionName));
        builder.Services.AddSingleton(services =>
        {
            var configured = connectionString ?? DatabaseOptions.FromEnvironment()
                ?? services.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString;
            if (string.IsNullOrWhiteSpace(configured))
                throw new OptionsValidationException(DatabaseOptions.SectionName, typeof(DatabaseOptions),
                    ["No database is configured. Set Database:ConnectionString in appsettings.json, or the environment variable CRMETL__Database__ConnectionString or CRMETL_PG, to an Npgsql connection string such as 'Host=127.0.0.1;Port=5432;Username=crmetl;Password=...;Database=crmetl'."]);
            try
            {
                return new NpgsqlDataSourceBuilder(configured).Build();
            }
            catch (ArgumentException e)
            {
                throw new OptionsValidationException(DatabaseOptions.SectionName, typeof(DatabaseOptions),
                    [$"Database:ConnectionString is not a valid Npgsql connection string: {e.Message}"]);
            }
        });
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddSingleton<InstanceRepository>();
        builder.Services.AddSingleton<InstanceLocks>();
        builder.Services.AddSingleton<SyncRunLog>();
        builder.Services.AddSingleton<IReplicaStore, ReplicaStore>();
        builder.Services.AddSingleton<ConfigurationStore>();
        builder.Services.AddSingleton<AnalyticsBuilder>();
        builder.Services.AddSingleton<AnalyticsAccess>();
        builder.Services.AddSingleton<DashboardQueries>();
        builder.Services.AddSingleton<FilterMatches>();
        builder.Services.AddSingleton<CrmEtl.Storage.Customers.CustomerCardQuery>();
        builder.Services.AddSingleton<CrmEtl.Storage.Customers.WidgetKeyStore>();
        builder.Services.AddSingleton<Customers.CustomerCards>();
        builder.Services.AddSingleton<CrmEtl.Storage.Customers.ContactRequests>();
        builder.Services.AddSingleton<Customers.CustomerContacts>();
        builder.Services.AddSingleton<Customers.WidgetKeys>();
        builder.Services.AddSingleton<CrmEtl.Storage.Customers.CardReads>();
        builder.Services.AddSingleton<Customers.FreshCards>();
        builder.Services.AddSingleton<Instances.WebAddresses>();
        builder.Services.AddOptions<Customers.FreshCardOptions>().Bind(builder.Configuration.GetSection(Customers.FreshCardOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
    }

    /// <summary>Trello connections, rules and the outbox; a worker (<paramref name="runJobs"/>) also delivers the cards.</summary>
    public static void AddTrello(this IHostApplicationBuilder builder, bool runJobs)
    {
        builder.Services.AddOptions<Trello.TrelloOptions>().Bind(builder.Configuration.GetSection(Trello.TrelloOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(CrmEtl.Connectors.Trello.TrelloClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.AddSingleton<CrmEtl.Core.Trello.ITrelloPace, Trello.TrelloPace>();
        builder.Services.AddSingleton<CrmEtl.Storage.Trello.TrelloConnectionStore>();
        builder.Services.AddSingleton<Trello.TrelloConnections>();
        builder.Services.AddSingleton<CrmEtl.Storage.Trello.TrelloRuleStore>();
        builder.Services.AddSingleton<Trello.TrelloRules>();
        builder.Services.AddSingleton<CrmEtl.Storage.Trello.TrelloOutbox>();
        builder.Services.AddSingleton<Trello.TrelloDeliveries>();
        if (runJobs) builder.Services.AddHostedService<Trello.TrelloDeliveryService>();
    }

    /// <summary>Web form modules and the queue of their submissions.</summary>
    public static void AddForms(this IHostApplicationBuilder builder, bool runJobs)
    {
        builder.Services.AddOptions<Forms.FormOptions>().Bind(builder.Configuration.GetSection(Forms.FormOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CrmEtl.Storage.Forms.FormStore>();
        builder.Services.AddSingleton<Forms.FormIntake>();
        builder.Services.AddSingleton<Forms.FormModules>();
        builder.Services.AddSingleton<Forms.FormWorker>();
        if (runJobs) builder.Services.AddHostedService<Forms.FormWorkerService>();
    }

    /// <summary>CRM webhooks: subscriptions and the receiver; a worker (<paramref name="runJobs"/>) also asks for the syncs they make due.</summary>
    public static void AddWebhooks(this IHostApplicationBuilder builder, bool runJobs)
    {
        builder.Services.AddOptions<Webhooks.WebhookOptions>().Bind(builder.Configuration.GetSection(Webhooks.WebhookOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CrmEtl.Storage.Webhooks.WebhookStore>();
        builder.Services.AddSingleton<Webhooks.WebhookSubscriptions>();
        if (runJobs) builder.Services.AddHostedService<Webhooks.WebhookSyncService>();
    }

    public static void AddPipedriveConnector(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PipedriveOptions>().Bind(builder.Configuration.GetSection(PipedriveOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(PipedriveConnector.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        builder.Services.AddSingleton<PipedriveConnector>();
        builder.Services.AddSingleton<ICrmConnector>(s => s.GetRequiredService<PipedriveConnector>());
        builder.Services.AddSingleton<CrmEtl.Core.Customers.ICrmContacts>(s => s.GetRequiredService<PipedriveConnector>());
        builder.Services.AddSingleton<CrmEtl.Core.Forms.ICrmForms>(s => s.GetRequiredService<PipedriveConnector>());
        builder.Services.AddSingleton<CrmEtl.Core.Webhooks.ICrmWebhooks>(s => s.GetRequiredService<PipedriveConnector>());
    }

    public static void AddZohoConnector(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ZohoOptions>().Bind(builder.Configuration.GetSection(ZohoOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(ZohoConnector.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        builder.Services.AddSingleton<CrmEtl.Core.Instances.IOAuthTokenCache, OAuthTokenStore>();
        builder.Services.AddSingleton<ZohoTokenProvider>();
        builder.Services.AddSingleton<ZohoConnector>();
        builder.Services.AddSingleton<ICrmConnector>(s => s.GetRequiredService<ZohoConnector>());
        builder.Services.AddSingleton<CrmEtl.Core.Customers.ICrmContacts>(s => s.GetRequiredService<ZohoConnector>());
        builder.Services.AddSingleton<CrmEtl.Core.Forms.ICrmForms>(s => s.GetRequiredService<ZohoConnector>());
    }

    public static void AddKommoConnector(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KommoOptions>().Bind(builder.Configuration.GetSection(KommoOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(KommoConnector.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        builder.Services.AddSingleton<CrmEtl.Core.Instances.IRotatingTokenStore, RotatingTokenStore>();
        builder.Services.AddSingleton<KommoTokens>();
        builder.Services.AddSingleton<CrmEtl.Core.Instances.IAuthorizationCodes>(s => s.GetRequiredService<KommoTokens>());
        builder.Services.AddSingleton<KommoConnector>();
        builder.Services.AddSingleton<ICrmConnector>(s => s.GetRequiredService<KommoConnector>());
        builder.Services.AddSingleton<CrmEtl.Core.Customers.ICrmContacts>(s => s.GetRequiredService<KommoConnector>());
        builder.Services.AddSingleton<CrmEtl.Core.Forms.ICrmForms>(s => s.GetRequiredService<KommoConnector>());
    }
}
