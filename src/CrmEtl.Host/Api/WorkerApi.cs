using System.Security.Cryptography;
using System.Text;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Customers;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Scheduling;
using CrmEtl.Host.Sync;
using CrmEtl.Host.Telemetry;
using CrmEtl.Storage.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Quartz;
using Scalar.AspNetCore;

namespace CrmEtl.Host.Api;

/// <summary>
/// The worker's HTTP API: instances and their lifecycle, refresh now, runs, health. Everything under
/// /api needs the X-Api-Key header; /healthz, /readyz and the OpenAPI document (/openapi/v1.json) do not.
/// </summary>
public static class WorkerApi
{
    public const string KeyHeader = "X-Api-Key";
    public const string MetricsPath = "/metrics";
    public const string DocsPath = "/api/docs";

    public static void AddWorkerApi(this WebApplicationBuilder builder, string? urls)
    {
        builder.Services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.SectionName))
            .PostConfigure(o => o.Urls = urls ?? o.Urls).ValidateDataAnnotations().ValidateOnStart();
        // Kestrel's limit and addresses (see MapWorkerApi) come from the validated options, not from a second reading.
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((k, api) => k.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<ApiKey>();
        builder.Services.AddWorkerHealth(builder.Configuration);
        builder.Services.AddWorkerTelemetry();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo { Title = "CrmEtl worker", Version = "v1", Description = $"Send the API key in the {KeyHeader} header on every /api request." };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = KeyHeader };
            return Task.CompletedTask;
        }));
    }

    public static void MapWorkerApi(this WebApplication app)
    {
        foreach (var url in app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            app.Urls.Add(url);
        app.UseMiddleware<ApiErrors>();
        app.UseMiddleware<ApiKeyCheck>();
        app.UseMiddleware<Customers.CustomerAccess>();
        app.MapOpenApi();
        app.MapWorkerHealth();
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        app.MapScalarApiReference(DocsPath, o => o.WithTitle("CrmEtl worker API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));

        var api = app.MapGroup("/api");
        api.MapGet("/instances", ListInstancesAsync).WithSummary("Every instance with its status, last run and next scheduled fire.");
        api.MapGet("/instances/{id:int}", GetInstanceAsync).WithSummary("One instance.");
        api.MapPost("/instances", AddInstanceAsync).WithSummary("Add an instance: Pipedrive with token (stored encrypted) or tokenEnv; Zoho (kind zoho) with clientId, clientSecret and refreshToken, url being its accounts server.");
        api.MapPatch("/instances/{id:int}", EditInstanceAsync).WithSummary("Change an instance; fields left out stay as they are.");
        api.MapDelete("/instances/{id:int}", RemoveInstanceAsync).WithSummary("Remove an instance and everything synced from it.");
        api.MapPost("/instances/{id:int}/test", TestInstanceAsync).WithSummary("Sign in to the CRM and list its pipelines and stages.");
        api.MapPost("/instances/{id:int}/disable", DisableInstanceAsync).WithSummary("Stop scheduled and requested runs.");
        api.MapPost("/instances/{id:int}/enable", EnableInstanceAsync).WithSummary("Schedule the instance again (after a connection test).");
        api.MapPost("/instances/{id:int}/reset", ResetInstanceAsync).WithSummary("Drop the replica, mappings and metrics; the next run is a full sync.");
        api.MapPost("/instances/{id:int}/refresh", RefreshAsync).WithSummary("Sync now. A run already queued or running is returned instead of a new one.");
        api.MapGet("/runs/{id:long}", GetRunAsync).WithSummary("One run with its progress or outcome.");
        api.MapGet("/runs", ListRunsAsync).WithSummary("Run history, newest first.");
        app.MapCustomerApi();
        Webhooks.WebhookEndpoints.MapWebhooks(app);
        Forms.FormEndpoints.MapForms(app);
        Trello.TrelloApi.MapTrelloApi(api);
        Forms.FormApi.MapFormApi(api);
    }

    private static async Task<IResult> ListInstancesAsync(InstanceViews views, CancellationToken ct) => Results.Ok(await views.ListAsync(ct));

    private static async Task<IResult> GetInstanceAsync(int id, InstanceLifecycle lifecycle, InstanceViews views, CancellationToken ct) =>
        Results.Ok(await views.OfAsync(await lifecycle.FindAsync(id, ct), ct));

    private static async Task<IResult> AddInstanceAsync(InstanceInput body, InstanceLifecycle lifecycle, InstanceViews views, CancellationToken ct)
    {
        Check(body.Validate(isNew: true, forApi: true));
        var added = await lifecycle.AddAsync(body, ct);
        return Results.Created($"/api/instances/{added.Id}", await views.OfAsync(added, ct));
    }

    private static async Task<IResult> EditInstanceAsync(int id, InstanceInput body, InstanceLifecycle lifecycle, InstanceViews views, CancellationToken ct)
    {
        var instance = await lifecycle.FindAsync(id, ct);
        Check(body.Validate(isNew: false, forApi: true, currentKind: instance.Kind));
        return Results.Ok(await views.OfAsync(await lifecycle.EditAsync(instance, body, ct), ct));
    }

    private static async Task<IResult> RemoveInstanceAsync(int id, InstanceLifecycle lifecycle, CancellationToken ct)
    {
        await lifecycle.RemoveAsync(await lifecycle.FindAsync(id, ct), ct);
        return Results.NoContent();
    }

    private static async Task<IResult> TestInstanceAsync(int id, InstanceLifecycle lifecycle, CancellationToken ct) =>
        Results.Ok(await lifecycle.TestAsync(await lifecycle.FindAsync(id, ct), ct));

    private static async Task<IResult> DisableInstanceAsync(int id, InstanceLifecycle lifecycle, InstanceViews views, CancellationToken ct)
    {
        var instance = await lifecycle.FindAsync(id, ct);
        await lifecycle.DisableAsync(instance, ct);
        return Results.Ok(await views.OfAsync(await lifecycle.FindAsync(id, ct), ct));
    }

    private static async Task<IResult> EnableInstanceAsync(int id, InstanceLifecycle lifecycle, CancellationToken ct) =>
        Results.Ok(await lifecycle.EnableAsync(await lifecycle.FindAsync(id, ct), ct));

    private static async Task<IResult> ResetInstanceAsync(int id, InstanceLifecycle lifecycle, InstanceViews views, CancellationToken ct)
    {
        var instance = await lifecycle.FindAsync(id, ct);
        await lifecycle.ResetAsync(instance, ct);
        return Results.Ok(await views.OfAsync(instance, ct));
    }

    private static async Task<IResult> RefreshAsync(int id, string? mode, InstanceLifecycle lifecycle, RefreshRequests refresh, CancellationToken ct)
    {
        if (mode is not (null or "incremental" or "full"))
            throw new InstanceInputException([$"mode '{mode}' is not 'incremental' (the default) or 'full'."]);
        var accepted = await refresh.RequestAsync(await lifecycle.FindAsync(id, ct), mode == "full" ? SyncMode.Full : SyncMode.Incremental, ct);
        return Results.Accepted($"/api/runs/{accepted.RunId}", new { runId = accepted.RunId, coalesced = !accepted.Created });
    }

    private static async Task<IResult> GetRunAsync(long id, SyncRunLog runs, CancellationToken ct) =>
        await runs.FindAsync(id, ct) is { } run ? Results.Ok(RunView.Of(run)) : throw new InstanceNotFoundException($"There is no run {id}.");

    private static async Task<IResult> ListRunsAsync(int? instance, int? limit, SyncRunLog runs, CancellationToken ct)
    {
        if (limit is < 1 or > 1000) throw new InstanceInputException(["limit must be between 1 and 1000."]);
        return Results.Ok((await runs.ListAsync(instance, limit ?? 50, ct)).Select(RunView.Of));
    }

    private static void Check(List<string> problems)
    {
        if (problems.Count > 0) throw new InstanceInputException(problems);
    }

    /// <summary>
    /// /api (but its rendered reference and the customer card, which <see cref="Customers.CustomerAccess"/> guards) and
    /// /metrics need the key, before anything of the request is read: a caller without it learns nothing, not even that
    /// its body was bad.
    /// </summary>
    private sealed class ApiKeyCheck(RequestDelegate next, ApiKey key)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            var path = context.Request.Path;
            var guarded = (path.StartsWithSegments("/api") && !path.StartsWithSegments(DocsPath) && !path.StartsWithSegments(Customers.CustomerApi.ApiPath))
                || path.StartsWithSegments(MetricsPath);
            if (guarded && !key.IsSentIn(context.Request))
            {
                await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: $"Send the worker's API key (Api:Key) in the {KeyHeader} header (or as 'Authorization: Bearer <key>').").ExecuteAsync(context);
                return;
            }
            await next(context);
        }
    }

    /// <summary>Turns the errors a person can fix into problem details with the right status, instead of a 500.</summary>
    private sealed class ApiErrors(RequestDelegate next)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (StatusOf(e) is { } status && !context.Response.HasStarted)
            {
                var problems = e switch { InstanceInputException input => input.Problems, Customers.CustomerRequestException c => c.Problems, _ => [e.Message] };
                await Results.Problem(statusCode: status, title: problems.Count == 1 ? problems[0] : "The request is not valid.", detail: string.Join(" ", problems),
                    extensions: new Dictionary<string, object?> { ["errors"] = problems }).ExecuteAsync(context);
            }
        }

        private static int? StatusOf(Exception e) => e switch
        {
            Customers.CustomerRequestException c => c.Status,
            InstanceNotFoundException => StatusCodes.Status404NotFound,
            Microsoft.AspNetCore.Http.BadHttpRequestException bad => bad.StatusCode,
            InstanceInputException => StatusCodes.Status400BadRequest,
            InstanceBusyException or InstanceDisabledException or CrmEtl.Storage.Instances.DuplicateInstanceNameException => StatusCodes.Status409Conflict,
            // Trello refused or failed: the gateway's answer, with what Trello said.
            CrmEtl.Core.Trello.TrelloException => StatusCodes.Status502BadGateway,
            // The CRM refused what was given to sign in with (an authorization code), or did not answer.
            CrmEtl.Core.Sync.CrmAuthException => StatusCodes.Status400BadRequest,
            CrmEtl.Core.Sync.CrmException => StatusCodes.Status502BadGateway,
            _ => null,
        };
    }
}

/// <summary>A run as the API shows it.</summary>
public sealed record RunView(
    long Id, int InstanceId, string Instance, string Mode, string Status, string RequestedBy, string? Worker, int Resumed,
    int ApiCalls, int Tokens, long RowsRead, long RowsWritten, string? Error, DateTime RequestedAt, DateTime StartedAt, DateTime? EndedAt)
{
    public static RunView Of(SyncRunRecord r) => new(r.Id, r.InstanceId, r.Instance, r.Mode, r.Status, r.RequestedBy, r.Worker, r.Resumed,
        r.ApiCalls, r.Tokens, r.RowsRead, r.RowsWritten, r.Error,
        DateTime.SpecifyKind(r.RequestedAt, DateTimeKind.Utc), DateTime.SpecifyKind(r.StartedAt, DateTimeKind.Utc),
        r.EndedAt is { } e ? DateTime.SpecifyKind(e, DateTimeKind.Utc) : null);
}

/// <summary>An instance as the API shows it: the token masked, its last run and next scheduled fire.</summary>
public sealed record InstanceView(
    int Id, string Name, string Kind, string Url, string Token, string TimeZone, string Currency, string? Company, string Schedule,
    bool Enabled, string Status, string? LastError, RunView? LastRun, DateTimeOffset? NextFire);

public sealed class InstanceViews(CrmEtl.Storage.Instances.InstanceRepository instances, SyncRunLog runs, InstanceSchedules schedules)
{
    public async Task<IReadOnlyList<InstanceView>> ListAsync(CancellationToken ct)
    {
        var views = new List<InstanceView>();
        foreach (var instance in await instances.ListAsync(ct)) views.Add(await OfAsync(instance, ct));
        return views;
    }

    public async Task<InstanceView> OfAsync(Instance i, CancellationToken ct)
    {
        var recent = await runs.ListAsync(i.Id, 1, ct);
        var last = recent.Count > 0 ? recent[0] : null;
        return new InstanceView(i.Id, i.Name, i.Kind, i.BaseUrl, i.Credentials.ToString(), i.TimeZone, i.ReportingCurrency, i.Company, i.Schedule,
            i.Enabled, i.Status, i.LastError, last is null ? null : RunView.Of(last), await schedules.NextFireAsync(i.Id, ct));
    }
}

/// <summary>
/// The worker's API key, as callers send it: in X-Api-Key, or as a bearer token (what Prometheus sends). Compared in
/// constant time: hashing first makes the comparison take the same time whatever the length of what was sent.
/// </summary>
public sealed class ApiKey(IOptions<ApiOptions> options)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Key ?? ""));

    public bool IsSentIn(HttpRequest request)
    {
        var sent = request.Headers[WorkerApi.KeyHeader].ToString();
        var authorization = request.Headers.Authorization.ToString();
        if (sent.Length == 0 && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) sent = authorization["Bearer ".Length..].Trim();
        return sent.Length > 0 && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(sent)), _expected);
    }
}
