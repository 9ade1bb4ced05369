using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CrmEtl.Sandbox.Pipedrive;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Zoho;

/// <summary>A request the sandbox refuses, with Zoho's status, code, message and details.</summary>
internal sealed class ZohoError(int status, string code, string message, Dictionary<string, object>? details = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public Dictionary<string, object> Details { get; } = details ?? [];
    /// <summary>An error of one record of a write, which Zoho answers inside {"data": [...]}.</summary>
    public bool OfRecord { get; init; }
}

/// <summary>
/// Zoho CRM's accounts server (the OAuth token endpoint) and API domain for one data centre. The API
/// surface is what CrmEtl reads: records of Deals, Leads, Tasks, Events, Calls and the hidden
/// DealHistory module, deleted records, a deal's Stage_History, layouts, pipelines, fields,
/// currencies and users. Every API call is authenticated with an access token of this data
/// centre, checked against the token's scopes, charged one credit, counted against the org's
/// concurrency, and may be hit by an injected fault.
/// </summary>
internal sealed partial class ZohoEndpoints(IReadOnlyList<ZohoOrg> orgs, Faults faults, TimeProvider clock)
{
    private const int MaxPerPage = 200, MaxFields = 50, DiscreteLimit = 2_000, TokenLimit = 100_000, MaxIds = 100;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(24);
    // Page tokens are signed so that a client cannot forge one; the key lives as long as the sandbox.
    private readonly byte[] _tokenKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>Calls served per org and operation (e.g. "GET /crm/v8/Deals"), for tests and benchmarks.</summary>
    public ConcurrentDictionary<(string Org, string Operation), int> Calls { get; } = new();

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    // ---- accounts server ----------------------------------------------------------------------

    public void MapAccounts(IEndpointRouteBuilder app, string dataCentre, Func<string> apiDomain)
    {
        app.MapPost("/oauth/v2/token", async context =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            string? P(string name) => context.Request.Query[name].FirstOrDefault() ?? form?[name].FirstOrDefault();
            // Zoho answers token errors with 200 and an "error" member.
            if (P("grant_type") != "refresh_token") { await Json(context, 200, new { error = "unsupported_grant_type" }); return; }
            var org = orgs.FirstOrDefault(o => o.Options.DataCentre.Equals(dataCentre, StringComparison.OrdinalIgnoreCase) && o.Options.ClientId == P("client_id"));
            if (org is null) { await Json(context, 200, new { error = "invalid_client" }); return; }
            if (org.Options.ClientSecret != P("client_secret")) { await Json(context, 200, new { error = "invalid_client_secret" }); return; }
            if (org.Options.RefreshToken != P("refresh_token")) { await Json(context, 200, new { error = "invalid_code" }); return; }
            var (result, token) = org.Mint(Now);
            switch (result)
            {
                case ZohoOrg.MintResult.InvalidCode:
                    await Json(context, 200, new { error = "invalid_code" });
                    return;
                case ZohoOrg.MintResult.TooMany:
                    await Json(context, 400, new Dictionary<string, string>
                    {
                        ["error_description"] = "You have made too many requests continuously. Please try again after some time.",
                        ["error"] = "Access Denied", ["status"] = "failure",
                    });
                    return;
            }
            await Json(context, 200, new Dictionary<string, object>
            {
                ["access_token"] = token!, ["scope"] = string.Join(' ', org.Scopes), ["api_domain"] = apiDomain(),
                ["token_type"] = "Bearer", ["expires_in"] = (int)org.Options.AccessTokenLifetime.TotalSeconds,
            });
        });
        app.MapFallback(context => Json(context, 404, new { error = "invalid_url" }));
    }

    private static Task Json(HttpContext context, int status, object body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;charset=UTF-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }

    // ---- API domain ----------------------------------------------------------------------------

    public void MapApi(IEndpointRouteBuilder app, string dataCentre)
    {
        var local = orgs.Where(o => o.Options.DataCentre.Equals(dataCentre, StringComparison.OrdinalIgnoreCase)).ToList();
        void Get(string pattern, string scope, Handler handler) =>
            app.MapGet(pattern, context => Serve(context, local, "GET " + pattern, scope, handler));

        Get("/crm/v8/users", ZohoScopes.Users, Users);
        Get("/crm/v8/org", ZohoScopes.Org, (o, r, w) => ZohoSettingsJson.Organization(w, o));
        Get("/crm/v8/org/currencies", ZohoScopes.Org, (o, r, w) => ZohoSettingsJson.Currencies(w, o));
        Get("/crm/v8/settings/layouts", ZohoScopes.Settings, Layouts);
        Get("/crm/v8/settings/pipeline", ZohoScopes.Settings, Pipelines);
        Get("/crm/v8/settings/fields", ZohoScopes.Settings, Fields);
        Get("/crm/v8/{module}/deleted", ZohoScopes.Modules, Deleted);
        Get("/crm/v8/{module}/search", ZohoScopes.Modules, Search);
        MapWrites(app, local);
        Get("/crm/v8/Deals/{id}/Stage_History", ZohoScopes.Modules, StageHistory);
        Get("/crm/v8/{module}/{id}/{related}", ZohoScopes.Modules, Related);
        Get("/crm/v8/{module}", ZohoScopes.Modules, Records);
        app.MapFallback(context => WriteError(context, new ZohoError(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")));
    }

    private delegate void Handler(ZohoOrg org, HttpRequest request, Utf8JsonWriter writer);

    /// <summary>The answer carries no body: 204 (nothing there) or 304 (nothing changed since If-Modified-Since).</summary>
    private sealed class NoContent(int status) : Exception
    {
        public int Status { get; } = status;
    }

    private async Task Serve(HttpContext context, IReadOnlyList<ZohoOrg> local, string operation, string scope, Handler handler)
    {
        var write = HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method);
        if (write)
        {
            try { context.Items[BodyItem] = await System.Text.Json.Nodes.JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted); }
            catch (JsonException) { context.Items[BodyItem] = null; }
        }
        var header = context.Request.Headers.Authorization.FirstOrDefault();
        if (string.IsNullOrEmpty(header))
        {
            await WriteError(context, new ZohoError(401, "AUTHENTICATION_FAILURE", "Authentication failed"));
            return;
        }
        var token = header.StartsWith("Zoho-oauthtoken ", StringComparison.Ordinal) ? header["Zoho-oauthtoken ".Length..].Trim() : "";
        var org = local.FirstOrDefault(o => o.Accepts(token, Now));
        if (org is null)
        {
            await WriteError(context, new ZohoError(401, "INVALID_TOKEN", "invalid oauth token"));
            return;
        }
        if (!Granted(org.Scopes, scope))
        {
            await WriteError(context, new ZohoError(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL"));
            return;
        }
        Calls.AddOrUpdate((org.Options.Name, operation), 1, (_, n) => n + 1);
        if (!org.Enter())
        {
            await WriteError(context, new ZohoError(429, "TOO_MANY_REQUESTS", "The concurrency limit of the org has been reached. Please try again after some time."));
            return;
        }
        try
        {
            if (faults.Latency > TimeSpan.Zero) await Task.Delay(faults.Latency, context.RequestAborted);
            var fault = faults.Next(context.Request.Path.Value ?? "", write);
            if (await FaultAsync(context, fault)) return;
            if (!org.Charge(Now))
            {
                await WriteError(context, new ZohoError(429, "TOO_MANY_REQUESTS", "You have reached the API credit limit of your organisation for the last 24 hours."));
                return;
            }

            var buffer = new ArrayBufferWriter<byte>(64 * 1024);
            try
            {
                using var writer = new Utf8JsonWriter(buffer);
                lock (org.Sync) handler(org, context.Request, writer);
                writer.Flush();
            }
            catch (ZohoError e)
            {
                await WriteError(context, e);
                return;
            }
            catch (NoContent e)
            {
                context.Response.StatusCode = e.Status;
                return;
            }
            if (fault == Faults.Kind.LostAnswer)
            {
                context.Abort();
                return;
            }
            context.Response.StatusCode = context.Items[StatusItem] as int? ?? 200;
            context.Response.ContentType = "application/json;charset=utf-8";
            await context.Response.Body.WriteAsync(Faults.Damage(fault, buffer.WrittenMemory), context.RequestAborted);
        }
        finally
        {
            org.Leave();
        }
    }

    /// <summary>Answers in place of the API when <paramref name="fault"/> is one that replaces the answer; false when it is not.</summary>
    private static async Task<bool> FaultAsync(HttpContext context, Faults.Kind fault)
    {
        switch (fault)
        {
            case Faults.Kind.Burst429 or Faults.Kind.Burst429NoHeaders:
                await WriteError(context, new ZohoError(429, "TOO_MANY_REQUESTS", "The concurrency limit of the org has been reached. Please try again after some time."));
                return true;
            case Faults.Kind.ServerError:
                await WriteError(context, new ZohoError(500, "INTERNAL_ERROR", "Internal server error occurred."));
                return true;
            case Faults.Kind.Revoked:
                await WriteError(context, new ZohoError(401, "INVALID_TOKEN", "invalid oauth token"));
                return true;
            case Faults.Kind.Malformed:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"data\":[{\"id\":\"12\",\"Deal_Name\":<html>Bad gateway</html>", context.RequestAborted);
                return true;
            case Faults.Kind.Truncated:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"data\":[{\"id\":\"1\",", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                context.Abort();
                return true;
            default:
                return false;
        }
    }

    /// <summary>A scope is granted by itself or by its .ALL form (ZohoCRM.modules.ALL covers ZohoCRM.modules.READ).</summary>
    private static bool Granted(IReadOnlyList<string> granted, string scope)
    {
        var all = scope[..scope.LastIndexOf('.')] + ".ALL";
        return granted.Any(g => g.Equals(scope, StringComparison.OrdinalIgnoreCase) || g.Equals(all, StringComparison.OrdinalIgnoreCase));
    }

    internal static Task WriteError(HttpContext context, ZohoError e)
    {
        context.Response.StatusCode = e.Status;
        context.Response.ContentType = "application/json;charset=utf-8";
        var error = new Dictionary<string, object> { ["code"] = e.Code, ["details"] = e.Details, ["message"] = e.Message, ["status"] = "error" };
        var body = JsonSerializer.Serialize(e.OfRecord ? new Dictionary<string, object> { ["data"] = new[] { error } } : error);
        return context.Response.WriteAsync(body, context.RequestAborted);
    }

    // ---- settings ---------------------------------------------------------------------------------

    private static string RequiredParam(HttpRequest request, string name) =>
        request.Query[name].FirstOrDefault() is { Length: > 0 } value ? value
            : throw new ZohoError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", new() { ["param"] = name });

    private static void Layouts(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        var module = RequiredParam(request, "module");
        if (module != "Deals") throw new ZohoError(400, "INVALID_MODULE", "The module name given seems to be invalid", new() { ["api_name"] = "module" });
        ZohoSettingsJson.Layouts(w, org);
    }

    private static void Pipelines(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        var layout = RequiredParam(request, "layout_id");
        if (layout != org.LayoutId.ToString(Inv)) throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["param_name"] = "layout_id" });
        ZohoSettingsJson.Pipelines(w, org);
    }

    private static void Fields(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        switch (RequiredParam(request, "module"))
        {
            case "Deals": ZohoSettingsJson.Fields(w, org, "Deals", ZohoFields.Deals(org)); break;
            case "Leads": ZohoSettingsJson.Fields(w, org, "Leads", ZohoFields.Leads(org)); break;
            case "Tasks": ZohoSettingsJson.Fields(w, org, "Tasks", ZohoFields.Tasks()); break;
            case "Events": ZohoSettingsJson.Fields(w, org, "Events", ZohoFields.Events()); break;
            case "Calls": ZohoSettingsJson.Fields(w, org, "Calls", ZohoFields.Calls()); break;
            case "Contacts": ZohoSettingsJson.Fields(w, org, "Contacts", ZohoFields.Contacts()); break;
            case "Accounts": ZohoSettingsJson.Fields(w, org, "Accounts", ZohoFields.Accounts()); break;
            default: throw new ZohoError(400, "INVALID_MODULE", "The module name given seems to be invalid", new() { ["api_name"] = "module" });
        }
    }

    private static void Users(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        var type = request.Query["type"].FirstOrDefault();
        var users = org.Data.Users.Where(u => type switch
        {
            null or "" or "AllUsers" => true,
            "ActiveUsers" or "ActiveConfirmedUsers" or "ConfirmedUsers" => u.Active,
            "DeactiveUsers" => !u.Active,
            "NotConfirmedUsers" => false,
            "CurrentUser" => u.Id == org.Data.Users[0].Id,
            _ => throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["param_name"] = "type" }),
        }).ToList();
        var (page, perPage) = PageParams(request);
        var slice = users.Skip((page - 1) * perPage).Take(perPage).ToList();
        if (slice.Count == 0) throw new NoContent(204);
        w.WriteStartObject();
        w.WriteStartArray("users");
        foreach (var u in slice) ZohoSettingsJson.User(w, org, u);
        w.WriteEndArray();
        OffsetInfo(w, perPage, slice.Count, page, users.Count > page * perPage);
        w.WriteEndObject();
    }

    private static (int Page, int PerPage) PageParams(HttpRequest request)
    {
        var page = IntParam(request, "page") ?? 1;
        var perPage = IntParam(request, "per_page") ?? MaxPerPage;
        if (page < 1) throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["param_name"] = "page" });
        if (perPage is < 1 or > MaxPerPage) throw new ZohoError(400, "INVALID_DATA", $"per_page must be between 1 and {MaxPerPage}", new() { ["param_name"] = "per_page" });
        return (page, perPage);
    }

    private static int? IntParam(HttpRequest request, string name)
    {
        var raw = request.Query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(raw)) return null;
        return int.TryParse(raw, NumberStyles.Integer, Inv, out var v) ? v
            : throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["param_name"] = name, ["expected_data_type"] = "integer" });
    }

    private static void OffsetInfo(Utf8JsonWriter w, int perPage, int count, int page, bool more)
    {
        w.WriteStartObject("info");
        w.WriteNumber("per_page", perPage);
        w.WriteNumber("count", count);
        w.WriteNumber("page", page);
        w.WriteBoolean("more_records", more);
        w.WriteEndObject();
    }

    private static DateTime? IfModifiedSince(HttpRequest request)
    {
        var raw = request.Headers.IfModifiedSince.FirstOrDefault();
        if (string.IsNullOrEmpty(raw)) return null;
        return DateTimeOffset.TryParse(raw, Inv, DateTimeStyles.None, out var t) && raw.Contains('T', StringComparison.Ordinal) ? t.UtcDateTime
            : throw new ZohoError(400, "INVALID_DATA", "If-Modified-Since must be an ISO 8601 date-time such as 2025-07-25T15:26:49+05:30", new() { ["param_name"] = "If-Modified-Since" });
    }

    // ---- records ----------------------------------------------------------------------------------

    /// <summary>What the records endpoint needs of a module: its fields, its records in each sort order, ids and times.</summary>
    private sealed record ModuleView<T>(
        IReadOnlyList<ZohoField<T>> Fields, Func<T[]> ByModified, Func<T[]> ById, Func<T, long> Id,
        Func<T, DateTime> Modified, Func<T, DateTime> Created, Func<T, bool> Listed);

    private static readonly object BodyItem = new(), StatusItem = new();

    private void Records(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        var module = request.RouteValues["module"]?.ToString() ?? "";
        switch (module)
        {
            case "Deals":
                RecordsOf(org, request, w, new ModuleView<SbDeal>(ZohoFields.Deals(org), org.Data.DealsByUpdate, () => [.. org.Data.Deals], org.DealId,
                    d => d.UpdateTime, d => d.AddTime, d => !d.IsDeleted));
                break;
            case "Leads":
                var converted = request.Query["converted"].FirstOrDefault() ?? "false";
                if (converted is not ("true" or "false" or "both")) throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["param_name"] = "converted" });
                RecordsOf(org, request, w, new ModuleView<(SbLead Lead, int Index)>(ZohoFields.Leads(org),
                    org.LeadsByModified, () => [.. org.Data.Leads.Select((l, i) => (l, i))],
                    x => org.LeadId(x.Index), x => x.Lead.UpdateTime, x => x.Lead.AddTime,
                    x => !x.Lead.IsDeleted && (converted == "both" || ZohoOrg.IsConverted(x.Lead) == (converted == "true"))));
                break;
            case "Tasks" or "Events" or "Calls":
                var fields = module switch { "Tasks" => ZohoFields.Tasks(), "Events" => ZohoFields.Events(), _ => ZohoFields.Calls() };
                RecordsOf(org, request, w, new ModuleView<SbActivity>(fields, org.Data.ActivitiesByUpdate, () => [.. org.Data.Activities], org.ActivityId,
                    a => a.UpdateTime, a => a.AddTime, a => !a.IsDeleted && ZohoOrg.ModuleOf(a) == module));
                break;
            case "Contacts":
                RecordsOf(org, request, w, new ModuleView<SbPerson>(ZohoFields.Contacts(), org.Data.PersonsByUpdate, () => [.. org.Data.Persons],
                    org.ContactId, p => p.UpdateTime, p => p.AddTime, p => !p.IsDeleted));
                break;
            case "Accounts":
                RecordsOf(org, request, w, new ModuleView<SbOrganization>(ZohoFields.Accounts(), org.Data.OrganizationsByUpdate, () => [.. org.Data.Organizations],
                    a => org.AccountId(a.Id), a => a.UpdateTime, a => a.AddTime, a => !a.IsDeleted));
                break;
            case "DealHistory" when org.Options.DealHistoryModule:
                RecordsOf(org, request, w, new ModuleView<ZohoHistoryRow>(
                    ZohoFields.DealHistory().Where(f => org.Options.DealHistoryMovedTo || f.ApiName != "Moved_To__s").ToList(), org.HistoryByTime, () => [.. org.HistoryByTime().OrderBy(r => r.Id)],
                    r => r.Id, r => r.ModifiedTime, r => r.ModifiedTime, _ => true));
                break;
            default:
                throw new ZohoError(400, "INVALID_MODULE", "The module name given seems to be invalid", new() { ["api_name"] = "module" });
        }
    }

    private void RecordsOf<T>(ZohoOrg org, HttpRequest request, Utf8JsonWriter w, ModuleView<T> module)
    {
        var fields = SelectFields(request, module.Fields);
        var since = IfModifiedSince(request);

        if (request.Query["ids"].FirstOrDefault() is { Length: > 0 } idList)
        {
            var ids = idList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => long.TryParse(s, NumberStyles.Integer, Inv, out var id) ? id : throw new ZohoError(400, "INVALID_DATA", "the id given seems to be invalid", new() { ["param_name"] = "ids" }))
                .ToHashSet();
            if (ids.Count > MaxIds) throw new ZohoError(400, "LIMIT_EXCEEDED", $"At most {MaxIds} ids can be given", new() { ["limit"] = MaxIds, ["param"] = "ids" });
            var found = module.ById().Where(r => module.Listed(r) && ids.Contains(module.Id(r)) && (since is null || module.Modified(r) >= since)).ToList();
            if (found.Count == 0) throw new NoContent(since is null ? 204 : 304);
            WritePage(w, org, fields, found, module.Id, new PageInfo(found.Count, 1, "id", "asc", false, null));
            return;
        }

        var sortBy = request.Query["sort_by"].FirstOrDefault() ?? "id";
        if (sortBy is not ("id" or "Created_Time" or "Modified_Time")) throw new ZohoError(400, "INVALID_DATA", "sort_by can only be id, Created_Time or Modified_Time", new() { ["param_name"] = "sort_by" });
        var sortOrder = request.Query["sort_order"].FirstOrDefault() ?? "desc";
        if (sortOrder is not ("asc" or "desc")) throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["param_name"] = "sort_order" });
        var (page, perPage) = PageParams(request);
        var pageToken = request.Query["page_token"].FirstOrDefault();
        if (!string.IsNullOrEmpty(pageToken) && request.Query.ContainsKey("page"))
            throw new ZohoError(400, "INVALID_DATA", "page and page_token cannot be given together", new() { ["param_name"] = "page_token" });

        Func<T, long> key = sortBy switch
        {
            "Modified_Time" => r => module.Modified(r).Ticks,
            "Created_Time" => r => module.Created(r).Ticks,
            _ => module.Id,
        };
        // Ids grow with creation time, so the id order is the Created_Time order.
        var sorted = sortBy == "Modified_Time" ? module.ByModified() : module.ById();
        var binding = Binding(request, fields.Select(f => f.ApiName), sortBy, sortOrder, since, perPage);

        (long Key, long Id)? after = null;
        var offset = (page - 1) * perPage;
        if (!string.IsNullOrEmpty(pageToken))
        {
            (after, offset) = ReadToken(pageToken, binding);
            if (offset >= TokenLimit)
                throw new ZohoError(400, "LIMIT_EXCEEDED", $"page_token can fetch at most {TokenLimit} records; narrow the request, e.g. with If-Modified-Since", new() { ["limit"] = TokenLimit, ["param"] = "page_token" });
        }
        else if (offset + perPage > DiscreteLimit)
        {
            throw new ZohoError(400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", $"The page parameter can fetch only the first {DiscreteLimit} records. Use page_token to fetch more.", new() { ["limit"] = DiscreteLimit, ["param"] = "page" });
        }

        var descending = sortOrder == "desc";
        int Compare(T r, (long Key, long Id) at) => key(r).CompareTo(at.Key) is var k && k != 0 ? k : module.Id(r).CompareTo(at.Id);
        // The lists are ordered by (key, id): a page token's position, and for Modified_Time the
        // If-Modified-Since bound, are found by binary search instead of a walk from the start.
        var lower = sortBy == "Modified_Time" && since is { } bound ? LowerBound(sorted, r => module.Modified(r) >= bound) : 0;
        int start;
        if (after is { } a) start = descending ? LowerBound(sorted, r => Compare(r, a) >= 0) - 1 : LowerBound(sorted, r => Compare(r, a) > 0);
        else start = descending ? sorted.Length - 1 : lower;
        var records = new List<T>(perPage);
        var skipped = 0;
        var more = false;
        for (var i = Math.Max(start, descending ? -1 : lower); descending ? i >= lower : i < sorted.Length; i += descending ? -1 : 1)
        {
            var r = sorted[i];
            if (!module.Listed(r) || (since is not null && module.Modified(r) < since)) continue;
            if (after is null && skipped < offset) { skipped++; continue; }
            if (records.Count == perPage) { more = true; break; }
            records.Add(r);
        }
        if (records.Count == 0) throw new NoContent(since is null ? 204 : 304);

        var last = records[^1];
        var next = more ? WriteToken(binding, (key(last), module.Id(last)), offset + records.Count) : null;
        WritePage(w, org, fields, records, module.Id, new PageInfo(perPage, offset / perPage + 1, sortBy, sortOrder, more, next));
    }

    /// <summary>Index of the first item for which <paramref name="atOrAfter"/> holds (it holds for a suffix of the list).</summary>
    private static int LowerBound<T>(T[] sorted, Func<T, bool> atOrAfter)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (atOrAfter(sorted[mid])) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    private static List<ZohoField<T>> SelectFields<T>(HttpRequest request, IReadOnlyList<ZohoField<T>> available)
    {
        var raw = RequiredParam(request, "fields");
        var names = raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count > MaxFields)
            throw new ZohoError(400, "LIMIT_EXCEEDED", $"Max field limit exceeded: at most {MaxFields} fields can be requested at a time", new() { ["limit"] = MaxFields, ["param"] = "fields" });
        var selected = new List<ZohoField<T>>();
        foreach (var name in names.Where(n => n != "id"))
        {
            var field = available.FirstOrDefault(f => f.ApiName == name)
                ?? throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["api_name"] = name, ["param_name"] = "fields" });
            selected.Add(field);
        }
        return selected;
    }

    private sealed record PageInfo(int PerPage, int Page, string SortBy, string SortOrder, bool More, string? NextToken);

    private void WritePage<T>(Utf8JsonWriter w, ZohoOrg org, List<ZohoField<T>> fields, List<T> records, Func<T, long> id, PageInfo info)
    {
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var r in records)
        {
            w.WriteStartObject();
            w.WriteString("id", id(r).ToString(Inv));
            foreach (var f in fields) f.Write(w, org, r);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("info");
        w.WriteNumber("per_page", info.PerPage);
        if (info.NextToken is null) w.WriteNull("next_page_token"); else w.WriteString("next_page_token", info.NextToken);
        w.WriteNumber("count", records.Count);
        w.WriteString("sort_by", info.SortBy);
        w.WriteNumber("page", info.Page);
        w.WriteNull("previous_page_token");
        if (info.NextToken is null) w.WriteNull("page_token_expiry");
        else w.WriteString("page_token_expiry", ZohoFields.Time(org, Now + TokenLifetime));
        w.WriteString("sort_order", info.SortOrder);
        w.WriteBoolean("more_records", info.More);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // ---- page tokens: bound to the request's parameters, expiring after 24 hours -------------------

    private static string Binding(HttpRequest request, IEnumerable<string> fields, string sortBy, string sortOrder, DateTime? since, int perPage) =>
        string.Join('|', request.RouteValues["module"], string.Join(',', fields), sortBy, sortOrder,
            since?.Ticks.ToString(Inv) ?? "", perPage.ToString(Inv), request.Query["converted"].FirstOrDefault() ?? "");

    private string WriteToken(string binding, (long Key, long Id) after, int served)
    {
        var body = string.Create(Inv, $"{after.Key}:{after.Id}:{served}:{(Now + TokenLifetime).Ticks}");
        var mac = Convert.ToHexStringLower(HMACSHA256.HashData(_tokenKey, Encoding.UTF8.GetBytes(binding + "#" + body)))[..24];
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(body + ":" + mac)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private ((long Key, long Id) After, int Served) ReadToken(string token, string binding)
    {
        var invalid = new ZohoError(400, "INVALID_DATA", "The page_token is invalid, has expired, or does not match the request's other parameters", new() { ["param_name"] = "page_token" });
        string text;
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            text = Encoding.ASCII.GetString(Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '=')));
        }
        catch (FormatException) { throw invalid; }
        var parts = text.Split(':');
        if (parts.Length != 5) throw invalid;
        var body = string.Join(':', parts[..4]);
        var mac = Convert.ToHexStringLower(HMACSHA256.HashData(_tokenKey, Encoding.UTF8.GetBytes(binding + "#" + body)))[..24];
        if (mac != parts[4] || long.Parse(parts[3], Inv) < Now.Ticks) throw invalid;
        return ((long.Parse(parts[0], Inv), long.Parse(parts[1], Inv)), int.Parse(parts[2], Inv));
    }

    // ---- deleted records and stage history ---------------------------------------------------------

    private sealed record DeletedRecord(long Id, string Name, DateTime DeletedAt, long DeletedBy, long CreatedBy);

    private void Deleted(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        var module = request.RouteValues["module"]?.ToString() ?? "";
        var type = request.Query["type"].FirstOrDefault() ?? "all";
        if (type is not ("all" or "recycle" or "permanent")) throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["param_name"] = "type" });
        var since = IfModifiedSince(request);
        var admin = org.Data.Users[0].Id;
        IEnumerable<DeletedRecord> deleted = module switch
        {
            "Deals" => org.Data.Deals.Where(d => d.IsDeleted).Select(d => new DeletedRecord(org.DealId(d), d.Title, d.DeleteTime ?? d.UpdateTime, d.OwnerId, d.OwnerId)),
            "Tasks" or "Events" or "Calls" => org.Data.Activities.Where(a => a.IsDeleted && ZohoOrg.ModuleOf(a) == module)
                .Select(a => new DeletedRecord(org.ActivityId(a), a.Subject, a.UpdateTime, a.OwnerId, a.CreatorUserId)),
            "Leads" => org.Data.Leads.Select((l, i) => (l, i)).Where(x => x.l.IsDeleted)
                .Select(x => new DeletedRecord(org.LeadId(x.i), x.l.Title, x.l.UpdateTime, admin, x.l.CreatorId)),
            "Contacts" => org.Data.Persons.Where(p => p.IsDeleted).Select(p => new DeletedRecord(org.ContactId(p), p.Name, p.UpdateTime, admin, p.OwnerId)),
            "Accounts" => org.Data.Organizations.Where(a => a.IsDeleted).Select(a => new DeletedRecord(org.AccountId(a.Id), a.Name, a.UpdateTime, admin, a.OwnerId)),
            _ => throw new ZohoError(400, "INVALID_MODULE", "The module name given seems to be invalid", new() { ["api_name"] = "module" }),
        };
        // Records stay in the recycle bin for 60 days, then are deleted permanently (still listed as such).
        var now = Now;
        var all = deleted.Where(d => since is null || d.DeletedAt >= since)
            .Select(d => (Record: d, Type: d.DeletedAt >= now.AddDays(-60) ? "recycle" : "permanent"))
            .Where(d => type == "all" || d.Type == type)
            .OrderByDescending(d => d.Record.DeletedAt).ThenByDescending(d => d.Record.Id).ToList();
        var (page, perPage) = PageParams(request);
        var slice = all.Skip((page - 1) * perPage).Take(perPage).ToList();
        if (slice.Count == 0) throw new NoContent(since is null ? 204 : 304);
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var (d, kind) in slice)
        {
            w.WriteStartObject();
            ZohoFields.Owner(w, org, "deleted_by", d.DeletedBy);
            w.WriteString("id", d.Id.ToString(Inv));
            if (kind == "recycle") w.WriteString("display_name", d.Name); else w.WriteNull("display_name");
            w.WriteString("type", kind);
            ZohoFields.Owner(w, org, "created_by", d.CreatedBy);
            w.WriteString("deleted_time", ZohoFields.Time(org, d.DeletedAt));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        OffsetInfo(w, perPage, slice.Count, page, all.Count > page * perPage);
        w.WriteEndObject();
    }

    private static void StageHistory(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        var fields = SelectFields(request, ZohoFields.DealHistory());
        var raw = request.RouteValues["id"]?.ToString();
        var sequence = long.TryParse(raw, NumberStyles.Integer, Inv, out var id) ? org.Sequence(ZohoOrg.Entity.Deal, id) : null;
        var deal = sequence is { } n ? org.Data.FindDeal(n) : null;
        if (deal is null || deal.IsDeleted) throw new ZohoError(400, "INVALID_DATA", "the id given seems to be invalid", new() { ["api_name"] = "id", ["resource_path_index"] = 1 });
        var rows = org.HistoryOf(deal).Reverse().ToList(); // newest first, as the related list shows them
        var (page, perPage) = PageParams(request);
        var slice = rows.Skip((page - 1) * perPage).Take(perPage).ToList();
        if (slice.Count == 0) throw new NoContent(204);
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var r in slice)
        {
            w.WriteStartObject();
            w.WriteString("id", r.Id.ToString(Inv));
            foreach (var f in fields) f.Write(w, org, r);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        OffsetInfo(w, perPage, slice.Count, page, rows.Count > page * perPage);
        w.WriteEndObject();
    }

    /// <summary>
    /// Related records: a contact's or account's Deals, the open Activities of a deal, contact or account (its Tasks, Events
    /// and Calls not done, each with Activity_Type naming its module and the requested fields that module has), and the Notes
    /// of any of them, newest first. 204 when there are none.
    /// </summary>
    private static void Related(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        var (module, related) = (request.RouteValues["module"]?.ToString(), request.RouteValues["related"]?.ToString());
        var id = long.TryParse(request.RouteValues["id"]?.ToString(), NumberStyles.Integer, Inv, out var parsed) ? parsed : 0;
        ZohoError InvalidId() => new(400, "INVALID_DATA", "the id given seems to be invalid", new() { ["api_name"] = "id", ["resource_path_index"] = 1 });
        var (page, perPage) = PageParams(request);
        switch (module, related)
        {
            case ("Contacts" or "Accounts", "Deals"):
            {
                var fields = SelectFields(request, ZohoFields.Deals(org));
                var deals = module == "Contacts"
                    ? org.Data.Deals.Where(d => !d.IsDeleted && d.PersonId == (ParentContact(org, id) ?? throw InvalidId()).Id).ToList()
                    : org.Data.Deals.Where(d => !d.IsDeleted && d.OrgId == (ParentAccount(org, id) ?? throw InvalidId()).Id).ToList();
                var slice = deals.Skip((page - 1) * perPage).Take(perPage).ToList();
                if (slice.Count == 0) throw new NoContent(204);
                WriteRelated(w, slice, org.DealId, (jw, d) => { foreach (var f in fields) f.Write(jw, org, d); }, perPage, page, deals.Count > page * perPage);
                break;
            }
            case ("Deals" or "Contacts" or "Accounts", "Activities"):
            {
                var byModule = new Dictionary<string, IReadOnlyList<ZohoField<SbActivity>>> { ["Tasks"] = ZohoFields.Tasks(), ["Events"] = ZohoFields.Events(), ["Calls"] = ZohoFields.Calls() };
                var names = RequiredParam(request, "fields").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(n => n != "id").Distinct().ToList();
                if (names.FirstOrDefault(n => n != "Activity_Type" && !byModule.Values.Any(fs => fs.Any(f => f.ApiName == n))) is { } unknown)
                    throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["api_name"] = unknown, ["param_name"] = "fields" });
                // A deal's activities are those on it; a contact's those with it as Who_Id; an account's those on it or its deals.
                Func<SbActivity, bool> of = module switch
                {
                    "Deals" => org.Sequence(ZohoOrg.Entity.Deal, id) is { } n && org.Data.FindDeal(n) is { IsDeleted: false } deal ? a => a.DealId == deal.Id : throw InvalidId(),
                    "Contacts" => ParentContact(org, id) is { } person ? a => a.PersonId == person.Id : throw InvalidId(),
                    _ => ParentAccount(org, id) is { } account ? a => a.OrgId == account.Id : throw InvalidId(),
                };
                var open = org.Data.Activities.Where(a => !a.IsDeleted && !a.Done && of(a)).ToList();
                var slice = open.Skip((page - 1) * perPage).Take(perPage).ToList();
                if (slice.Count == 0) throw new NoContent(204);
                WriteRelated(w, slice, org.ActivityId, (jw, a) =>
                {
                    var moduleOf = ZohoOrg.ModuleOf(a);
                    jw.WriteString("Activity_Type", moduleOf);
                    foreach (var f in byModule[moduleOf].Where(f => names.Contains(f.ApiName))) f.Write(jw, org, a);
                }, perPage, page, open.Count > page * perPage);
                break;
            }
            case ("Deals" or "Contacts" or "Accounts", "Notes"):
            {
                var exists = module switch
                {
                    "Deals" => org.Sequence(ZohoOrg.Entity.Deal, id) is { } n && org.Data.FindDeal(n) is { IsDeleted: false },
                    "Contacts" => ParentContact(org, id) is not null,
                    _ => ParentAccount(org, id) is not null,
                };
                if (!exists) throw InvalidId();
                var names = RequiredParam(request, "fields").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                var notes = org.Notes.Where(n => n.Module == module && n.ParentId == id).OrderByDescending(n => n.Created).ThenByDescending(n => n.Id).ToList();
                var slice = notes.Skip((page - 1) * perPage).Take(perPage).ToList();
                if (slice.Count == 0) throw new NoContent(204);
                WriteRelated(w, slice, n => n.Id, (jw, n) => ZohoFields.Note(jw, org, n, names), perPage, page, notes.Count > page * perPage);
                break;
            }
            default:
                throw new ZohoError(400, "INVALID_DATA", "the related list given seems to be invalid", new() { ["api_name"] = "related_list", ["resource_path_index"] = 2 });
        }
    }

    private static SbPerson? ParentContact(ZohoOrg org, long id) => org.Sequence(ZohoOrg.Entity.Contact, id) is { } n ? org.Data.FindPerson(n) : null;

    private static SbOrganization? ParentAccount(ZohoOrg org, long id) => org.Sequence(ZohoOrg.Entity.Account, id) is { } n ? org.Data.FindOrganization(n) : null;

    private static void WriteRelated<T>(Utf8JsonWriter w, List<T> records, Func<T, long> id, Action<Utf8JsonWriter, T> fields, int perPage, int page, bool more)
    {
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var r in records)
        {
            w.WriteStartObject();
            w.WriteString("id", id(r).ToString(Inv));
            fields(w, r);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        OffsetInfo(w, perPage, records.Count, page, more);
        w.WriteEndObject();
    }
}
