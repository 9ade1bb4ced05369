using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Hosting;

/// <summary>
/// The process's clock (configuration section "Clock"). Every "now" of CrmEtl — run times, schedules,
/// cursors' completed passes, the analytics' "today" — comes from the one <see cref="TimeProvider"/> this
/// makes, never from the database's now(), so a test run can replay another date end to end.
/// </summary>
public sealed class ClockOptions
{
    public const string SectionName = "Clock";

    /// <summary>
    /// Shifts the clock by this much. Tests set it (as CRMETL__Clock__Offset) so that their hosts and the
    /// crmetl processes they start share the instant they pinned; leave it unset in production.
    /// </summary>
    [Range(typeof(TimeSpan), "-36500.00:00:00", "36500.00:00:00", ErrorMessage = "Clock:Offset must be a time span within 100 years, e.g. -3.04:00:00.")]
    public TimeSpan Offset { get; set; }

    public TimeProvider CreateClock() => Offset == TimeSpan.Zero ? TimeProvider.System : new ShiftedClock(Offset);

    /// <summary>The system clock moved by a fixed offset; timers and elapsed time stay the system's.</summary>
    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
