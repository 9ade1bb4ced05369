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

    /// <summary>
    /// Metrics and traces of every command and worker: CrmEtl's own, Npgsql's, HttpClient's and the runtime's;
    /// sent to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set. The worker adds /metrics for Prometheus.
    /// </summary>
    public static OpenTelemetryBuilder AddCrmEtlTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SyncTelemetry>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("crmetl"))
            .WithMetrics(m => m.AddMeter(SyncTelemetry.Name).AddNpgsqlInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation())
            .WithTracing(t => t.AddSource(SyncTelemetry.Name).AddNpgsql().AddHttpClientInstrumentation());
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable))) telemetry.UseOtlpExporter();
        return telemetry;
    }
}
