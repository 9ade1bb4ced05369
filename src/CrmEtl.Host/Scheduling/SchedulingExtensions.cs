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
        builder.Services.AddOptions<SchedulerOptions>().Bind(builder.Configuration.GetSection(SchedulerOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SchedulerOptions>, DataAnnotationsValidator<SchedulerOptions>>();
        var options = new SchedulerOptions();
        builder.Configuration.GetSection(SchedulerOptions.SectionName).Bind(options);
        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = SchedulerName;
                s.GenerateInstanceId = true;
                // On shutdown a running sync is asked to stop at a safe point and is handed to the next worker.
                s.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
            });
            q.UseDefaultThreadPool(Math.Clamp(options.MaxConcurrentRuns, 1, 64));
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(ds => ds.DataSourceFactory = services => services.GetRequiredService<NpgsqlDataSource>());
                store.ConfigureStore(s =>
                {
                    s.TablePrefix = "quartz.qrtz_";
                    s.MisfireThreshold = options.MisfireThreshold;
                    s.RecoverFiringsCancelledByShutdown = true;
                });
                store.UseSystemTextJsonSerializer(_ => { });
                store.UseClustering(c =>
                {
                    c.CheckinInterval = options.CheckinInterval;
                    c.CheckinMisfireThreshold = options.CheckinInterval;
                });
            });
        });
        builder.Services.AddSingleton<InstanceSchedules>();
        builder.Services.AddSingleton<RefreshRequests>();
        if (!runJobs) return;
        builder.Services.AddTransient<InstanceSyncJob>();
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        builder.Services.AddHostedService<ScheduleReconciler>();
    }
}
