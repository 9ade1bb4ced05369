using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmEtl.Core.Trello;

namespace CrmEtl.Connectors.Trello;

/// <summary>
/// Trello's REST API (https://api.trello.com/1, or a sandbox): the key and token go in the Authorization header
/// (OAuth oauth_consumer_key="…", oauth_token="…"), never in a URL that could be logged. Each call is made once: a
/// refusal or failure is thrown as a <see cref="TrelloException"/> saying what it was, and the caller (the delivery
/// queue) decides when to try again — for a card, only after looking for it on its list. Every call first waits its
/// turn under Trello's limits (<see cref="ITrelloPace"/>), and a 429 pauses the key's and token's calls.
/// </summary>
public sealed class TrelloClient(HttpClient http, TrelloCredentials credentials, TimeSpan timeout, ITrelloPace pace)
{
    public const string HttpClientName = "trello";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The member the token belongs to (their username): the connection test.</summary>
    public async Task<string> MemberAsync(CancellationToken ct) =>
        Text(await SendAsync(HttpMethod.Get, "members/me?fields=username,fullName", ct), "username") ?? "";

    public async Task<IReadOnlyList<TrelloBoardInfo>> BoardsAsync(CancellationToken ct) =>
        (await SendAsync(HttpMethod.Get, "members/me/boards?filter=open&fields=id,name,closed,url", ct)).AsArray()
            .Select(b => new TrelloBoardInfo(Text(b, "id")!, Text(b, "name") ?? "", Bool(b, "closed"), Text(b, "url"))).ToList();

    public async Task<IReadOnlyList<TrelloListInfo>> ListsAsync(string boardId, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Get, $"boards/{Uri.EscapeDataString(boardId)}/lists?filter=open&fields=id,name,closed", ct)).AsArray()
            .Select(l => new TrelloListInfo(Text(l, "id")!, Text(l, "name") ?? "", Bool(l, "closed"))).ToList();

    /// <summary>The open cards of a list (to find a card made before an answer was lost).</summary>
    public async Task<IReadOnlyList<TrelloCardInfo>> CardsAsync(string listId, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Get, $"lists/{Uri.EscapeDataString(listId)}/cards", ct)).AsArray().Select(Card).ToList();

    public async Task<TrelloCardInfo> CreateCardAsync(NewTrelloCard card, CancellationToken ct)
    {
        var query = new List<string> { "idList=" + Uri.EscapeDataString(card.IdList), "name=" + Uri.EscapeDataString(card.Name), "desc=" + Uri.EscapeDataString(card.Desc), "pos=bottom" };
        if (card.Due is { } due) query.Add("due=" + Uri.EscapeDataString(due.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Inv)));
        if (card.UrlSource is { Length: > 0 } url) query.Add("urlSource=" + Uri.EscapeDataString(url));
        return Card(await SendAsync(HttpMethod.Post, "cards?" + string.Join('&', query), ct));
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string pathAndQuery, CancellationToken ct)
    {
        await pace.WaitTurnAsync(credentials, ct);
        using var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.TryAddWithoutValidation("Authorization", $"OAuth oauth_consumer_key=\"{credentials.Key}\", oauth_token=\"{credentials.Token}\"");
        var what = $"{method} /1/{pathAndQuery.Split('?')[0]}";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, limit.Token);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new TrelloException(TrelloFailure.NoAnswer, $"Trello did not answer {what}: {e.Message}", inner: e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                try { return JsonNode.Parse(body) ?? throw new JsonException("empty"); }
                catch (JsonException e) { throw new TrelloException(TrelloFailure.NoAnswer, $"Trello sent an unreadable answer to {what}: {e.Message}", inner: e); }
            }
            if (status == 429) pace.Pause(credentials, RetryAfter(response));
            throw status switch
            {
                429 => new TrelloException(TrelloFailure.RateLimited, $"Trello refused {what} for its rate limit ({ErrorCode(body)}).", RetryAfter(response)),
                401 => new TrelloException(TrelloFailure.Unauthorized, $"Trello refused the key or token ({body.Trim()}): connect Trello again with a valid API key and token."),
                404 => new TrelloException(TrelloFailure.NotFound, $"Trello has no such board or list any more ({what}: {body.Trim()})."),
                >= 500 => new TrelloException(TrelloFailure.Unavailable, $"Trello failed on {what} ({status}: {Shorten(body)})."),
                _ => new TrelloException(TrelloFailure.Refused, $"Trello refused {what} ({status}: {Shorten(body)})."),
            };
        }
    }

    /// <summary>API_TOKEN_LIMIT_EXCEEDED or API_KEY_LIMIT_EXCEEDED, as the 429's body says.</summary>
    private static string ErrorCode(string body)
    {
        try { return JsonNode.Parse(body)?["error"]?.GetValue<string>() ?? Shorten(body); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return Shorten(body); }
    }

    /// <summary>Retry-After when sent; else the rest of Trello's 10-second window is the safe wait.</summary>
    private static TimeSpan RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(10);

    private static TrelloCardInfo Card(JsonNode? c) =>
        new(Text(c, "id") ?? throw new TrelloException(TrelloFailure.NoAnswer, "Trello answered a card without its id."),
            Text(c, "name") ?? "", Text(c, "desc") ?? "", Text(c, "idList") ?? "", Text(c, "url"), Text(c, "shortUrl"));

    private static string? Text(JsonNode? node, string name) => node?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool Bool(JsonNode? node, string name) => node?[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text.Trim();
}
