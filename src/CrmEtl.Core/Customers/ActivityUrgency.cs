using CrmEtl.Core.Metrics;

namespace CrmEtl.Core.Customers;

/// <summary>How soon a planned activity is due, as the card's circle shows it.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<Urgency>))]
public enum Urgency
{
    /// <summary>Grey: due after today.</summary>
    Later = 0,
    /// <summary>Green: due today and not yet past.</summary>
    Today = 1,
    /// <summary>Red: past its deadline.</summary>
    Expired = 2,
}

/// <summary>A planned activity of a deal: its due date, and its UTC due time unless it lasts all day.</summary>
public sealed record PlannedActivity(int InstanceId, long DealId, string Subject, string Type, DateOnly DueDate, TimeOnly? DueTimeUtc);

/// <summary>The activity that decides a deal's circle, with its urgency and its deadline as the agent reads it.</summary>
public sealed record DecidingActivity(string Subject, string Type, Urgency Urgency, string Deadline, DateOnly DueDate, DateTimeOffset? DueAt);

/// <summary>
/// "Today" and "expired" are judged on the instance's calendar: a timed activity expires at its due instant, is due
/// today when that instant falls on today's local date; an all-day activity is a date, not an instant: due today on
/// that date, expired only from the next day on.
/// </summary>
public static class ActivityUrgency
{
    /// <summary>The circle's colour: red expired, green due today, grey later.</summary>
    public static string Colour(Urgency urgency) => urgency switch { Urgency.Expired => "red", Urgency.Today => "green", _ => "grey" };

    public static Urgency Of(PlannedActivity activity, DateTimeOffset now, string timeZone)
    {
        var today = LocalDates.Of(now, timeZone);
        if (activity.DueTimeUtc is not { } time)
            return activity.DueDate < today ? Urgency.Expired : activity.DueDate == today ? Urgency.Today : Urgency.Later;
        var dueAt = DueAt(activity.DueDate, time);
        return dueAt < now ? Urgency.Expired : LocalDates.Of(dueAt, timeZone) == today ? Urgency.Today : Urgency.Later;
    }

    /// <summary>
    /// The most critical of a deal's planned activities (expired before today before later), and among those the one
    /// due first; null when the deal has none.
    /// </summary>
    public static DecidingActivity? Deciding(IEnumerable<PlannedActivity> activities, DateTimeOffset now, string timeZone)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        return activities
            .Select(a => (Activity: a, Urgency: Of(a, now, timeZone), Order: a.DueTimeUtc is { } t ? DueAt(a.DueDate, t) : new DateTimeOffset(a.DueDate.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)))
            .OrderByDescending(x => x.Urgency).ThenBy(x => x.Order)
            .Select(x => new DecidingActivity(x.Activity.Subject, x.Activity.Type, x.Urgency, Deadline(x.Activity, zone), x.Activity.DueDate,
                x.Activity.DueTimeUtc is { } t ? DueAt(x.Activity.DueDate, t) : null))
            .FirstOrDefault();
    }

    /// <summary>"14:30 2026-11-30" in the instance's zone, or only "2026-11-30" for an all-day activity.</summary>
    public static string Deadline(PlannedActivity activity, TimeZoneInfo zone) =>
        activity.DueTimeUtc is { } time
            ? TimeZoneInfo.ConvertTime(DueAt(activity.DueDate, time), zone).ToString("HH:mm yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)
            : activity.DueDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset DueAt(DateOnly date, TimeOnly timeUtc) => new(date.ToDateTime(timeUtc), TimeSpan.Zero);
}
