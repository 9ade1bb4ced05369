namespace CrmEtl.Sandbox;

/// <summary>
/// Switches that make a sandbox misbehave like a real service on a bad day. Rates are 0..1 and
/// apply per request; counters apply to the next N requests. All off by default.
/// </summary>
public sealed class Faults
{
    private readonly Lock _lock = new();
    private readonly Random _random = new(7);
    private int _burst429, _burst429NoHeaders, _serverErrors;

    public double ServerErrorRate { get; set; }
    public double MalformedRate { get; set; }
    public double TruncatedRate { get; set; }
    public TimeSpan Latency { get; set; }

    /// <summary>The next <paramref name="count"/> requests get a burst-limit 429 (with or without rate-limit headers).</summary>
    public void Add429Burst(int count, bool withHeaders = true)
    {
        lock (_lock) { if (withHeaders) _burst429 += count; else _burst429NoHeaders += count; }
    }

    /// <summary>The next <paramref name="count"/> requests get a 500.</summary>
    public void AddServerErrors(int count) { lock (_lock) _serverErrors += count; }

    public void Clear()
    {
        lock (_lock) { _burst429 = _burst429NoHeaders = _serverErrors = 0; }
        ServerErrorRate = MalformedRate = TruncatedRate = 0;
        Latency = TimeSpan.Zero;
    }

    public enum Kind { None, Burst429, Burst429NoHeaders, ServerError, Malformed, Truncated }

    internal Kind Next()
    {
        lock (_lock)
        {
            if (_burst429 > 0) { _burst429--; return Kind.Burst429; }
            if (_burst429NoHeaders > 0) { _burst429NoHeaders--; return Kind.Burst429NoHeaders; }
            if (_serverErrors > 0) { _serverErrors--; return Kind.ServerError; }
            if (ServerErrorRate > 0 && _random.NextDouble() < ServerErrorRate) return Kind.ServerError;
            if (MalformedRate > 0 && _random.NextDouble() < MalformedRate) return Kind.Malformed;
            if (TruncatedRate > 0 && _random.NextDouble() < TruncatedRate) return Kind.Truncated;
            return Kind.None;
        }
    }
}
