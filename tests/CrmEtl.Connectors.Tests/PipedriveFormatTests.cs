using CrmEtl.Connectors.Pipedrive;

namespace CrmEtl.Connectors.Tests;

public sealed class PipedriveFormatTests
{
    private static readonly DateTimeOffset Expected = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [TestCase("2026-01-02T03:04:05Z")]            // v2
    [TestCase("2026-01-02 03:04:05")]             // v1, UTC
    [TestCase("2026-01-02T03:04:05.000Z")]        // leads
    [TestCase("2026-01-02T05:04:05+02:00")]
    public void Every_timestamp_form_pipedrive_sends_is_read_as_the_same_instant(string text)
    {
        Assert.That(PipedriveFormat.Time(text), Is.EqualTo(Expected));
    }

    [Test]
    public void Nulls_and_empty_strings_are_no_value()
    {
        Assert.That(PipedriveFormat.Time(null), Is.Null);
        Assert.That(PipedriveFormat.Time(""), Is.Null);
        Assert.That(PipedriveFormat.Date(null), Is.Null);
        Assert.That(PipedriveFormat.TimeOfDay(null), Is.Null);
    }

    [Test]
    public void Times_of_day_and_durations_accept_minutes_or_seconds_precision()
    {
        Assert.That(PipedriveFormat.TimeOfDay("15:00"), Is.EqualTo(new TimeOnly(15, 0)));
        Assert.That(PipedriveFormat.TimeOfDay("15:00:30"), Is.EqualTo(new TimeOnly(15, 0, 30)));
        Assert.That(PipedriveFormat.Duration("26:30"), Is.EqualTo(new TimeSpan(26, 30, 0)));
    }

    [Test]
    public void A_malformed_timestamp_is_an_error_quoting_it()
    {
        var error = Assert.Throws<FormatException>(() => PipedriveFormat.Time("yesterday"));
        Assert.That(error!.Message, Does.Contain("'yesterday'"));
    }
}
