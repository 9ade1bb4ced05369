using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Trello;

/// <summary>A request Trello refuses: its status and plain-text body ("invalid id", "The requested resource was not found.").</summary>
internal sealed class TrelloError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The part of Trello's REST API (https://api.trello.com/1) CrmEtl uses: the member's boards, a board's lists, a list's
/// cards, a board or list by id, and creating a card. Key and token come in the Authorization header
/// (OAuth oauth_consumer_key="…", oauth_token="…") or as key= and token=; Trello answers errors in plain text.
/// </summary>
internal sealed partial class TrelloEndpoints(IReadOnlyList<TrelloAccount> accounts, Faults faults, TrelloRateLimits limits, TimeProvider clock)
{
    private const int MaxText = 16_384;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Calls served per member and operation (e.g. "POST /1/cards"), for tests and benchmarks.</summary>
    public ConcurrentDictionary<(string Member, string Operation), int> Calls { get; } = new();

    public void Map(IEndpointRouteBuilder app)
    {
        void Get(string pattern, Func<TrelloAccount, HttpRequest, JsonNode> handler) =>
            app.MapGet(pattern, context => ServeAsync(context, "GET " + pattern, write: false, handler));
        Get("/1/members/{member}", Member);
        Get("/1/members/{member}/boards", Boards);
        Get("/1/boards/{id}", (a, r) => BoardJson(FindBoard(a, r)));
        Get("/1/boards/{id}/lists", Lists);
        Get("/1/lists/{id}", (a, r) => ListJson(FindList(a, r)));
        Get("/1/lists/{id}/cards", (a, r) => new JsonArray(FindList(a, r).Cards.Where(c => !c.Closed).Select(c => (JsonNode)CardJson(c)).ToArray()));
        app.MapPost("/1/cards", context => ServeAsync(context, "POST /1/cards", write: true, CreateCard));
    }

    private async Task ServeAsync(HttpContext context, string operation, bool write, Func<TrelloAccount, HttpRequest, JsonNode> handler)
    {
        var request = context.Request;
        var (key, token) = Credentials(request);
        var account = accounts.FirstOrDefault(a => a.Options.Key == key);
        if (account is null) { await TextAsync(context, 401, "invalid key"); return; }
        if (token is null || (account.Options.Token != token && !account.Options.OtherTokens.Contains(token))) { await TextAsync(context, 401, "invalid token"); return; }
        Calls.AddOrUpdate((account.Options.Member, operation), 1, (_, n) => n + 1);

        var fault = faults.Next(request.Path, write);
        if (faults.Latency > TimeSpan.Zero) await Task.Delay(faults.Latency, context.RequestAborted);
        var (limited, tokenRemaining, keyRemaining) = fault is Faults.Kind.Burst429 or Faults.Kind.Burst429NoHeaders
            ? ("API_TOKEN_LIMIT_EXCEEDED", 0, 0) : limits.Admit(key!, token);
        context.Response.Headers["x-rate-limit-api-token-interval-ms"] = "10000";
        context.Response.Headers["x-rate-limit-api-token-max"] = "100";
        context.Response.Headers["x-rate-limit-api-token-remaining"] = tokenRemaining.ToString(Inv);
        context.Response.Headers["x-rate-limit-api-key-interval-ms"] = "10000";
        context.Response.Headers["x-rate-limit-api-key-max"] = "300";
        context.Response.Headers["x-rate-limit-api-key-remaining"] = keyRemaining.ToString(Inv);
        if (limited is not null)
        {
            context.Response.StatusCode = 429;
            await context.Response.WriteAsJsonAsync(new { error = limited, message = limited == "API_KEY_LIMIT_EXCEEDED" ? "API key rate limit exceeded" : "API token rate limit exceeded" }, context.RequestAborted);
            return;
        }
        if (fault is Faults.Kind.ServerError) { await TextAsync(context, 500, "Internal Server Error"); return; }
        if (fault is Faults.Kind.Revoked) { await TextAsync(context, 401, "invalid token"); return; }

        JsonNode body;
        try
        {
            lock (account.Sync) body = handler(account, request);
        }
        catch (TrelloError e)
        {
            await TextAsync(context, e.Status, e.Message);
            return;
        }
        if (fault is Faults.Kind.LostAnswer)
        {
            // Done, and the answer never arrives: what a client sees when the network or its own process dies meanwhile.
            try { await Task.Delay(faults.LostAnswerDelay, context.RequestAborted); }
            catch (OperationCanceledException) { /* the client went away first */ }
            context.Abort();
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    /// <summary>From the OAuth header Trello documents, else from key= and token= (which end up in URLs and their logs).</summary>
    private static (string? Key, string? Token) Credentials(HttpRequest request)
    {
        var header = request.Headers.Authorization.FirstOrDefault();
        if (header is not null && header.StartsWith("OAuth ", StringComparison.OrdinalIgnoreCase))
        {
            var pairs = OAuthPair().Matches(header).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
            return (pairs.GetValueOrDefault("oauth_consumer_key"), pairs.GetValueOrDefault("oauth_token"));
        }
        return (request.Query["key"].FirstOrDefault(), request.Query["token"].FirstOrDefault());
    }

    [GeneratedRegex("""(\w+)="([^"]*)"\s*,?""")]
    private static partial Regex OAuthPair();

    private static Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    // ---- reading -------------------------------------------------------------------------------

    private static JsonNode Member(TrelloAccount account, HttpRequest request)
    {
        CheckMember(account, request);
        return new JsonObject
        {
            ["id"] = account.MemberId, ["username"] = account.Options.Member, ["fullName"] = account.Options.Member, ["initials"] = account.Options.Member[..1].ToUpperInvariant(),
            ["confirmed"] = true, ["memberType"] = "normal", ["url"] = $"https://trello.com/{account.Options.Member}",
            ["idBoards"] = new JsonArray(account.Boards.Where(b => !b.Deleted).Select(b => (JsonNode)b.Id).ToArray()),
        };
    }

    private static void CheckMember(TrelloAccount account, HttpRequest request)
    {
        var member = request.RouteValues["member"]?.ToString();
        if (member != "me" && member != account.MemberId && member != account.Options.Member) throw new TrelloError(401, "unauthorized member permission requested");
    }

    private static JsonNode Boards(TrelloAccount account, HttpRequest request)
    {
        CheckMember(account, request);
        var filter = request.Query["filter"].FirstOrDefault() ?? "all";
        if (filter is not ("all" or "open" or "closed")) throw new TrelloError(400, "invalid value for filter");
        return new JsonArray(account.Boards.Where(b => !b.Deleted && (filter == "all" || b.Closed == (filter == "closed"))).Select(b => (JsonNode)BoardJson(b)).ToArray());
    }

    private static JsonNode Lists(TrelloAccount account, HttpRequest request)
    {
        var board = FindBoard(account, request);
        var filter = request.Query["filter"].FirstOrDefault() ?? "open";
        if (filter is not ("all" or "open" or "closed")) throw new TrelloError(400, "invalid value for filter");
        return new JsonArray(board.Lists.Where(l => filter == "all" || l.Closed == (filter == "closed")).OrderBy(l => l.Pos).Select(l => (JsonNode)ListJson(l)).ToArray());
    }

    private static TrelloBoard FindBoard(TrelloAccount account, HttpRequest request)
    {
        var id = Id(request.RouteValues["id"]?.ToString());
        return account.Boards.FirstOrDefault(b => b.Id == id && !b.Deleted) ?? throw new TrelloError(404, "The requested resource was not found.");
    }

    private static TrelloList FindList(TrelloAccount account, HttpRequest request) => ListById(account, Id(request.RouteValues["id"]?.ToString()));

    private static TrelloList ListById(TrelloAccount account, string id) =>
        account.Boards.SelectMany(b => b.Lists).FirstOrDefault(l => l.Id == id && !l.Gone) ?? throw new TrelloError(404, "The requested resource was not found.");

    private static string Id(string? raw) =>
        raw is { Length: 24 } && raw.All(Uri.IsHexDigit) ? raw : throw new TrelloError(400, "invalid id");

    // ---- writing -------------------------------------------------------------------------------

    /// <summary>POST /1/cards?idList=…&amp;name=…&amp;desc=…&amp;pos=…&amp;due=…&amp;urlSource=…: a new card, at the bottom by default.</summary>
    private JsonNode CreateCard(TrelloAccount account, HttpRequest request)
    {
        string? Param(string name) => request.Query[name].FirstOrDefault();
        var idList = Param("idList");
        if (idList is not { Length: 24 } || !idList.All(Uri.IsHexDigit)) throw new TrelloError(400, "invalid value for idList");
        var list = ListById(account, idList);
        if (list.Closed) throw new TrelloError(400, "list is closed");
        var name = Param("name") ?? "";
        var desc = Param("desc") ?? "";
        if (name.Length > MaxText) throw new TrelloError(400, "invalid value for name");
        if (desc.Length > MaxText) throw new TrelloError(400, "invalid value for desc");
        DateTimeOffset? due = null;
        if (Param("due") is { Length: > 0 } rawDue)
            due = DateTimeOffset.TryParse(rawDue, Inv, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed.ToUniversalTime() : throw new TrelloError(400, "invalid value for due");
        var urlSource = Param("urlSource");
        if (urlSource is { Length: > 0 } && !Uri.TryCreate(urlSource, UriKind.Absolute, out _)) throw new TrelloError(400, "invalid value for urlSource");
        var bottom = list.Cards.Count == 0 ? 16384 : list.Cards.Max(c => c.Pos) + 16384;
        var pos = Param("pos") switch
        {
            null or "" or "bottom" => bottom,
            "top" => list.Cards.Count == 0 ? 16384 : list.Cards.Min(c => c.Pos) / 2,
            var n when double.TryParse(n, NumberStyles.Float, Inv, out var p) && p >= 0 => p,
            _ => throw new TrelloError(400, "invalid value for pos"),
        };
        var card = new TrelloCard
        {
            Id = NewId(), List = list, Name = name, Desc = desc, Due = due, UrlSource = string.IsNullOrEmpty(urlSource) ? null : urlSource, Pos = pos,
            IdShort = list.Board.Lists.Sum(l => l.Cards.Count) + 1, CreatedAt = clock.GetUtcNow(),
        };
        list.Cards.Add(card);
        return CardJson(card);
    }

    private static long _nextId = 0x5f00_0000;

    /// <summary>A Trello id: 24 hex characters, the first 8 a Unix time as in Trello's own.</summary>
    internal static string NewId() =>
        $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds():x8}{Interlocked.Increment(ref _nextId):x16}";

    // ---- JSON as Trello sends it ----------------------------------------------------------------

    private static JsonObject BoardJson(TrelloBoard b) => new()
    {
        ["id"] = b.Id, ["name"] = b.Name, ["desc"] = "", ["descData"] = null, ["closed"] = b.Closed, ["pinned"] = false, ["starred"] = false,
        ["url"] = $"https://trello.com/b/{b.ShortLink}/{Slug(b.Name)}", ["shortUrl"] = $"https://trello.com/b/{b.ShortLink}",
        ["labelNames"] = new JsonObject { ["green"] = "", ["yellow"] = "", ["orange"] = "", ["red"] = "", ["purple"] = "", ["blue"] = "" },
    };

    private static JsonObject ListJson(TrelloList l) => new()
    {
        ["id"] = l.Id, ["name"] = l.Name, ["closed"] = l.Closed, ["pos"] = l.Pos, ["idBoard"] = l.Board.Id, ["subscribed"] = false,
    };

    private static JsonObject CardJson(TrelloCard c) => new()
    {
        ["id"] = c.Id,
        ["badges"] = new JsonObject
        {
            ["attachmentsByType"] = new JsonObject { ["trello"] = new JsonObject { ["board"] = 0, ["card"] = 0 } },
            ["location"] = false, ["votes"] = 0, ["viewingMemberVoted"] = false, ["subscribed"] = false, ["fogbugz"] = "",
            ["checkItems"] = 0, ["checkItemsChecked"] = 0, ["comments"] = 0, ["attachments"] = c.UrlSource is null ? 0 : 1,
            ["description"] = c.Desc.Length > 0, ["due"] = Time(c.Due), ["start"] = null, ["dueComplete"] = false,
        },
        ["checkItemStates"] = new JsonArray(), ["closed"] = c.Closed, ["dateLastActivity"] = Time(c.CreatedAt),
        ["desc"] = c.Desc, ["descData"] = new JsonObject { ["emoji"] = new JsonObject() }, ["due"] = Time(c.Due), ["dueReminder"] = null,
        ["idBoard"] = c.List.Board.Id, ["idChecklists"] = new JsonArray(), ["idLabels"] = new JsonArray(), ["idList"] = c.List.Id,
        ["idMembers"] = new JsonArray(), ["idMembersVoted"] = new JsonArray(), ["idShort"] = c.IdShort, ["idAttachmentCover"] = null,
        ["labels"] = new JsonArray(), ["manualCoverAttachment"] = false, ["name"] = c.Name, ["pos"] = c.Pos, ["shortLink"] = c.ShortLink,
        ["shortUrl"] = $"https://trello.com/c/{c.ShortLink}", ["subscribed"] = false, ["url"] = $"https://trello.com/c/{c.ShortLink}/{c.IdShort}-{Slug(c.Name)}",
        ["start"] = null,
    };

    private static string? Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", Inv);

    private static string Slug(string name) =>
        Uri.EscapeDataString(Regex.Replace(name.ToLowerInvariant(), @"[^\p{L}\p{N}]+", "-").Trim('-'));
}
