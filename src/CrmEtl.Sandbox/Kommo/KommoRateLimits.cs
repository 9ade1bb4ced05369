namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// Kommo's limits (error-codes.md, 'Другие ответы') on the sandbox's clock: at most RequestsPerSecond requests per
/// second per integration and account (429 beyond); repeatedly exceeding it, more than RefusalsBeforeBlock 429s within
/// RefusalWindow, blocks the account (403 to every request) for BlockFor. A refused request is not counted as made.
/// </summary>
internal sealed class KommoRateLimits(KommoSandboxOptions options, TimeProvider clock)
{
    public enum Verdict { Admitted, TooMany, Blocked }

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Account, string Client), Queue<DateTime>> _made = [];
    private readonly Dictionary<string, Queue<DateTime>> _refused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _blockedUntil = new(StringComparer.Ordinal);

    /// <summary>429s answered so far.</summary>
    public int Refused { get; private set; }

    /// <summary>403s answered so far because an account was blocked.</summary>
    public int BlockedAnswers { get; private set; }

    public bool IsBlocked(string account)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            if (!_blockedUntil.TryGetValue(account, out var until) || until <= now) return false;
            BlockedAnswers++;
            return true;
        }
    }

    public Verdict Admit(string account, string client)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            var made = Recent(_made, (account, client), now, TimeSpan.FromSeconds(1));
            if (made.Count < options.RequestsPerSecond)
            {
                made.Enqueue(now);
                return Verdict.Admitted;
            }
            Refused++;
            var refused = Recent(_refused, account, now, options.RefusalWindow);
            refused.Enqueue(now);
            if (refused.Count <= options.RefusalsBeforeBlock) return Verdict.TooMany;
            _blockedUntil[account] = now + options.BlockFor;
            refused.Clear();
            BlockedAnswers++;
            return Verdict.Blocked;
        }
    }

    /// <summary>Blocks the account now, as Kommo does after another integration of it kept exceeding the limit.</summary>
    public void Block(string account)
    {
        lock (_lock) _blockedUntil[account] = clock.GetUtcNow().UtcDateTime + options.BlockFor;
    }

    /// <summary>As Kommo's support lifting a block.</summary>
    public void Unblock(string account)
    {
        lock (_lock) _blockedUntil.Remove(account);
    }

    private static Queue<DateTime> Recent<TKey>(Dictionary<TKey, Queue<DateTime>> all, TKey key, DateTime now, TimeSpan window) where TKey : notnull
    {
        if (!all.TryGetValue(key, out var queue)) all[key] = queue = new Queue<DateTime>();
        while (queue.Count > 0 && queue.Peek() <= now - window) queue.Dequeue();
        return queue;
    }
}
