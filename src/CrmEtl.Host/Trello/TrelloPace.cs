using CrmEtl.Core.Trello;
using Microsoft.Extensions.Options;

namespace CrmEtl.Host.Trello;

/// <summary>
/// Paces a worker's Trello calls under the limits (Trello:TokenLimit per token and Trello:KeyLimit per key within
/// Trello:Window, plus a margin): a sliding log of the calls sent, and each call waits until it fits. A 429 pauses the key
/// and token for the wait Trello asks. One worker at a time delivers a company's cards (see InstanceLocks), so the
/// worker's log is the whole count.
/// </summary>
public sealed class TrelloPace(IOptions<TrelloOptions> options, TimeProvider clock) : ITrelloPace
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<long>> _sent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _pausedUntil = new(StringComparer.Ordinal);

    public async Task WaitTurnAsync(TrelloCredentials credentials, CancellationToken ct)
    {
        var o = options.Value;
        var window = (long)((o.Window + o.WindowMargin).TotalSeconds * clock.TimestampFrequency);
        var (token, key) = ("t:" + credentials.Token, "k:" + credentials.Key);
        while (true)
        {
            long wait;
            lock (_lock)
            {
                var now = clock.GetTimestamp();
                wait = Math.Max(Math.Max(Room(token, o.TokenLimit, window, now), Room(key, o.KeyLimit, window, now)),
                    Math.Max(_pausedUntil.GetValueOrDefault(token), _pausedUntil.GetValueOrDefault(key)) - now);
                if (wait <= 0)
                {
                    Log(token).Enqueue(now);
                    Log(key).Enqueue(now);
                    return;
                }
            }
            await Task.Delay(TimeSpan.FromSeconds((double)wait / clock.TimestampFrequency), clock, ct);
        }
    }

    public void Pause(TrelloCredentials credentials, TimeSpan wait)
    {
        lock (_lock)
        {
            var until = clock.GetTimestamp() + (long)(wait.TotalSeconds * clock.TimestampFrequency);
            foreach (var name in new[] { "t:" + credentials.Token, "k:" + credentials.Key })
                _pausedUntil[name] = Math.Max(_pausedUntil.GetValueOrDefault(name), until);
        }
    }

    /// <summary>0 when one more call fits in the window; else how long (in timestamp ticks) until the oldest leaves it.</summary>
    private long Room(string name, int limit, long window, long now)
    {
        var log = Log(name);
        while (log.Count > 0 && log.Peek() <= now - window) log.Dequeue();
        return log.Count < limit ? 0 : log.Peek() + window - now;
    }

    private Queue<long> Log(string name) => _sent.TryGetValue(name, out var log) ? log : _sent[name] = new Queue<long>();
}
