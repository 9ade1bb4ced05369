using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>A request the sandbox refuses, with Pipedrive's status code and message.</summary>
internal sealed class PipedriveError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The Pipedrive API surface the connectors use: v2 deals (incl. archived and deleted), activities,
/// pipelines, stages, dealFields; v1 users, currencies, activityTypes, leads, deal changelog and flow.
/// Every call is authenticated, charged against the token budget and burst window, and may be hit
/// by an injected fault.
/// </summary>
internal sealed partial class PipedriveEndpoints(IReadOnlyList<PipedriveCompany> companies, Faults faults, TimeProvider clock)
{
    private const int MaxLimit = 500;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] DealStatuses = ["open", "won", "lost", "deleted"];

    /// <summary>Calls served per operation and company, for tests and benchmarks.</summary>
    public ConcurrentDictionary<(string Company, string Operation), int> Calls { get; } = new();

    public void Map(IEndpointRouteBuilder app)
    {
        MapV2(app, "/deals", (c, q, w) => Deals(c, q, w, archived: false));
        MapV2(app, "/deals/archived", (c, q, w) => Deals(c, q, w, archived: true));
        MapV2(app, "/activities", Activities);
        MapV2(app, "/persons", Persons);
        MapV2(app, "/organizations", Organizations);
        MapV2(app, "/pipelines", (c, q, w) => Page(w, q, c.Pipelines, p => p.Id, p => p.Id, _ => true, PipedriveJson.Pipeline));
        MapV2(app, "/stages", Stages);
        MapV2(app, "/dealFields", (c, q, w) => Page(w, q, c.DealFields.Select((f, i) => (f, i)).ToList(), x => x.i, x => x.i, _ => true, (jw, x) => PipedriveJson.DealField(jw, x.f)));
        MapV1(app, "/users", (c, q, w) => All(w, c.Users, (jw, u) => PipedriveJson.User(jw, u, u.Id == c.Users[0].Id, clock.GetUtcNow().UtcDateTime)));
        MapV1(app, "/users/me", (c, q, w) => One(w, x => PipedriveJson.User(x, c.Users[0], isYou: true, clock.GetUtcNow().UtcDateTime, c.Options)));
        MapV1(app, "/currencies", (c, q, w) => All(w, c.Currencies.Where(x => Matches(q.Raw("term"), x.Code, x.Name)).ToList(), PipedriveJson.Currency));
        MapV1(app, "/activityTypes", (c, q, w) => All(w, c.ActivityTypes, PipedriveJson.ActivityType));
        MapV1(app, "/leads", (c, q, w) => Leads(c, q, w, archived: false));
        MapV1(app, "/leads/archived", (c, q, w) => Leads(c, q, w, archived: true));
        MapV1(app, "/deals/{id}/changelog", Changelog);
        MapV1(app, "/deals/{id}/flow", Flow);
        foreach (var prefix in new[] { "/api/v1", "/v1" })
        {
            app.MapPost(prefix + "/webhooks", context => Serve(context, "v1 POST /webhooks", CreateWebhook, queryTokenAllowed: true, status: 201));
            app.MapDelete(prefix + "/webhooks/{id}", context => Serve(context, "v1 DELETE /webhooks/{id}", DeleteWebhook, queryTokenAllowed: true));
        }
        MapWrites(app);
        MapV1(app, "/webhooks", (c, q, w) => All(w, c.Webhooks.Where(h => h.IsActive).ToList(), PipedriveJson.Webhook));
        app.MapFallback(context => WriteError(context, 404, "Unknown method ."));
    }

    private delegate void Handler(PipedriveCompany company, RequestQuery query, Utf8JsonWriter writer);

    private void MapV2(IEndpointRouteBuilder app, string path, Handler handler) =>
        app.MapGet("/api/v2" + path, context => Serve(context, "v2 GET " + path, handler, queryTokenAllowed: false));

    private void MapV1(IEndpointRouteBuilder app, string path, Handler handler)
    {
        // v1 answers under /api/v1 and, for older clients, /v1.
        app.MapGet("/api/v1" + path, context => Serve(context, "v1 GET " + path, handler, queryTokenAllowed: true));
        app.MapGet("/v1" + path, context => Serve(context, "v1 GET " + path, handler, queryTokenAllowed: true));
    }

    private async Task Serve(HttpContext context, string operation, Handler handler, bool queryTokenAllowed, int status = 200)
    {
        JsonNode? body = null;
        if (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPatch(context.Request.Method))
        {
            try { body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted); }
            catch (JsonException) { body = null; }
            if (body is not JsonObject)
            {
                await WriteError(context, 400, "Validation failed: the request body must be a JSON object.");
                return;
            }
        }
        if (faults.Latency > TimeSpan.Zero) await Task.Delay(faults.Latency, context.RequestAborted);

        var token = context.Request.Headers["x-api-token"].FirstOrDefault()
            ?? (queryTokenAllowed ? context.Request.Query["api_token"].FirstOrDefault() : null);
        var company = token is null ? null : companies.FirstOrDefault(c => string.Equals(c.ApiToken, token, StringComparison.Ordinal));
        if (company is null)
        {
            await WriteError(context, 401, "unauthorized access");
            return;
        }
        Calls.AddOrUpdate((company.Options.Name, operation), 1, (_, n) => n + 1);

        var fault = faults.Next(context.Request.Path.Value ?? "", write: body is not null);
        switch (fault)
        {
            case Faults.Kind.Burst429:
                SetRateHeaders(context, company.Budget.BurstLimit, 0, 1);
                await WriteError(context, 429, "Request over limit");
                return;
            case Faults.Kind.Burst429NoHeaders:
                await WriteError(context, 429, "Request over limit");
                return;
            case Faults.Kind.ServerError:
                await WriteError(context, 500, "An internal server error occurred");
                return;
            case Faults.Kind.Revoked:
                await WriteError(context, 401, "unauthorized access");
                return;
            case Faults.Kind.Malformed:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"success\":true,\"data\":[{\"id\":12,\"title\":<html>Bad gateway</html>", context.RequestAborted);
                return;
            case Faults.Kind.Truncated:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"success\":true,\"data\":[{\"id\":1,", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                context.Abort();
                return;
        }

        var cost = TokenCosts.ByOperation[operation];
        var (verdict, remaining, reset) = company.Budget.Charge(cost, clock.GetUtcNow());
        SetRateHeaders(context, company.Budget.BurstLimit, remaining, reset);
        if (verdict == TokenBudget.Verdict.BurstExceeded)
        {
            await WriteError(context, 429, "Request over limit");
            return;
        }
        if (verdict == TokenBudget.Verdict.BudgetExhausted)
        {
            await WriteError(context, 429, "Request over limit: the company's daily token budget is used up. It resets at midnight.");
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            using var writer = new Utf8JsonWriter(buffer);
            lock (company.Sync)
            {
                company.Purge(clock.GetUtcNow().UtcDateTime);
                handler(company, new RequestQuery(context.Request, body), writer);
            }
            writer.Flush();
        }
        catch (PipedriveError e)
        {
            await WriteError(context, e.Status, e.Message);
            return;
        }
        if (fault == Faults.Kind.LostAnswer)
        {
            // The write is made; only its answer is lost, as when a connection drops after the server committed.
            if (faults.LostAnswerDelay > TimeSpan.Zero) await Task.Delay(faults.LostAnswerDelay, context.RequestAborted);
            context.Abort();
            return;
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Faults.Damage(fault, buffer.WrittenMemory), context.RequestAborted);
    }

    private static void SetRateHeaders(HttpContext context, int limit, int remaining, int reset)
    {
        context.Response.Headers["x-ratelimit-limit"] = limit.ToString(Inv);
        context.Response.Headers["x-ratelimit-remaining"] = remaining.ToString(Inv);
        context.Response.Headers["x-ratelimit-reset"] = reset.ToString(Inv);
    }

    internal static Task WriteError(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["success"] = false, ["error"] = message, ["errorCode"] = status,
            ["error_info"] = "Please check developers.pipedrive.com for more information about Pipedrive API.",
            ["data"] = null, ["additional_data"] = null,
        });
        return context.Response.WriteAsync(body, context.RequestAborted);
    }

    // ---- v2 lists -------------------------------------------------------------------------

    private void Deals(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w, bool archived)
    {
        var statuses = q.List("status", DealStatuses) ?? ["open", "won", "lost"];
        var since = q.Time("updated_since");
        var until = q.Time("updated_until");
        var pipeline = q.Long("pipeline_id");
        var stage = q.Long("stage_id");
        var owner = q.Long("owner_id");
        var person = q.Long("person_id");
        var organization = q.Long("org_id");
        bool Filter(SbDeal d) =>
            d.IsArchived == archived && statuses.Contains(d.ApiStatus) && (person is null || d.PersonId == person) && (organization is null || d.OrgId == organization) &&
            (since is null || d.UpdateTime >= since) && (until is null || d.UpdateTime < until) &&
            (pipeline is null || d.PipelineId == pipeline) && (stage is null || d.StageId == stage) && (owner is null || d.OwnerId == owner);
        var fields = company.DealFields;
        void Write(Utf8JsonWriter jw, SbDeal d) => PipedriveJson.Deal(jw, d, fields);

        switch (q.Sort(["id", "update_time", "add_time"]))
        {
            case "update_time":
                Page(w, q, company.DealsByUpdate(), d => d.UpdateTime.Ticks, d => d.Id, Filter, Write, since?.Ticks);
                break;
            case "add_time":
                Page(w, q, company.Deals, d => d.AddTime.Ticks, d => d.Id, Filter, Write);
                break;
            default:
                Page(w, q, company.Deals, d => d.Id, d => d.Id, Filter, Write);
                break;
        }
    }

    private void Activities(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var since = q.Time("updated_since");
        var until = q.Time("updated_until");
        var deal = q.Long("deal_id");
        var (person, organization) = (q.Long("person_id"), q.Long("org_id"));
        var owner = q.Long("owner_id");
        var done = q.Bool("done");
        bool Filter(SbActivity a) =>
            !a.IsDeleted && (since is null || a.UpdateTime >= since) && (until is null || a.UpdateTime < until) &&
            (deal is null || a.DealId == deal) && (person is null || a.PersonId == person) && (organization is null || a.OrgId == organization) && (owner is null || a.OwnerId == owner) && (done is null || a.Done == done);

        switch (q.Sort(["id", "update_time", "add_time", "due_date"]))
        {
            case "update_time":
                Page(w, q, company.ActivitiesByUpdate(), a => a.UpdateTime.Ticks, a => a.Id, Filter, PipedriveJson.Activity, since?.Ticks);
                break;
            case "due_date":
                Page(w, q, company.Activities.OrderBy(a => a.DueDate).ThenBy(a => a.Id).ToList(), a => a.DueDate.DayNumber, a => a.Id, Filter, PipedriveJson.Activity);
                break;
            case "add_time":
                Page(w, q, company.Activities, a => a.AddTime.Ticks, a => a.Id, Filter, PipedriveJson.Activity);
                break;
            default:
                Page(w, q, company.Activities, a => a.Id, a => a.Id, Filter, PipedriveJson.Activity);
                break;
        }
    }

    private static void Persons(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var (since, until) = (q.Time("updated_since"), q.Time("updated_until"));
        var (owner, org, ids) = (q.Long("owner_id"), q.Long("org_id"), q.Ids("ids"));
        var deal = q.Long("deal_id") is { } d ? company.FindDeal(d) : null;
        if (q.Long("deal_id") is not null && deal is null) ids = [];
        bool Filter(SbPerson p) =>
            !p.IsDeleted && (since is null || p.UpdateTime >= since) && (until is null || p.UpdateTime < until) &&
            (owner is null || p.OwnerId == owner) && (org is null || p.OrgId == org) && (ids is null || ids.Contains(p.Id)) &&
            (deal is null || deal.PersonId == p.Id);
        ByTime(w, q, company.Persons, company.PersonsByUpdate, p => p.AddTime, p => p.UpdateTime, p => p.Id, Filter, PipedriveJson.Person, since);
    }

    /// <summary>POST /v1/webhooks: subscription_url, event_action, event_object and name required; version 2.0 by default; 40 per user.</summary>
    private void CreateWebhook(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var body = q.Body;
        string? Text(string name) => body[name] is JsonValue v && v.TryGetValue<string>(out var t) ? t : null;
        var url = Text("subscription_url");
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new PipedriveError(400, "Validation failed: subscription_url: Invalid URL");
        var action = Text("event_action");
        if (action is not ("create" or "change" or "delete" or "*"))
            throw new PipedriveError(400, $"Validation failed: event_action: Invalid enum value. Expected 'create' | 'change' | 'delete' | '*', received '{action}'");
        var entity = Text("event_object");
        if (entity is not ("activity" or "deal" or "lead" or "note" or "organization" or "person" or "pipeline" or "product" or "stage" or "user" or "*"))
            throw new PipedriveError(400, $"Validation failed: event_object: Invalid enum value, received '{entity}'");
        var name = Text("name");
        if (string.IsNullOrWhiteSpace(name) || name.Length > 255) throw new PipedriveError(400, "Validation failed: name: Required");
        var version = Text("version") ?? "2.0";
        if (version is not ("1.0" or "2.0")) throw new PipedriveError(400, "Validation failed: version: Invalid enum value. Expected '1.0' | '2.0'");
        if (company.Webhooks.Count(h => h.IsActive) >= 40) throw new PipedriveError(400, "You have reached the limit of 40 webhooks per user.");
        PipedriveWebhookSender.StartWatching(company);
        var hook = new SbWebhook
        {
            Id = company.Webhooks.Count + 1, SubscriptionUrl = url, EventAction = action, EventObject = entity, Name = name,
            HttpAuthUser = Text("http_auth_user"), HttpAuthPassword = Text("http_auth_password"), Version = version, UserId = company.Users[0].Id,
            AddTime = PipedriveGenerator.Truncate(clock.GetUtcNow().UtcDateTime),
        };
        company.Webhooks.Add(hook);
        w.WriteStartObject();
        w.WriteString("status", "ok");
        w.WriteBoolean("success", true);
        w.WritePropertyName("data");
        PipedriveJson.Webhook(w, hook);
        w.WriteEndObject();
    }

    private static void DeleteWebhook(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var id = q.RouteLong("id");
        var hook = company.Webhooks.FirstOrDefault(h => h.Id == id && h.IsActive) ?? throw new PipedriveError(404, "Webhook not found");
        hook.IsActive = false;
        w.WriteStartObject();
        w.WriteString("status", "ok");
        w.WriteBoolean("success", true);
        w.WritePropertyName("data");
        w.WriteStartObject();
        w.WriteNumber("id", hook.Id);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Organizations(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var (since, until) = (q.Time("updated_since"), q.Time("updated_until"));
        var (owner, ids) = (q.Long("owner_id"), q.Ids("ids"));
        bool Filter(SbOrganization o) =>
            !o.IsDeleted && (since is null || o.UpdateTime >= since) && (until is null || o.UpdateTime < until) &&
            (owner is null || o.OwnerId == owner) && (ids is null || ids.Contains(o.Id));
        ByTime(w, q, company.Organizations, company.OrganizationsByUpdate, o => o.AddTime, o => o.UpdateTime, o => o.Id, Filter, PipedriveJson.Organization, since);
    }

    /// <summary>A v2 list sorted by id (as kept), update_time (from <paramref name="byUpdate"/>) or add_time.</summary>
    private static void ByTime<T>(Utf8JsonWriter w, RequestQuery q, IReadOnlyList<T> byId, Func<IReadOnlyList<T>> byUpdate, Func<T, DateTime> added, Func<T, DateTime> updated,
        Func<T, long> idOf, Func<T, bool> filter, Action<Utf8JsonWriter, T> write, DateTime? since)
    {
        switch (q.Sort(["id", "update_time", "add_time"]))
        {
            case "update_time":
                Page(w, q, byUpdate(), x => updated(x).Ticks, idOf, filter, write, since?.Ticks);
                break;
            case "add_time":
                Page(w, q, byId.OrderBy(added).ThenBy(idOf).ToList(), x => added(x).Ticks, idOf, filter, write);
                break;
            default:
                Page(w, q, byId, idOf, idOf, filter, write);
                break;
        }
    }

    private static void Stages(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var pipeline = q.Long("pipeline_id");
        Page(w, q, company.Stages, s => s.Id, s => s.Id, s => pipeline is null || s.PipelineId == pipeline, PipedriveJson.Stage);
    }

    /// <summary>
    /// One page of a v2 list: items in (sort key, id) order, resuming after the cursor (an opaque
    /// token of the last item's key and id), at most 'limit' of them; next_cursor is null on the last page.
    /// </summary>
    private static void Page<T>(
        Utf8JsonWriter w, RequestQuery q, IReadOnlyList<T> sorted, Func<T, long> keyOf, Func<T, long> idOf,
        Func<T, bool> filter, Action<Utf8JsonWriter, T> write, long? lowerBoundKey = null)
    {
        var limit = q.Limit(defaultLimit: 100, strict: true);
        var descending = q.Direction();
        var cursor = q.Cursor();

        int Compare(T item, (long Key, long Id) at)
        {
            var c = keyOf(item).CompareTo(at.Key);
            return c != 0 ? c : idOf(item).CompareTo(at.Id);
        }
        // First position after the cursor in the walking direction.
        int start;
        if (!descending)
        {
            var from = cursor ?? (lowerBoundKey is { } lb ? (lb, long.MinValue) : (long.MinValue, long.MinValue));
            start = LowerBound(sorted, x => Compare(x, from) > (cursor is null ? -1 : 0));
        }
        else
        {
            start = cursor is { } c ? LowerBound(sorted, x => Compare(x, c) >= 0) - 1 : sorted.Count - 1;
        }

        w.WriteStartObject();
        w.WriteBoolean("success", true);
        w.WriteStartArray("data");
        var written = 0;
        (long, long)? last = null;
        var more = false;
        for (var i = start; i >= 0 && i < sorted.Count; i += descending ? -1 : 1)
        {
            var item = sorted[i];
            if (!filter(item)) continue;
            if (written == limit) { more = true; break; }
            write(w, item);
            written++;
            last = (keyOf(item), idOf(item));
        }
        w.WriteEndArray();
        w.WriteStartObject("additional_data");
        if (more && last is { } l) w.WriteString("next_cursor", EncodeCursor(l));
        else w.WriteNull("next_cursor");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Index of the first item for which <paramref name="atOrAfter"/> holds (items are ordered).</summary>
    private static int LowerBound<T>(IReadOnlyList<T> sorted, Func<T, bool> atOrAfter)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (atOrAfter(sorted[mid])) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    private static string EncodeCursor((long Key, long Id) at) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(Inv, $"{at.Key}:{at.Id}")));

    internal static (long Key, long Id) DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(cursor));
            var parts = text.Split(':');
            return (long.Parse(parts[0], Inv), long.Parse(parts[1], Inv));
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
        {
            throw new PipedriveError(400, "Invalid cursor. Use the next_cursor value of the previous page.");
        }
    }

    // ---- v1 ----------------------------------------------------------------------------------

    private static void All<T>(Utf8JsonWriter w, IReadOnlyList<T> items, Action<Utf8JsonWriter, T> write)
    {
        w.WriteStartObject();
        w.WriteBoolean("success", true);
        w.WriteStartArray("data");
        foreach (var item in items) write(w, item);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void One(Utf8JsonWriter w, Action<Utf8JsonWriter> write)
    {
        w.WriteStartObject();
        w.WriteBoolean("success", true);
        w.WritePropertyName("data");
        write(w);
        w.WriteEndObject();
    }

    private static bool Matches(string? term, params string[] values) =>
        string.IsNullOrEmpty(term) || values.Any(v => v.Contains(term, StringComparison.OrdinalIgnoreCase));

    private static void Leads(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w, bool archived)
    {
        var since = archived ? null : q.Time("updated_since");
        var owner = q.Long("owner_id");
        var (field, descending) = q.V1Sort(["id", "title", "owner_id", "creator_id", "was_seen", "expected_close_date", "next_activity_id", "add_time", "update_time"]);
        IEnumerable<SbLead> ordered = field == "update_time" ? company.LeadsByUpdate() : company.Leads; // ids grow with add_time
        if (field is not ("update_time" or "add_time" or "id")) ordered = ordered.OrderBy(l => field switch
        {
            "title" => l.Title, "owner_id" => l.OwnerId.ToString("D12", Inv), "creator_id" => l.CreatorId.ToString("D12", Inv),
            _ => l.AddTime.Ticks.ToString("D20", Inv),
        }, StringComparer.Ordinal);
        if (descending) ordered = ordered.Reverse();
        var matching = ordered.Where(l => !l.IsDeleted && l.IsArchived == archived && (since is null || l.UpdateTime >= since) && (owner is null || l.OwnerId == owner));
        OffsetPage(w, q, matching, PipedriveJson.Lead);
    }

    private static void Changelog(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var deal = company.FindDeal(q.RouteLong("id")) ?? throw new PipedriveError(404, "Deal not found");
        var limit = q.Limit(defaultLimit: 100, strict: false);
        var offset = q.Cursor() is { } c ? (int)c.Id : 0;
        var newestFirst = Enumerable.Range(0, deal.Changes.Count).Select(i => deal.Changes[deal.Changes.Count - 1 - i]).ToList();
        w.WriteStartObject();
        w.WriteBoolean("success", true);
        w.WriteStartArray("data");
        foreach (var change in newestFirst.Skip(offset).Take(limit)) PipedriveJson.Change(w, change);
        w.WriteEndArray();
        w.WriteStartObject("additional_data");
        if (offset + limit < newestFirst.Count) w.WriteString("next_cursor", EncodeCursor((0, offset + limit)));
        else w.WriteNull("next_cursor");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Flow(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var deal = company.FindDeal(q.RouteLong("id")) ?? throw new PipedriveError(404, "Deal not found");
        var items = q.Raw("items");
        var wanted = string.IsNullOrEmpty(items) || items.Split(',').Contains("dealChange");
        var changes = wanted
            ? Enumerable.Range(0, deal.Changes.Count).Select(i => (deal.Changes[deal.Changes.Count - 1 - i], Id: deal.Id * 1000 + deal.Changes.Count - 1 - i))
            : [];
        OffsetPage(w, q, changes, (jw, x) => PipedriveJson.FlowChange(jw, deal, x.Item1, x.Id));
    }

    /// <summary>A v1 offset page: start/limit, with additional_data.start, limit and more_items_in_collection.</summary>
    private static void OffsetPage<T>(Utf8JsonWriter w, RequestQuery q, IEnumerable<T> items, Action<Utf8JsonWriter, T> write)
    {
        var start = (int)(q.Long("start") ?? 0);
        if (start < 0) throw new PipedriveError(400, "start must be 0 or greater");
        var limit = q.Limit(defaultLimit: 100, strict: false);
        w.WriteStartObject();
        w.WriteBoolean("success", true);
        w.WriteStartArray("data");
        var page = items.Skip(start).Take(limit + 1).ToList();
        foreach (var item in page.Take(limit)) write(w, item);
        w.WriteEndArray();
        w.WriteStartObject("additional_data");
        w.WriteNumber("start", start);
        w.WriteNumber("limit", limit);
        w.WriteBoolean("more_items_in_collection", page.Count > limit);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Query parameters, parsed the way Pipedrive validates them.</summary>
    private sealed class RequestQuery(HttpRequest request, JsonNode? body = null)
    {
        /// <summary>A POST's JSON body.</summary>
        public JsonObject Body => body as JsonObject ?? new JsonObject();

        public string? Raw(string name) => request.Query[name].FirstOrDefault();

        public long? Long(string name)
        {
            var raw = Raw(name);
            if (string.IsNullOrEmpty(raw)) return null;
            return long.TryParse(raw, NumberStyles.Integer, Inv, out var v) ? v : throw new PipedriveError(400, $"Invalid value for {name}: expected an integer.");
        }

        public long RouteLong(string name) =>
            long.TryParse(request.RouteValues[name]?.ToString(), NumberStyles.Integer, Inv, out var v) ? v : throw new PipedriveError(400, $"Invalid {name}.");

        public bool? Bool(string name) => Raw(name) switch
        {
            null or "" => null,
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw new PipedriveError(400, $"Invalid value for {name}: expected true or false."),
        };

        public DateTime? Time(string name)
        {
            var raw = Raw(name);
            if (string.IsNullOrEmpty(raw)) return null;
            return DateTimeOffset.TryParse(raw, Inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) && raw.Contains('T', StringComparison.Ordinal)
                ? t.UtcDateTime
                : throw new PipedriveError(400, $"Invalid value for {name}: expected RFC3339, e.g. 2025-01-01T10:20:00Z.");
        }

        /// <summary>A comma separated list of up to 100 ids ('ids' of the v2 lists); null when not given.</summary>
        public HashSet<long>? Ids(string name)
        {
            var raw = Raw(name);
            if (string.IsNullOrEmpty(raw)) return null;
            var values = raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (values.Length > 100) throw new PipedriveError(400, $"Invalid value for {name}: at most 100 ids.");
            return values.Select(v => long.TryParse(v, NumberStyles.Integer, Inv, out var id) ? id : throw new PipedriveError(400, $"Invalid value for {name}: '{v}' is not an id.")).ToHashSet();
        }

        public string[]? List(string name, string[] allowed)
        {
            var raw = Raw(name);
            if (string.IsNullOrEmpty(raw)) return null;
            var values = raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var bad = values.FirstOrDefault(v => !allowed.Contains(v));
            return bad is null ? values : throw new PipedriveError(400, $"Invalid value for {name}: '{bad}'. Allowed: {string.Join(", ", allowed)}.");
        }

        public int Limit(int defaultLimit, bool strict)
        {
            var limit = Long("limit") ?? defaultLimit;
            if (limit < 1) throw new PipedriveError(400, "Invalid value for limit: must be 1 or greater.");
            if (limit > MaxLimit && strict) throw new PipedriveError(400, $"Invalid value for limit: must be {MaxLimit} or less.");
            return (int)Math.Min(limit, MaxLimit); // v1 quietly caps the page at 500
        }

        public bool Direction() => Raw("sort_direction") switch
        {
            null or "" or "asc" => false,
            "desc" => true,
            var other => throw new PipedriveError(400, $"Invalid value for sort_direction: '{other}'. Allowed: asc, desc."),
        };

        public string Sort(string[] allowed)
        {
            var raw = Raw("sort_by");
            if (string.IsNullOrEmpty(raw)) return "id";
            return allowed.Contains(raw) ? raw : throw new PipedriveError(400, $"Invalid value for sort_by: '{raw}'. Allowed: {string.Join(", ", allowed)}.");
        }

        public (string Field, bool Descending) V1Sort(string[] allowed)
        {
            var raw = Raw("sort");
            if (string.IsNullOrEmpty(raw)) return ("id", false);
            var parts = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var field = parts[0];
            var desc = parts.Length > 1 && parts[1].Equals("DESC", StringComparison.OrdinalIgnoreCase);
            return allowed.Contains(field) ? (field, desc) : throw new PipedriveError(400, $"Invalid sort field '{field}'.");
        }

        public (long Key, long Id)? Cursor() => Raw("cursor") is { Length: > 0 } c ? DecodeCursor(c) : null;
    }
}
