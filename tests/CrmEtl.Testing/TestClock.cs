using System.Globalization;

namespace CrmEtl.Testing;

/// <summary>
/// The one clock of a test run, so that no test depends on the date it runs on and any date can be replayed.
/// Its instant, <see cref="Now"/>, is CRMETL_TEST_NOW when that is set (an ISO 8601 instant such as
/// 2026-12-31T23:30:00Z), else the real time when the run began; from there <see cref="Clock"/> flows at the pace
/// of real time. Sandboxes generate their history as of <see cref="Now"/> and serve it on <see cref="Clock"/>;
/// CrmEtl's hosts, in this process and in the crmetl processes it starts, read the same clock through the
/// setting Clock:Offset, which <see cref="Apply"/> puts in the environment.
/// </summary>
public static class TestClock
{
    public const string Variable = "CRMETL_TEST_NOW";
    private const string OffsetVariable = "CRMETL__Clock__Offset";

    private static readonly DateTimeOffset RealStart = TimeProvider.System.GetUtcNow();

    /// <summary>The run's instant, in whole seconds.</summary>
    public static DateTimeOffset Now { get; } = Read(Environment.GetEnvironmentVariable(Variable)) ?? RealStart.AddTicks(-(RealStart.Ticks % TimeSpan.TicksPerSecond));

    /// <summary>True when CRMETL_TEST_NOW pinned the instant.</summary>
    public static bool Pinned => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable));

    /// <summary>How far the run's clock is from the real one.</summary>
    public static TimeSpan Offset { get; } = Now - RealStart;

    /// <summary>Real time moved by <see cref="Offset"/>: <see cref="Now"/> when the run began.</summary>
    public static TimeProvider Clock { get; } = new ShiftedClock(Offset);

    /// <summary>
    /// Makes every CrmEtl host this process builds, and every crmetl process it starts, run on <see cref="Clock"/>;
    /// returns the line a run prints first, which says how to replay it.
    /// </summary>
    public static string Apply()
    {
        Environment.SetEnvironmentVariable(OffsetVariable, Offset.ToString("c", CultureInfo.InvariantCulture));
        var instant = Now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return Pinned
            ? $"Test clock: pinned to {instant} by {Variable}."
            : $"Test clock: {instant}, the real time when the run began; replay this run's dates with {Variable}={instant}.";
    }

    /// <summary>The instant in <paramref name="text"/>; an unreadable one stops the run with what to write instead.</summary>
    public static DateTimeOffset? Read(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at;
        throw new InvalidOperationException($"{Variable}='{text}' is not an instant: write it as ISO 8601, e.g. 2026-12-31T23:30:00Z.");
    }

    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
