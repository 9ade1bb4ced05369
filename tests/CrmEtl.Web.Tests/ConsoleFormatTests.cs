using CrmEtl.Host.Web;

namespace CrmEtl.Web.Tests;

public sealed class ConsoleFormatTests
{
    [TestCase("2026-03-29T00:59:00Z", "Europe/Helsinki", "2026-03-29 02:59 Europe/Helsinki")]
    [TestCase("2026-03-29T01:00:00Z", "Europe/Helsinki", "2026-03-29 04:00 Europe/Helsinki")] // clocks went forward at 03:00
    [TestCase("2026-11-01T06:30:00Z", "America/New_York", "2026-11-01 01:30 America/New_York")] // the second 01:30 of the night
    [TestCase("2026-12-31T23:30:00Z", "Asia/Tokyo", "2027-01-01 08:30 Asia/Tokyo")]
    public void Times_are_shown_on_the_instances_wall_clock(string utc, string zone, string expected) =>
        Assert.That(ConsoleFormat.InZone(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), zone), Is.EqualTo(expected));

    [TestCase(0.4, "0.4 s")]
    [TestCase(72, "1 min 12 s")]
    [TestCase(3 * 3600 + 5 * 60, "3 h 5 min")]
    public void Durations_read_in_the_largest_sensible_units(double seconds, string expected) =>
        Assert.That(ConsoleFormat.Duration(TimeSpan.FromSeconds(seconds)), Is.EqualTo(expected));

    [Test]
    public void A_runs_streams_are_read_from_the_run_log_and_nothing_is_made_up_for_a_run_without_them()
    {
        Assert.That(ConsoleFormat.Streams("""{"deals": {"read": 5, "written": 4, "calls": 1, "tokens": 10}}"""), Is.EqualTo(new[] { new StreamFigures("deals", 5, 4, 1, 10) }));
        Assert.That(ConsoleFormat.Streams("{}"), Is.Empty);
        Assert.That(ConsoleFormat.Streams(null), Is.Empty);
    }

    [Test]
    public void A_submissions_result_lists_its_crm_records_with_their_links_and_a_skipped_one_the_rule()
    {
        Assert.That(ConsoleFormat.SubmissionRecords("""
            {"contact": {"id": 45008962, "link": "https://acme.kommo.com/contacts/detail/45008962", "found": true},
             "deal": {"id": 25000021, "link": "https://acme.kommo.com/leads/detail/25000021", "found": true, "movedTo": 32392002}, "deal_task": 7000031}
            """), Is.EqualTo(new[]
        {
            new FormResultRecord("Contact", 45008962, "https://acme.kommo.com/contacts/detail/45008962", "found"),
            new FormResultRecord("Deal", 25000021, "https://acme.kommo.com/leads/detail/25000021", "found, moved to stage 32392002"),
            new FormResultRecord("Deal task", 7000031, null, null),
        }));
        Assert.That(ConsoleFormat.SubmissionRecords("""{"rule": "consent not_equals yes"}"""), Is.EqualTo(new[] { new FormResultRecord("Rule", null, null, "consent not_equals yes") }));
        Assert.That(ConsoleFormat.SubmissionRecords(null), Is.Empty, "a queued submission has no result yet");
    }
}
