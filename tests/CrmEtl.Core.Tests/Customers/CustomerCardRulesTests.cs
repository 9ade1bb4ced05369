using CrmEtl.Core.Customers;

namespace CrmEtl.Core.Tests.Customers;

public sealed class CustomerCardRulesTests
{
    // 2026-11-30 23:30 UTC is already 2026-12-01 13:30 in Kiritimati (UTC+14) and still 2026-11-30 12:30 in Pago Pago (UTC-11).
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 23, 30, 0, TimeSpan.Zero);

    private static PlannedActivity Timed(int year, int month, int day, int hour, int minute, string subject = "call") =>
        new(1, 1, subject, "call", new DateOnly(year, month, day), new TimeOnly(hour, minute));

    private static PlannedActivity AllDay(int year, int month, int day, string subject = "task") => new(1, 1, subject, "task", new DateOnly(year, month, day), null);

    [TestCase("Pacific/Kiritimati", 2026, 12, 1, Urgency.Today)]
    [TestCase("Pacific/Kiritimati", 2026, 11, 30, Urgency.Expired)]
    [TestCase("Pacific/Pago_Pago", 2026, 11, 30, Urgency.Today)]
    [TestCase("Pacific/Pago_Pago", 2026, 12, 1, Urgency.Later)]
    [TestCase("UTC", 2026, 11, 30, Urgency.Today)]
    public void An_all_day_activity_is_due_on_its_date_in_the_instances_zone_and_expires_only_after_it(string zone, int year, int month, int day, Urgency expected) =>
        Assert.That(ActivityUrgency.Of(AllDay(year, month, day), Now, zone), Is.EqualTo(expected));

    [TestCase(2026, 11, 30, 23, 29, "UTC", Urgency.Expired)]
    [TestCase(2026, 11, 30, 23, 45, "UTC", Urgency.Today)]
    [TestCase(2026, 12, 1, 0, 15, "UTC", Urgency.Later)]
    [TestCase(2026, 12, 1, 0, 15, "Pacific/Kiritimati", Urgency.Today)]
    [TestCase(2026, 12, 1, 10, 59, "Pacific/Pago_Pago", Urgency.Today)] // 23:59 on the 30th there
    [TestCase(2026, 12, 1, 11, 0, "Pacific/Pago_Pago", Urgency.Later)]
    [TestCase(2026, 12, 1, 10, 59, "Pacific/Kiritimati", Urgency.Later)]
    public void A_timed_activity_expires_at_its_instant_and_is_due_today_on_the_local_date(int year, int month, int day, int hour, int minute, string zone, Urgency expected) =>
        Assert.That(ActivityUrgency.Of(Timed(year, month, day, hour, minute), Now, zone), Is.EqualTo(expected));

    [Test]
    public void The_circle_takes_the_most_critical_activity_and_its_deadline_reads_in_local_time()
    {
        var deciding = ActivityUrgency.Deciding(
            [AllDay(2026, 12, 5, "later"), Timed(2026, 11, 30, 23, 45, "today"), Timed(2026, 11, 30, 20, 0, "expired second"), Timed(2026, 11, 30, 9, 0, "expired first")],
            Now, "Europe/Helsinki");
        Assert.That((deciding!.Subject, deciding.Urgency, deciding.Deadline), Is.EqualTo(("expired first", Urgency.Expired, "11:00 2026-11-30")));
        Assert.That(ActivityUrgency.Colour(deciding.Urgency), Is.EqualTo("red"));

        var allDay = ActivityUrgency.Deciding([AllDay(2026, 12, 5, "later"), AllDay(2026, 11, 30, "today")], Now, "UTC");
        Assert.That((allDay!.Subject, ActivityUrgency.Colour(allDay.Urgency), allDay.Deadline), Is.EqualTo(("today", "green", "2026-11-30")), "an all-day deadline is only a date");
        Assert.That(ActivityUrgency.Deciding([], Now, "UTC"), Is.Null);
    }

    [Test]
    public void Emails_are_trimmed_and_lower_cased_and_bad_ones_are_named()
    {
        var (emails, problems) = CustomerEmails.Normalize([" Ann@Example.ORG ", "ann@example.org", null, ""]);
        Assert.That((emails, problems), Is.EqualTo(((IReadOnlyList<string>)["ann@example.org"], (IReadOnlyList<string>)[])));

        Assert.That(CustomerEmails.Normalize([]).Problems.Single(), Does.StartWith("Give the customer's e-mail"));
        Assert.That(CustomerEmails.Normalize(["ann@@example.org", "not an address", "ann@localhost"]).Problems, Is.EqualTo(new[]
        {
            "'ann@@example.org' is not an e-mail address (like someone@example.com).",
            "'not an address' is not an e-mail address (like someone@example.com).",
            "'ann@localhost' is not an e-mail address (like someone@example.com).",
        }));
        Assert.That(CustomerEmails.Normalize(Enumerable.Range(1, 50).Select(i => $"a{i}@example.org")).Problems.Single(), Is.EqualTo("50 e-mails were given; a card is for one customer: give at most 20."));
    }

    [Test]
    public void Links_lead_to_the_record_pages_users_know()
    {
        var pipedrive = new CrmLinks("pipedrive", CrmLinks.PipedriveWebAddress("acme"));
        Assert.That((pipedrive.Contact(42), pipedrive.Deal(7)), Is.EqualTo(("https://acme.pipedrive.com/person/42", "https://acme.pipedrive.com/deal/7")));
        var zoho = new CrmLinks("zoho", CrmLinks.ZohoWebAddress("https://accounts.zoho.eu", "20071234"));
        Assert.That((zoho.Contact(3), zoho.Deal(4)), Is.EqualTo(("https://crm.zoho.eu/crm/org20071234/tab/Contacts/3", "https://crm.zoho.eu/crm/org20071234/tab/Potentials/4")));
        Assert.That(CrmLinks.ZohoWebAddress("https://accounts.zohocloud.ca/", "9"), Is.EqualTo("https://crm.zohocloud.ca/crm/org9"));
        Assert.That(new CrmLinks("pipedrive", null).Contact(1), Is.Null, "no address, no link");
    }
}
