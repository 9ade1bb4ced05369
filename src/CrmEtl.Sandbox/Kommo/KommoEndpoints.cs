using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// One Kommo account's host: the OAuth token endpoint and API v4. Every API request is checked in Kommo's order as
/// the sandbox models it: a blocked account answers 403; then the bearer token (401), the subscription (402), the
/// integration's requests per second (429, and a block after repeated excess); then the injected faults. Lists answer
/// application/hal+json, errors application/problem+json (error-codes.md). Writes (POST, PATCH) are checked and
/// counted the same way, and a lost answer (Faults.LoseWriteAnswers) loses the answer of a write that was made.
/// </summary>
internal sealed class KommoEndpoints(KommoAccount account, Faults faults, KommoRateLimits limits, TimeProvider clock)
{
    private const string Hal = "application/hal+json", Problem = "application/problem+json", TokenJson = "application/json";

    /// <summary>API calls served, per operation such as "GET /api/v4/leads".</summary>
    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>The time a write is made at: the clock's, in whole seconds as Kommo keeps times (Unix seconds).</summary>
    private DateTime WriteTime => Pipedrive.PipedriveGenerator.Truncate(Now);

    private delegate void Handler(KommoQuery query, Utf8JsonWriter writer);

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/oauth2/access_token", TokenAsync);
        Get(app, "/api/v4/account", (q, w) => KommoJson.Account(w, account, q.With, Now));
        Get(app, "/api/v4/users", (q, w) => q.WritePage(w, account.BaseUrl, "users", account.Data.Users, KommoLists.MaxLimit, (jw, u) => KommoJson.User(jw, account, u, q.With), counts: true));
        Get(app, "/api/v4/users/{id:long}", (q, w) => KommoJson.User(w, account, account.Data.Users.Find(u => account.UserId(u.Id) == Id(q)) ?? throw new KommoNoContent(), q.With));
        Get(app, "/api/v4/leads/pipelines", (q, w) => Pipelines(w));
        Get(app, "/api/v4/leads/pipelines/{id:long}", (q, w) => KommoJson.Pipeline(w, account, Pipeline(Id(q))));
        Get(app, "/api/v4/leads/pipelines/{id:long}/statuses", (q, w) => Statuses(w, Pipeline(Id(q))));
        Get(app, "/api/v4/leads/pipelines/{id:long}/statuses/{status:long}", (q, w) =>
            KommoJson.Status(w, account, account.StatusesOf(Pipeline(Id(q))).FirstOrDefault(s => s.Id == Id(q, "status")) ?? throw new KommoNoContent()));
        Get(app, "/api/v4/leads", (q, w) => KommoLists.Leads(account, q, w));
        Get(app, "/api/v4/leads/{id:long}", (q, w) => KommoLists.Lead(account, q, w, Id(q)));
        Get(app, "/api/v4/contacts", (q, w) => KommoLists.Contacts(account, q, w));
        Get(app, "/api/v4/contacts/{id:long}", (q, w) => KommoLists.Contact(account, q, w, Id(q)));
        Get(app, "/api/v4/companies", (q, w) => KommoLists.Companies(account, q, w));
        Get(app, "/api/v4/companies/{id:long}", (q, w) => KommoLists.Company(account, q, w, Id(q)));
        Get(app, "/api/v4/tasks", (q, w) => KommoLists.Tasks(account, q, w));
        Get(app, "/api/v4/tasks/{id:long}", (q, w) => KommoLists.Task(account, w, Id(q)));
        foreach (var (entity, fields) in new[] { ("leads", account.LeadFields), ("contacts", account.ContactFields), ("companies", account.CompanyFields) })
        {
            Get(app, $"/api/v4/{entity}/custom_fields", (q, w) => KommoLists.CustomFields(account, q, w, fields));
            Get(app, $"/api/v4/{entity}/custom_fields/{{id:long}}", (q, w) => KommoJson.CustomField(w, account, fields.FirstOrDefault(f => f.Id == Id(q)) ?? throw new KommoNoContent()));
            Get(app, $"/api/v4/{entity}/notes", (q, w) => KommoLists.Notes(account, q, w, entity, null));
            Get(app, $"/api/v4/{entity}/notes/{{id:long}}", (q, w) => KommoLists.Note(account, w, entity, Id(q)));
            Get(app, $"/api/v4/{entity}/{{entity_id:long}}/notes", (q, w) => KommoLists.Notes(account, q, w, entity, Id(q, "entity_id")));
        }
        Get(app, "/api/v4/events", (q, w) => KommoLists.Events(account, q, w));
        Get(app, "/api/v4/events/{id}", (q, w) => KommoLists.Event(account, w, q.Request.RouteValues["id"]?.ToString() ?? ""));
        MapWrites(app);
        app.MapFallback(context => WriteProblem(context, new KommoError(404, "Not Found", "No such method of API v4")));
    }

    private void Get(IEndpointRouteBuilder app, string pattern, Handler handler) =>
        app.MapGet(pattern, context => ServeAsync(context, "GET " + pattern, handler, write: false));

    /// <summary>A POST or PATCH: checked and limited as the reads are; its JSON body is in <see cref="KommoQuery.Body"/>.</summary>
    private void Write(IEndpointRouteBuilder app, string method, string pattern, Handler handler) =>
        app.MapMethods(pattern, [method], context => ServeAsync(context, $"{method} {pattern}", handler, write: true));

    /// <summary>The write endpoints (KommoWrites): contacts, companies, leads (and complex), tasks, notes.</summary>
    private void MapWrites(IEndpointRouteBuilder app)
    {
        Write(app, "POST", "/api/v4/contacts", (q, w) => KommoWrites.AddContacts(account, q.Body, w, WriteTime));
        Write(app, "PATCH", "/api/v4/contacts", (q, w) => KommoWrites.UpdateContacts(account, q.Body, null, w, WriteTime));
        Write(app, "PATCH", "/api/v4/contacts/{id:long}", (q, w) => KommoWrites.UpdateContacts(account, q.Body, Id(q), w, WriteTime));
        Write(app, "POST", "/api/v4/companies", (q, w) => KommoWrites.AddCompanies(account, q.Body, w, WriteTime));
        Write(app, "PATCH", "/api/v4/companies", (q, w) => KommoWrites.UpdateCompanies(account, q.Body, null, w, WriteTime));
        Write(app, "PATCH", "/api/v4/companies/{id:long}", (q, w) => KommoWrites.UpdateCompanies(account, q.Body, Id(q), w, WriteTime));
        Write(app, "POST", "/api/v4/leads", (q, w) => KommoWrites.AddLeads(account, q.Body, w, WriteTime));
        Write(app, "POST", "/api/v4/leads/complex", (q, w) => KommoWrites.AddLeadsComplex(account, q.Body, w, WriteTime));
        Write(app, "PATCH", "/api/v4/leads", (q, w) => KommoWrites.UpdateLeads(account, q.Body, null, w, WriteTime));
        Write(app, "PATCH", "/api/v4/leads/{id:long}", (q, w) => KommoWrites.UpdateLeads(account, q.Body, Id(q), w, WriteTime));
        Write(app, "POST", "/api/v4/tasks", (q, w) => KommoWrites.AddTasks(account, q.Body, w, WriteTime));
        foreach (var entity in (string[])["leads", "contacts", "companies"])
        {
            Write(app, "POST", $"/api/v4/{entity}/notes", (q, w) => KommoWrites.AddNotes(account, q.Body, entity, null, w, WriteTime));
            Write(app, "POST", $"/api/v4/{entity}/{{entity_id:long}}/notes", (q, w) => KommoWrites.AddNotes(account, q.Body, entity, Id(q, "entity_id"), w, WriteTime));
        }
    }

    private static long Id(KommoQuery q, string name = "id") =>
        long.Parse(q.Request.RouteValues[name]?.ToString() ?? "0", CultureInfo.InvariantCulture);

    private Pipedrive.SbPipeline Pipeline(long id) =>
        account.Data.Pipelines.Find(p => account.PipelineId(p.Id) == id) ?? throw new KommoNoContent();

    private void Pipelines(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("_total_items", account.Data.Pipelines.Count);
        KommoJson.SelfLinks(w, $"{account.BaseUrl}/api/v4/leads/pipelines");
        w.WriteStartObject("_embedded");
        w.WriteStartArray("pipelines");
        foreach (var pipeline in account.Data.Pipelines) KommoJson.Pipeline(w, account, pipeline);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void Statuses(Utf8JsonWriter w, Pipedrive.SbPipeline pipeline)
    {
        var statuses = account.StatusesOf(pipeline);
        w.WriteStartObject();
        w.WriteNumber("_total_items", statuses.Count);
        KommoJson.SelfLinks(w, $"{account.BaseUrl}/api/v4/leads/pipelines/{account.PipelineId(pipeline.Id)}/statuses");
        w.WriteStartObject("_embedded");
        w.WriteStartArray("statuses");
        foreach (var status in statuses) KommoJson.Status(w, account, status);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private async Task ServeAsync(HttpContext context, string operation, Handler handler, bool write)
    {
        if (faults.Latency > TimeSpan.Zero) await Task.Delay(faults.Latency, context.RequestAborted);
        var subdomain = account.Options.Subdomain;
        var refusal = limits.IsBlocked(subdomain) ? Blocked
            : Bearer(context) is not { } token || !account.Auth.Accepts(token, Now) ? Unauthorized
            : account.Unpaid ? Unpaid
            : limits.Admit(subdomain, account.Options.ClientId) switch
            {
                KommoRateLimits.Verdict.TooMany => TooMany,
                KommoRateLimits.Verdict.Blocked => Blocked,
                _ => null,
            };
        if (refusal is not null)
        {
            await WriteProblem(context, refusal);
            return;
        }
        Calls.AddOrUpdate(operation, 1, (_, n) => n + 1);
        // Faults act on requests Kommo would have answered, as in the Zoho sandbox: a refused one does not use one up.
        var fault = faults.Next(context.Request.Path.Value ?? "", write);
        if (await FaultAsync(context, fault)) return;

        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            var body = write ? await BodyAsync(context.Request) : null;
            using var writer = new Utf8JsonWriter(buffer);
            lock (account.Sync) handler(new KommoQuery(context.Request, body), writer);
            writer.Flush();
        }
        catch (KommoError e)
        {
            await WriteProblem(context, e);
            return;
        }
        catch (KommoNoContent)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        if (fault == Faults.Kind.LostAnswer)
        {
            // The write is made; only its answer is lost, as when a connection drops after the server committed.
            if (faults.LostAnswerDelay > TimeSpan.Zero) await Task.Delay(faults.LostAnswerDelay, context.RequestAborted);
            context.Abort();
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = Hal;
        await context.Response.Body.WriteAsync(Faults.Damage(fault, buffer.WrittenMemory, FirstRecord), context.RequestAborted);
    }

    // The answers error-codes.md lists, with its descriptions as their detail.
    private static readonly KommoError Unauthorized = new(401, "Unauthorized", "Общая ошибка авторизации. Неправильный логин или пароль.");
    private static readonly KommoError Unpaid = new(402, "Payment Required", "Подписка закончилась");
    private static readonly KommoError Blocked = new(403, "Forbidden", "Аккаунт заблокирован, за неоднократное превышение количества запросов в секунду");
    private static readonly KommoError TooMany = new(429, "Too Many Requests", "Превышено допустимое количество запросов в секунду");
    private static readonly KommoError ServerError = new(500, "Internal Server Error", "Internal Server Error");

    private static string? Bearer(HttpContext context) =>
        context.Request.Headers.Authorization.FirstOrDefault() is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;

    /// <summary>A HAL body's first record: the first of its _embedded list, or the body itself when it is one record.</summary>
    private static JsonObject? FirstRecord(JsonNode? root) =>
        root?["_embedded"] is JsonObject embedded && embedded.FirstOrDefault(p => p.Value is JsonArray).Value is JsonArray { Count: > 0 } list ? list[0] as JsonObject
            : root as JsonObject;

    /// <summary>Answers in place of the API when <paramref name="fault"/> replaces the answer; false when it does not.</summary>
    private static async Task<bool> FaultAsync(HttpContext context, Faults.Kind fault)
    {
        switch (fault)
        {
            case Faults.Kind.Burst429 or Faults.Kind.Burst429NoHeaders:
                await WriteProblem(context, TooMany);
                return true;
            case Faults.Kind.ServerError:
                await WriteProblem(context, ServerError);
                return true;
            case Faults.Kind.Revoked:
                await WriteProblem(context, Unauthorized);
                return true;
            case Faults.Kind.Malformed:
                context.Response.ContentType = Hal;
                await context.Response.WriteAsync("{\"_page\":1,\"_embedded\":{\"leads\":[{\"id\":12,\"name\":<html>Bad gateway</html>", context.RequestAborted);
                return true;
            case Faults.Kind.Truncated:
                context.Response.ContentType = Hal;
                await context.Response.WriteAsync("{\"_page\":1,\"_embedded\":{\"leads\":[{\"id\":1,", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                context.Abort();
                return true;
            default:
                return false;
        }
    }

    /// <param name="contentType">The API's errors are problem+json; the token endpoint's are application/json (step-by-step.md).</param>
    /// <param name="hint">The token endpoint's hint at what was wrong.</param>
    internal static Task WriteProblem(HttpContext context, KommoError e, string contentType = Problem, string? hint = null)
    {
        context.Response.StatusCode = e.Status;
        context.Response.ContentType = contentType;
        var body = new JsonObject();
        if (e.ValidationErrors is { } invalid)
        {
            body["validation-errors"] = new JsonArray([.. invalid.Select(r => new JsonObject
            {
                ["request_id"] = r.RequestId,
                ["errors"] = new JsonArray([.. r.Errors.Select(f => new JsonObject { ["code"] = f.Code, ["path"] = f.Path, ["detail"] = f.Detail })]),
            })]);
        }
        body["title"] = e.Title;
        body["type"] = $"https://httpstatus.es/{e.Status}";
        body["status"] = e.Status;
        body["detail"] = e.Message;
        if (hint is not null) body["hint"] = hint;
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    // ---- OAuth -----------------------------------------------------------------------------------------------------

    /// <summary>
    /// POST /oauth2/access_token with a JSON or form body (step-by-step.md). Honours latency, 5xx and lost answers:
    /// a lost answer is lost after the exchange, so that the refresh token sent is spent and the new pair never arrives.
    /// </summary>
    private async Task TokenAsync(HttpContext context)
    {
        if (faults.Latency > TimeSpan.Zero) await Task.Delay(faults.Latency, context.RequestAborted);
        var fault = faults.Next(context.Request.Path.Value ?? "", write: true);
        if (fault == Faults.Kind.ServerError)
        {
            await WriteProblem(context, ServerError, TokenJson);
            return;
        }
        var parameters = await ParametersAsync(context.Request);
        (string Access, string Refresh) pair;
        try
        {
            pair = account.Auth.Exchange(name => parameters.GetValueOrDefault(name), Now);
        }
        catch (OAuthRefusal refusal)
        {
            await WriteProblem(context, KommoError.BadRequest(refusal.Message), TokenJson, refusal.Hint);
            return;
        }
        if (fault == Faults.Kind.LostAnswer)
        {
            if (faults.LostAnswerDelay > TimeSpan.Zero) await Task.Delay(faults.LostAnswerDelay, context.RequestAborted);
            context.Abort();
            return;
        }
        context.Response.ContentType = TokenJson;
        await context.Response.WriteAsync(new JsonObject
        {
            ["token_type"] = "Bearer", ["expires_in"] = (int)KommoAuth.AccessLifetime.TotalSeconds, ["server_time"] = KommoJson.Unix(Now),
            ["access_token"] = pair.Access, ["refresh_token"] = pair.Refresh,
        }.ToJsonString(), context.RequestAborted);
    }

    /// <summary>A write's body: JSON (Content-Type application/json, as every write's 'Заголовок запроса' says); anything else is a 400.</summary>
    private static async Task<JsonNode?> BodyAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            throw KommoError.BadRequest($"The body is not JSON: {e.Message}");
        }
    }

    private static async Task<Dictionary<string, string>> ParametersAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
            return (await request.ReadFormAsync(request.HttpContext.RequestAborted)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        try
        {
            var body = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted) as JsonObject;
            return body?.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
