using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>A request the sandbox refuses with a problem+json body (error-codes.md).</summary>
internal sealed class KommoError(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;

    /// <summary>For a 400 on a write: what was wrong with each record sent, as 'validation-errors' (error-codes.md).</summary>
    public IReadOnlyList<KommoRecordErrors>? ValidationErrors { get; init; }

    public static KommoError BadRequest(string detail) => new(400, "Bad Request", detail);

    /// <summary>error-codes.md, 'Пример ошибки валидации данных': detail "Request validation failed" and the errors per record.</summary>
    public static KommoError Invalid(IReadOnlyList<KommoRecordErrors> errors) =>
        new(400, "Bad Request", "Request validation failed") { ValidationErrors = errors };
}

/// <summary>One record's validation errors: its request_id (as sent, else its index) and each error's code, path and detail.</summary>
internal sealed record KommoRecordErrors(string RequestId, IReadOnlyList<KommoFieldError> Errors);

internal sealed record KommoFieldError(string Code, string Path, string Detail);

/// <summary>Nothing to answer: 204 No Content with no body (an empty page, an id that does not exist).</summary>
internal sealed class KommoNoContent : Exception;

/// <summary>
/// A request's query the way Kommo reads it: PHP-style keys (filter[id]=1, filter[id][]=1, filter[id][0]=1,
/// filter[updated_at][from]=…), comma-separated with=, page from 1, limit capped per list, order[field]=asc|desc.
/// </summary>
internal sealed class KommoQuery(HttpRequest request, System.Text.Json.Nodes.JsonNode? body = null)
{
    public const int DefaultLimit = 50;

    public HttpRequest Request => request;

    /// <summary>A write's JSON body, parsed before the account's lock is taken; null for a read or an empty body.</summary>
    public System.Text.Json.Nodes.JsonNode? Body => body;

    public string? Raw(string key) => request.Query[key].FirstOrDefault();

    /// <summary>The values of key, key[] and key[0], key[1]…</summary>
    public IReadOnlyList<string> Values(string key) =>
        [.. request.Query.Where(q => q.Key == key || q.Key == key + "[]" || IsIndexed(q.Key, key)).SelectMany(q => q.Value.OfType<string>())];

    public IReadOnlyList<long> Longs(string key) =>
        [.. Values(key).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries)).Select(v => Long(key, v))];

    /// <summary>with=a,b: what to add to the answer.</summary>
    public IReadOnlySet<string> With { get; } =
        (request.Query["with"].FirstOrDefault() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    public int Page => int.TryParse(Raw("page"), NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page > 0 ? page : 1;

    /// <summary>The page size: 50 unless asked; more than <paramref name="max"/> silently gives <paramref name="max"/>.</summary>
    public int Limit(int max) =>
        int.TryParse(Raw("limit"), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0 ? Math.Min(limit, max) : Math.Min(DefaultLimit, max);

    /// <summary>
    /// key[from] and key[to], both inclusive, as Unix seconds; a bare key=timestamp means "after it" (the docs of tasks,
    /// notes and events), i.e. from the next second.
    /// </summary>
    public (DateTime? From, DateTime? To) Range(string key)
    {
        DateTime? At(string? raw, int plus) => raw is null ? null : DateTime.UnixEpoch.AddSeconds(Long(key, raw) + plus);
        return Raw(key) is { } after ? (At(after, 1), null) : (At(Raw(key + "[from]"), 0), At(Raw(key + "[to]"), 0));
    }

    /// <summary>order[field]=asc|desc for one of <paramref name="fields"/>; null when not asked.</summary>
    public (string Field, bool Descending)? Order(params string[] fields)
    {
        var asked = request.Query.Where(q => q.Key.StartsWith("order[", StringComparison.Ordinal)).ToList();
        if (asked.Count == 0) return null;
        var field = asked[0].Key["order[".Length..].TrimEnd(']');
        var direction = asked[0].Value.FirstOrDefault()?.ToLowerInvariant();
        if (!fields.Contains(field) || direction is not ("asc" or "desc"))
            throw KommoError.BadRequest($"order[{field}]={direction}: sort by {string.Join(", ", fields)}, asc or desc");
        return (field, direction == "desc");
    }

    /// <summary>filter[statuses][n][pipeline_id] with filter[statuses][n][status_id], n from 0.</summary>
    public IReadOnlyList<(long Pipeline, long Status)> StatusPairs(string key)
    {
        var pairs = new List<(long, long)>();
        for (var n = 0; Raw($"{key}[{n}][status_id]") is { } status; n++)
            pairs.Add((Long(key, Raw($"{key}[{n}][pipeline_id]") ?? "0"), Long(key, status)));
        return pairs;
    }

    /// <summary>
    /// Writes a page of <paramref name="items"/> (filtered and ordered) as Kommo's lists: _page, _links.self (and next
    /// only when there is a next page), _embedded.{name}; with <paramref name="counts"/>, _total_items and _page_count
    /// too. An empty page is 204 No Content.
    /// </summary>
    public void WritePage<T>(Utf8JsonWriter w, string baseUrl, string name, IReadOnlyList<T> items, int maxLimit, Action<Utf8JsonWriter, T> write, bool counts = false)
    {
        var (page, limit) = (Page, Limit(maxLimit));
        var first = (long)(page - 1) * limit;
        if (first >= items.Count) throw new KommoNoContent();
        var pages = (items.Count + limit - 1) / limit;
        w.WriteStartObject();
        if (counts) w.WriteNumber("_total_items", items.Count);
        w.WriteNumber("_page", page);
        if (counts) w.WriteNumber("_page_count", pages);
        w.WriteStartObject("_links");
        KommoJson.Link(w, "self", baseUrl + PageUrl(page, limit));
        if (page < pages) KommoJson.Link(w, "next", baseUrl + PageUrl(page + 1, limit));
        if (page > 1) KommoJson.Link(w, "prev", baseUrl + PageUrl(page - 1, limit));
        w.WriteEndObject();
        w.WriteStartObject("_embedded");
        w.WriteStartArray(name);
        for (var i = (int)first; i < Math.Min(items.Count, first + limit); i++) write(w, items[i]);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The request's path and query with another page: its other parameters as sent, then limit and page.</summary>
    private string PageUrl(int page, int limit)
    {
        var url = new StringBuilder(request.Path.Value).Append('?');
        foreach (var (key, values) in request.Query.Where(q => q.Key is not ("page" or "limit")))
            foreach (var value in values)
                url.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? "")).Append('&');
        return url.Append(CultureInfo.InvariantCulture, $"limit={limit}&page={page}").ToString();
    }

    private static bool IsIndexed(string name, string key) =>
        name.Length > key.Length + 2 && name.StartsWith(key + "[", StringComparison.Ordinal) && name.EndsWith(']')
        && name.AsSpan(key.Length + 1, name.Length - key.Length - 2).IndexOfAnyExceptInRange('0', '9') < 0;

    private static long Long(string key, string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
            : throw KommoError.BadRequest($"{key}: '{value}' is not a number");
}
