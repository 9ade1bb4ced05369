using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace CrmEtl.Host.Api;

/// <summary>The worker's health (configuration section "Health").</summary>
public sealed class HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>An enabled instance whose last successful run ended longer ago than this makes the worker degraded.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00", ErrorMessage = "Health:LastRunOlderThan must be between 00:01:00 and 365.00:00:00, e.g. 1.12:00:00 for 36 hours.")]
    public TimeSpan LastRunOlderThan { get; set; } = TimeSpan.FromHours(36);
}

/// <summary>
/// ASP.NET Core health checks: /healthz answers while the process runs (liveness); /readyz checks the database and
/// the scheduler (unhealthy: 503) and the instances' last successful runs (degraded: 200, naming the stale ones).
/// </summary>
public static class WorkerHealth
{
    private const string Ready = "ready";

    public static void AddWorkerHealth(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddHealthChecks()
            .AddCheck<DatabaseCheck>("database", tags: [Ready])
            .AddCheck<SchedulerCheck>("scheduler", tags: [Ready])
            .AddCheck<LastRunsCheck>("last_runs", tags: [Ready]);
    }

    public static void MapWorkerHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync });
    }

    /// <summary>{"status": "Healthy|Degraded|Unhealthy", "checks": {"database": {"status": ..., "description": ...}, ...}}</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    }

    private sealed class DatabaseCheck(NpgsqlDataSource database) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(cancellationToken);
                await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
                return HealthCheckResult.Healthy("The database answers.");
            }
            catch (NpgsqlException e)
            {
                return HealthCheckResult.Unhealthy($"The database is not reachable: {e.Message}");
            }
        }
    }

    private sealed class SchedulerCheck(ISchedulerFactory schedulers) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            return await scheduler.GetStatus(cancellationToken) == SchedulerStatus.Running
                ? HealthCheckResult.Healthy("The scheduler runs.")
                : HealthCheckResult.Unhealthy("The scheduler is not running.");
        }
    }

    /// <summary>Enabled instances whose last successful run (or, never run, whose creation) is older than Health:LastRunOlderThan.</summary>
    private sealed class LastRunsCheck(NpgsqlDataSource database, IOptions<HealthOptions> options, TimeProvider clock) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var limit = options.Value.LastRunOlderThan;
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var stale = (await connection.QueryAsync<(string Name, DateTime? LastSuccess)>(new CommandDefinition("""
                SELECT i.name, max(r.ended_at) FILTER (WHERE r.status = 'succeeded')
                FROM etl.instance i LEFT JOIN etl.sync_run r ON r.instance_id = i.id
                WHERE i.enabled
                GROUP BY i.id, i.name, i.created_at
                HAVING coalesce(max(r.ended_at) FILTER (WHERE r.status = 'succeeded'), i.created_at) < @cutoff
                ORDER BY i.name
                """, new { cutoff = clock.GetUtcNow() - limit }, cancellationToken: cancellationToken))).ToList();
            if (stale.Count == 0) return HealthCheckResult.Healthy($"Every enabled instance succeeded within {limit.TotalHours:0.#} h.");
            var names = stale.Select(s => $"{s.Name} ({(s.LastSuccess is { } at ? "last " + at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "never")})");
            return HealthCheckResult.Degraded($"{stale.Count} instance(s) without a successful run for more than {limit.TotalHours:0.#} h: {string.Join(", ", names)}.");
        }
    }
}
