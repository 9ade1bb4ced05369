using CrmEtl.Core.Configuration;

namespace CrmEtl.Core.Metrics;

/// <summary>A converted amount, with the rate used, as the analytics tables keep it.</summary>
public sealed record Converted(decimal Amount, string Currency, decimal Rate, decimal ConvertedAmount);

/// <summary>
/// Rates by date: "1 unit of X = r units of the reporting currency", effective from a date until
/// the next one. The same currency converts at exactly 1; a missing rate is an error, never 1.0.
/// </summary>
public sealed class ExchangeRates(IEnumerable<ExchangeRateRow> rates)
{
    private readonly ILookup<(string, string), ExchangeRateRow> _byPair = rates.ToLookup(r => (r.Currency, r.ReportingCurrency));

    /// <summary>The rate on <paramref name="date"/>, or null when none is effective then.</summary>
    public decimal? RateOn(string currency, string reportingCurrency, DateOnly date) =>
        currency == reportingCurrency ? 1m
        : _byPair[(currency, reportingCurrency)].Where(r => r.ValidFrom <= date).MaxBy(r => r.ValidFrom)?.Rate;

    public Converted Convert(decimal amount, string currency, string reportingCurrency, DateOnly date) =>
        RateOn(currency, reportingCurrency, date) is { } rate
            ? new Converted(amount, currency, rate, amount * rate)
            : throw new InvalidOperationException($"No exchange rate from {currency} to {reportingCurrency} on or before {date:yyyy-MM-dd}; import one with 'crmetl config import'.");
}

/// <summary>Calendar dates in an instance's time zone.</summary>
public static class LocalDates
{
    public static DateOnly Of(DateTimeOffset instant, string timeZone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, TimeZoneInfo.FindSystemTimeZoneById(timeZone)).DateTime);

    /// <summary>
    /// The day an activity counts on: a completed one on the local day it was marked done, all-day or
    /// not (marking done is an instant); a planned one on the local day it is due (Pipedrive's due date
    /// and time are UTC), and a planned all-day one (a due date without a time) on that date: it is a
    /// date, not an instant.
    /// </summary>
    public static DateOnly? ActivityDay(bool done, DateTimeOffset? markedDoneAt, DateOnly? dueDate, TimeOnly? dueTime, string timeZone) =>
        (done, markedDoneAt, dueDate, dueTime) switch
        {
            (true, { } at, _, _) => Of(at, timeZone),
            (_, _, { } date, null) => date,
            (_, _, { } date, { } time) => Of(new DateTimeOffset(date.ToDateTime(time), TimeSpan.Zero), timeZone),
            _ => null,
        };
}
