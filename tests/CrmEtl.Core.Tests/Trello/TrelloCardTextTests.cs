using CrmEtl.Core.Trello;

namespace CrmEtl.Core.Tests.Trello;

public sealed class TrelloCardTextTests
{
    private static readonly DealCardFacts Deal = new(
        "Acme Finland", "pipedrive", "https://acme.pipedrive.com", 42, "  Roof survey, Espoo ", 12500.5m, "EUR", "won", "Sales", "Offer needed", "Ann Lind",
        new DateOnly(2026, 12, 15), "Oskar Koskinen",
        """[{"value":"oskar@koskinen.example","label":"work","primary":true},{"value":"  ","label":"home"}]""",
        """[{"value":"+358 40 123","label":"mobile","primary":true}]""", "Koskinen Oy", null);

    private static readonly DealEvent Won = new("won", new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero), null, "r2-d42-won-20261201T093000Z");

    [Test]
    public void A_won_deals_card_names_the_deal_and_describes_it_with_its_contact_link_and_event_key()
    {
        var card = TrelloCardText.Build("list-1", Deal, Won);

        Assert.That((card.IdList, card.Name, card.UrlSource), Is.EqualTo(("list-1", "Roof survey, Espoo", "https://acme.pipedrive.com/deal/42")));
        Assert.That(card.Due, Is.EqualTo(new DateTimeOffset(2026, 12, 15, 12, 0, 0, TimeSpan.Zero)), "the expected close date, at noon UTC");
        Assert.That(card.Desc, Is.EqualTo("""
            Won 2026-12-01 09:30 UTC.

            **Value:** 12,500.50 EUR
            **Pipeline / stage:** Sales / Offer needed
            **Owner:** Ann Lind
            **Expected close:** 2026-12-15
            **Contact:** Oskar Koskinen
            - oskar@koskinen.example (work)
            - +358 40 123 (mobile)
            **Organization:** Koskinen Oy
            **In Pipedrive:** https://acme.pipedrive.com/deal/42

            ---
            CrmEtl event r2-d42-won-20261201T093000Z
            """.ReplaceLineEndings("\n")));
    }

    [Test]
    public void What_happened_leads_the_description_and_missing_facts_are_left_out()
    {
        var bare = Deal with { Title = null, Value = null, Pipeline = null, Owner = null, ExpectedClose = null, ContactName = null, ContactEmails = null, ContactPhones = "[]",
            Organization = null, WebAddress = null, InstanceKind = "zoho", Status = "lost", LostReason = "No budget" };

        var lost = TrelloCardText.Build("l", bare, Won with { Kind = "lost" });
        Assert.That(lost.Name, Is.EqualTo("Deal 42"));
        Assert.That((lost.Due, lost.UrlSource), Is.EqualTo(((DateTimeOffset?)null, (string?)null)));
        Assert.That(lost.Desc, Does.StartWith("Lost 2026-12-01 09:30 UTC: No budget.\n\n**Pipeline / stage:** Offer needed\n**In Zoho CRM:** deal 42 of Acme Finland\n"));
        Assert.That(TrelloCardText.Build("l", Deal, Won with { Kind = "moved_to", RuleStage = "Offer needed" }).Desc, Does.StartWith("Arrived at Offer needed 2026-12-01 09:30 UTC."));
        Assert.That(TrelloCardText.Build("l", Deal, Won with { Kind = "added" }).Desc, Does.StartWith("New deal, added 2026-12-01 09:30 UTC."));
    }

    [Test]
    public void A_card_is_found_by_the_line_with_its_event_key_and_a_long_description_keeps_the_key()
    {
        var card = TrelloCardText.Build("l", Deal with { Organization = new string('x', 20_000) }, Won);
        Assert.That(card.Desc, Has.Length.LessThanOrEqualTo(16_000).And.EndWith("CrmEtl event r2-d42-won-20261201T093000Z"));

        TrelloCardInfo On(string desc) => new("c1", "n", desc, "l", null, null);
        Assert.That(TrelloCardText.IsFor(On(card.Desc + "\n"), Won.Key), Is.True);
        Assert.That(TrelloCardText.IsFor(On(card.Desc), "r2-d42-won-20261201T093001Z"), Is.False);
        Assert.That(TrelloCardText.IsFor(On(card.Desc + "\nedited by someone"), Won.Key), Is.True, "a card edited after it was made is still the event's");
        Assert.That(TrelloCardText.IsFor(On("see CrmEtl event " + Won.Key), Won.Key), Is.False, "the key's own line, not a mention of it");
    }
}
