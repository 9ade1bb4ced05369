using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Trello;

/// <summary>Delivering Trello cards (configuration section "Trello"): how often, how fast, and how long to keep trying.</summary>
public sealed class TrelloOptions : IValidatableObject
{
    public const string SectionName = "Trello";

    /// <summary>How often a worker looks for events to deliver.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Trello:PollEvery is how often a worker looks for cards to make, between 00:00:00.100 and 01:00:00 (e.g. 00:00:05).")]
    public TimeSpan PollEvery { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one Trello call may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Trello:RequestTimeout is how long one Trello call may take, between 00:00:00.100 and 00:05:00 (e.g. 00:00:30).")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a worker holds the events it took: another worker takes them over after this when it died.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Trello:ClaimFor is how long a worker holds the events it took, between 00:00:01 and 01:00:00 (e.g. 00:02:00).")]
    public TimeSpan ClaimFor { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How many events a worker takes at a time.</summary>
    [Range(1, 1000, ErrorMessage = "Trello:BatchSize is how many events a worker takes at a time, 1 to 1000 (e.g. 20).")]
    public int BatchSize { get; set; } = 20;

    /// <summary>Calls in flight at once for one company: Trello answers in about 100–300 ms, and one call at a time could not use the limit.</summary>
    [Range(1, 32, ErrorMessage = "Trello:Concurrency is how many Trello calls of a company may be in flight at once, 1 to 32 (e.g. 4).")]
    public int Concurrency { get; set; } = 4;

    /// <summary>Failed attempts before an event is marked failed (with the back-off below, 12 attempts span about three days).</summary>
    [Range(1, 100, ErrorMessage = "Trello:MaxAttempts is how many failed attempts mark a card failed, 1 to 100 (e.g. 12).")]
    public int MaxAttempts { get; set; } = 12;

    /// <summary>The wait after a first failed attempt; each next wait is three times longer, up to <see cref="MaxRetryAfter"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Trello:FirstRetryAfter is the wait after a first failure, up to 1.00:00:00 (e.g. 00:00:30).")]
    public TimeSpan FirstRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00", ErrorMessage = "Trello:MaxRetryAfter is the longest wait between attempts, up to 7.00:00:00 (e.g. 12:00:00).")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Trello's limits: requests per window per token and per key.</summary>
    [Range(1, 100_000, ErrorMessage = "Trello:TokenLimit is Trello's limit of requests per window per token: 100.")]
    public int TokenLimit { get; set; } = 100;

    [Range(1, 100_000, ErrorMessage = "Trello:KeyLimit is Trello's limit of requests per window per API key: 300.")]
    public int KeyLimit { get; set; } = 300;

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Trello:Window is the window of Trello's limits: 00:00:10.")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Added to the window when pacing, so that calls that take longer to arrive than others still fit in Trello's count.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "Trello:WindowMargin is a safety margin added to the window, up to 00:00:10 (e.g. 00:00:00.500).")]
    public TimeSpan WindowMargin { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The wait before attempt <paramref name="failed"/> + 1, after <paramref name="failed"/> failed attempts.</summary>
    public TimeSpan RetryAfter(int failed) =>
        TimeSpan.FromTicks((long)Math.Min(MaxRetryAfter.Ticks, FirstRetryAfter.Ticks * Math.Pow(3, Math.Max(0, failed - 1))));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A worker still waiting for Trello must not lose its events to another (which would make a second card).
        if (ClaimFor <= RequestTimeout * 2)
            yield return new ValidationResult(
                $"Trello:ClaimFor ({ClaimFor}) must be longer than two Trello calls (Trello:RequestTimeout {RequestTimeout} × 2): a worker looks for a card, then makes it, within one claim.",
                [nameof(ClaimFor)]);
    }
}
