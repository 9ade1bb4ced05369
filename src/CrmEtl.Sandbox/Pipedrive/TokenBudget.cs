namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>
/// Pipedrive's token-based rate limiting: a daily token budget reset at midnight (UTC here), and a
/// request limit per 2-second window.
/// </summary>
public sealed class TokenBudget(long dailyBudget, int burstLimit)
{
    private readonly Lock _lock = new();
    private DateOnly _day;
    private long _spent;
    private long _windowStart = long.MinValue;
    private int _windowCount;

    public long DailyBudget { get; set; } = dailyBudget;
    public int BurstLimit { get; set; } = burstLimit;
    public static TimeSpan Window { get; } = TimeSpan.FromSeconds(2);

    public long Spent { get { lock (_lock) return _spent; } }

    public enum Verdict { Allowed, BurstExceeded, BudgetExhausted }

    /// <summary>Charges one request of <paramref name="cost"/> tokens, or says why it is refused.</summary>
    public (Verdict Verdict, int Remaining, int ResetSeconds) Charge(int cost, DateTimeOffset now)
    {
        lock (_lock)
        {
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            if (today != _day) { _day = today; _spent = 0; }
            var windowTicks = Window.Ticks;
            var windowStart = now.UtcTicks - now.UtcTicks % windowTicks;
            if (windowStart != _windowStart) { _windowStart = windowStart; _windowCount = 0; }
            var reset = (int)Math.Ceiling((windowStart + windowTicks - now.UtcTicks) / (double)TimeSpan.TicksPerSecond);

            if (_windowCount >= BurstLimit) return (Verdict.BurstExceeded, 0, reset);
            _windowCount++;
            if (_spent + cost > DailyBudget) return (Verdict.BudgetExhausted, BurstLimit - _windowCount, reset);
            _spent += cost;
            return (Verdict.Allowed, BurstLimit - _windowCount, reset);
        }
    }

    /// <summary>Spend the rest of today's budget, as if other integrations had used it.</summary>
    public void Exhaust() { lock (_lock) _spent = DailyBudget; }

    public void ResetDay() { lock (_lock) _spent = 0; }
}
