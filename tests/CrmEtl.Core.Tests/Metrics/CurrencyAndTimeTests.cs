using CrmEtl.Core.Configuration;
using CrmEtl.Core.Metrics;

namespace CrmEtl.Core.Tests.Metrics;

public sealed class CurrencyAndTimeTests
{
    private static readonly ExchangeRates Rates = new([
        new ExchangeRateRow("SEK", "EUR", new DateOnly(2024, 1, 1), 0.088m),
        new ExchangeRateRow("SEK", "EUR", new DateOnly(2024, 7, 1), 0.086m),
    ]);

    [Test]
    public void A_rate_holds_from_its_date_until_the_next_one()
    {
        Assert.That(Rates.RateOn("SEK", "EUR", new DateOnly(2024, 6, 30)), Is.EqualTo(0.088m));
        Assert.That(Rates.RateOn("SEK", "EUR", new DateOnly(2024, 7, 1)), Is.EqualTo(0.086m));
        Assert.That(Rates.Convert(1000m, "SEK", "EUR", new DateOnly(2024, 3, 5)), Is.EqualTo(new Converted(1000m, "SEK", 0.088m, 88m)));
    }

    [Test]
    public void The_same_currency_converts_at_exactly_one() =>
        Assert.That(Rates.Convert(250m, "EUR", "EUR", new DateOnly(1999, 1, 1)).ConvertedAmount, Is.EqualTo(250m));

    [Test]
    public void A_missing_rate_is_an_error_never_one()
    {
        Assert.That(Rates.RateOn("SEK", "EUR", new DateOnly(2023, 12, 31)), Is.Null);
        Assert.That(() => Rates.Convert(10m, "USD", "EUR", new DateOnly(2024, 3, 1)),
            Throws.InvalidOperationException.With.Message.EqualTo("No exchange rate from USD to EUR on or before 2024-03-01; import one with 'crmetl config import'."));
    }

    [Test]
    public void An_activity_done_at_22_30_utc_in_a_helsinki_summer_counts_on_the_next_day() =>
        Assert.That(LocalDates.ActivityDay(true, new DateTimeOffset(2024, 6, 10, 22, 30, 0, TimeSpan.Zero), new DateOnly(2024, 6, 10), new TimeOnly(9, 0), "Europe/Helsinki"),
            Is.EqualTo(new DateOnly(2024, 6, 11)));

    [Test]
    public void A_planned_all_day_activity_counts_on_its_date_whatever_the_time_zone()
    {
        Assert.That(LocalDates.ActivityDay(false, null, new DateOnly(2024, 6, 10), null, "America/New_York"), Is.EqualTo(new DateOnly(2024, 6, 10)));
        Assert.That(LocalDates.ActivityDay(false, null, new DateOnly(2024, 6, 10), null, "Asia/Tokyo"), Is.EqualTo(new DateOnly(2024, 6, 10)));
    }

    [Test]
    public void A_completed_all_day_activity_counts_on_the_local_day_it_was_marked_done()
    {
        // Due all day on 10 June, ticked off at 23:00 UTC that day: 08:00 on 11 June in Tokyo.
        Assert.That(LocalDates.ActivityDay(true, new DateTimeOffset(2024, 6, 10, 23, 0, 0, TimeSpan.Zero), new DateOnly(2024, 6, 10), null, "Asia/Tokyo"),
            Is.EqualTo(new DateOnly(2024, 6, 11)));
        // The call that put 'Completed calls' in different months for a Pipedrive and a Zoho account with the same history (issue 17):
        // Pipedrive's all-day call due 30 December was marked done at 05:12:43 UTC on 1 January; Zoho's calls always have a
        // time, and its counterpart started then. Both count in January.
        Assert.That(LocalDates.ActivityDay(true, new DateTimeOffset(2026, 1, 1, 5, 12, 43, TimeSpan.Zero), new DateOnly(2025, 12, 30), null, "UTC"),
            Is.EqualTo(new DateOnly(2026, 1, 1)));
        Assert.That(LocalDates.ActivityDay(true, new DateTimeOffset(2026, 1, 1, 5, 12, 43, TimeSpan.Zero), new DateOnly(2026, 1, 1), new TimeOnly(5, 12, 43), "UTC"),
            Is.EqualTo(new DateOnly(2026, 1, 1)));
    }

    [Test]
    public void A_planned_activity_counts_on_the_local_day_it_is_due() =>
        Assert.That(LocalDates.ActivityDay(false, null, new DateOnly(2024, 1, 10), new TimeOnly(3, 0), "America/New_York"), Is.EqualTo(new DateOnly(2024, 1, 9)));

    [TestCase("week", "2024-05-16", "2024-05-13")]
    [TestCase("month", "2024-05-16", "2024-05-01")]
    [TestCase("quarter", "2024-05-16", "2024-04-01")]
    [TestCase("day", "2024-05-16", "2024-05-16")]
    public void Periods_start_on_monday_the_first_or_the_quarter(string period, string date, string start) =>
        Assert.That(Periods.Start(period, DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)),
            Is.EqualTo(DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture)));
}
