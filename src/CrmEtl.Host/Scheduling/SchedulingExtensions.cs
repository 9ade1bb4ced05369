using CrmEtl.Host.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace CrmEtl.Host.Scheduling;

public static class SchedulingExtensions
{
    /// <summary>The Quartz scheduler name every worker of one database shares (qrtz_*.sched_name).</summary>
    public const string SchedulerName = "crmetl";

    /// <summary>
    /// Quartz on the CrmEtl database (tables from db/migrations/0008_quartz.sql, clustered,
    /// System.Text.Json), the schedules and refresh requests. Commands use the scheduler only to
    /// write schedules and triggers; <paramref name="runJobs"/> makes this process a worker that fires them.
    /// </summary>
    public static void AddCrmEtlScheduling(this IHostApplicationBuilder builder, bool runJobs)
    {
        builder.Services.AddOptions<SchedulerOptions>().Bind(builder.Configuration.GetSection(SchedulerOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = SchedulerName;
                s.GenerateInstanceId = true;
                // On shutdown a running sync is asked to stop at a safe point and is handed to the next worker.
                s.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
            });
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(ds => ds.DataSourceFactory = services => services.GetRequiredService<NpgsqlDataSource>());
                store.ConfigureStore(s =>
                {
                    s.TablePrefix = "quartz.qrtz_";
                    s.RecoverFiringsCancelledByShutdown = true;
                });
                store.UseSystemTextJsonSerializer(_ => { });
                store.UseClustering();
            });
        });
        // Quartz's thread pool, misfire threshold and check-ins come from the validated Scheduler options.
        builder.Services.AddSingleton<IConfigureOptions<ThreadPoolOptions>, QuartzSettings>();
        builder.Services.AddSingleton<IConfigureOptions<AdoJobStoreOptions>, QuartzSettings>();
        builder.Services.AddSingleton<IConfigureOptions<ClusteringOptions>, QuartzSettings>();
        builder.Services.AddSingleton<InstanceSchedules>();
        builder.Services.AddSingleton<RefreshRequests>();
        if (!runJobs) return;
        builder.Services.AddTransient<InstanceSyncJob>();
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        builder.Services.AddHostedService<ScheduleReconciler>();
    }

    /// <summary>Hands the validated <see cref="SchedulerOptions"/> to Quartz's own options, for every scheduler name.</summary>
    private sealed class QuartzSettings(IOptions<SchedulerOptions> scheduler) :
        IConfigureNamedOptions<ThreadPoolOptions>, IConfigureNamedOptions<AdoJobStoreOptions>, IConfigureNamedOptions<ClusteringOptions>
    {
        public void Configure(string? name, ThreadPoolOptions options) => options.MaxConcurrency = scheduler.Value.MaxConcurrentRuns;
        public void Configure(ThreadPoolOptions options) => Configure(null, options);
        public void Configure(string? name, AdoJobStoreOptions options) => options.MisfireThreshold = scheduler.Value.MisfireThreshold;
        public void Configure(AdoJobStoreOptions options) => Configure(null, options);

        public void Configure(string? name, ClusteringOptions options)
        {
            options.CheckinInterval = scheduler.Value.CheckinInterval;
            options.CheckinMisfireThreshold = scheduler.Value.CheckinInterval;
        }

        public void Configure(ClusteringOptions options) => Configure(null, options);
    }
}
