using System.Text.Json;
using System.Text.Json.Nodes;

namespace CrmEtl.Sandbox;

/// <summary>
/// Switches that make a sandbox misbehave like a real service on a bad day. Rates are 0..1 and
/// apply per request; counters apply to the next N requests. All off by default.
/// </summary>
public sealed class Faults
{
    private readonly Lock _lock = new();
    private readonly Random _random = new(7);
    private int _burst429, _burst429NoHeaders, _serverErrors, _holdOff, _lostAnswers;

    public double ServerErrorRate { get; set; }
    public double MalformedRate { get; set; }
    public double TruncatedRate { get; set; }

    /// <summary>Share of answers whose first record lacks its "id" (or its first field, where it has none).</summary>
    public double MissingFieldRate { get; set; }

    /// <summary>Share of answers whose first record has an object where its "id" (or its first field) should be.</summary>
    public double WrongTypeRate { get; set; }
    public TimeSpan Latency { get; set; }

    /// <summary>When set, the switches act only on requests whose path contains it (e.g. "changelog"); others are answered normally.</summary>
    public string? OnlyPaths { get; set; }

    /// <summary>Every request is refused with 401 as if the API token or access token had been revoked.</summary>
    public bool Revoked { get; set; }

    /// <summary>The next <paramref name="requests"/> requests are answered normally; the switches act after them (a fault mid-run).</summary>
    public void HoldOff(int requests) { lock (_lock) _holdOff = requests; }

    /// <summary>The next <paramref name="count"/> requests get a burst-limit 429 (with or without rate-limit headers).</summary>
    public void Add429Burst(int count, bool withHeaders = true)
    {
        lock (_lock) { if (withHeaders) _burst429 += count; else _burst429NoHeaders += count; }
    }

    /// <summary>The next <paramref name="count"/> requests get a 500.</summary>
    public void AddServerErrors(int count) { lock (_lock) _serverErrors += count; }

    /// <summary>
    /// The next <paramref name="count"/> writes are done, but their answers are lost (the connection drops): what a client
    /// sees when the network or its own process dies after the CRM acted.
    /// </summary>
    public void LoseWriteAnswers(int count) { lock (_lock) _lostAnswers += count; }

    /// <summary>How long a lost answer is held before its connection drops (a client killed meanwhile never learns it was done).</summary>
    public TimeSpan LostAnswerDelay { get; set; }

    public void Clear()
    {
        lock (_lock) { _burst429 = _burst429NoHeaders = _serverErrors = _holdOff = _lostAnswers = 0; }
        Revoked = false;
        OnlyPaths = null;
        ServerErrorRate = MalformedRate = TruncatedRate = MissingFieldRate = WrongTypeRate = 0;
        Latency = LostAnswerDelay = TimeSpan.Zero;
    }

    public enum Kind { None, Burst429, Burst429NoHeaders, ServerError, Malformed, Truncated, MissingField, WrongType, Revoked, LostAnswer }

    /// <param name="write">A POST or PATCH: only those lose their answers.</param>
    internal Kind Next(string path, bool write = false)
    {
        if (OnlyPaths is { } only && !path.Contains(only, StringComparison.OrdinalIgnoreCase)) return Kind.None;
        lock (_lock)
        {
            if (_holdOff > 0) { _holdOff--; return Kind.None; }
            if (write && _lostAnswers > 0) { _lostAnswers--; return Kind.LostAnswer; }
            if (Revoked) return Kind.Revoked;
            if (_burst429 > 0) { _burst429--; return Kind.Burst429; }
            if (_burst429NoHeaders > 0) { _burst429NoHeaders--; return Kind.Burst429NoHeaders; }
            if (_serverErrors > 0) { _serverErrors--; return Kind.ServerError; }
            if (ServerErrorRate > 0 && _random.NextDouble() < ServerErrorRate) return Kind.ServerError;
            if (MalformedRate > 0 && _random.NextDouble() < MalformedRate) return Kind.Malformed;
            if (TruncatedRate > 0 && _random.NextDouble() < TruncatedRate) return Kind.Truncated;
            if (MissingFieldRate > 0 && _random.NextDouble() < MissingFieldRate) return Kind.MissingField;
            if (WrongTypeRate > 0 && _random.NextDouble() < WrongTypeRate) return Kind.WrongType;
            return Kind.None;
        }
    }

    /// <summary>
    /// A well-formed answer damaged as <paramref name="kind"/> says (a missing field or one of the wrong type in its
    /// first record); any other kind, or an answer without records, comes back as it was.
    /// </summary>
    internal static ReadOnlyMemory<byte> Damage(Kind kind, ReadOnlyMemory<byte> body) => Damage(kind, body, FirstDataRecord);

    /// <param name="firstRecord">Finds the first record in a body parsed as a tree: Pipedrive and Zoho keep records under "data", Kommo under "_embedded".</param>
    internal static ReadOnlyMemory<byte> Damage(Kind kind, ReadOnlyMemory<byte> body, Func<JsonNode?, JsonObject?> firstRecord)
    {
        if (kind is not (Kind.MissingField or Kind.WrongType)) return body;
        var root = JsonNode.Parse(body.Span);
        var record = firstRecord(root);
        if (record is null || record.Count == 0) return body;
        var field = record.ContainsKey("id") ? "id" : record.First().Key;
        if (kind == Kind.MissingField) record.Remove(field);
        else record[field] = new JsonObject { ["unexpected"] = true };
        return JsonSerializer.SerializeToUtf8Bytes(root);
    }

    private static JsonObject? FirstDataRecord(JsonNode? root) => root?["data"] switch
    {
        JsonArray { Count: > 0 } list => list[0] as JsonObject,
        JsonObject one => one,
        _ => null,
    };
}
