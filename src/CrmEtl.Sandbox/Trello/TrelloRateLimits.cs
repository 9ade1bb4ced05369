using System.Diagnostics;

namespace CrmEtl.Sandbox.Trello;

/// <summary>
/// Trello's limits on the real clock: at most TokenLimit requests per window per token and KeyLimit per key. A refused
/// request counts too; more than 200 refusals on a key within a window shut the key out until the window ends.
/// </summary>
internal sealed class TrelloRateLimits(int tokenLimit, int keyLimit, TimeSpan window)
{
    public const int RefusalsBeforeShutOut = 200;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<long>> _byToken = [], _byKey = [];
    private readonly Dictionary<string, Queue<long>> _refusedByKey = [];
    private readonly Dictionary<string, long> _shutOutUntil = [];
    private readonly long _window = (long)(window.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Refusals answered so far (429s), for tests and benchmarks.</summary>
    public int Refused { get; private set; }

    /// <summary>Null when the request may go on; otherwise the 429 error code, and (remaining per token, per key) for the headers.</summary>
    public (string? Error, int TokenRemaining, int KeyRemaining) Admit(string key, string token)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            var byToken = Recent(_byToken, token, now);
            var byKey = Recent(_byKey, key, now);
            var shutOut = _shutOutUntil.TryGetValue(key, out var until) && until > now;
            string? error = shutOut || byKey.Count >= keyLimit ? "API_KEY_LIMIT_EXCEEDED" : byToken.Count >= tokenLimit ? "API_TOKEN_LIMIT_EXCEEDED" : null;
            if (error is null)
            {
                byToken.Enqueue(now);
                byKey.Enqueue(now);
            }
            else
            {
                Refused++;
                var refused = Recent(_refusedByKey, key, now);
                refused.Enqueue(now);
                if (refused.Count > RefusalsBeforeShutOut && !shutOut) _shutOutUntil[key] = now + _window;
            }
            return (error, Math.Max(0, tokenLimit - byToken.Count), Math.Max(0, keyLimit - byKey.Count));
        }
    }

    private Queue<long> Recent(Dictionary<string, Queue<long>> all, string name, long now)
    {
        if (!all.TryGetValue(name, out var queue)) all[name] = queue = new Queue<long>();
        while (queue.Count > 0 && queue.Peek() <= now - _window) queue.Dequeue();
        return queue;
    }
}
