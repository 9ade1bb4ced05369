using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CrmEtl.Host.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>The OpenTelemetry standard variable that turns the OTLP exporter on (with OTEL_EXPORTER_OTLP_PROTOCOL and friends).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private static bool OtlpConfigured => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable));

    /// <summary>
    /// Metrics of every command and worker: CrmEtl's own, Npgsql's, HttpClient's and the runtime's. When
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set, they and the traces (a span per run, with its CRM calls and database
    /// commands) go to that collector; without one, no span is even made.
    /// </summary>
    public static void AddCrmEtlTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SyncTelemetry>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("crmetl"))
            .WithMetrics(m => m.AddMeter(SyncTelemetry.Name).AddNpgsqlInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation());
        if (OtlpConfigured) telemetry.WithTracing(t => t.AddSource(SyncTelemetry.Name).AddNpgsql().AddHttpClientInstrumentation()).UseOtlpExporter();
    }

    /// <summary>The worker's additions: its HTTP requests measured (and traced, with a collector), and /metrics for Prometheus.</summary>
    public static void AddWorkerTelemetry(this IServiceCollection services)
    {
        var telemetry = services.AddOpenTelemetry().WithMetrics(m => m.AddPrometheusExporter().AddAspNetCoreInstrumentation());
        if (OtlpConfigured) telemetry.WithTracing(t => t.AddAspNetCoreInstrumentation());
    }
}
