using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CrmEtl.Core.Customers;

namespace CrmEtl.Core.Trello;

/// <summary>What the replica knows about a deal, for its card. E-mails and phones are the contact's JSON lists ([{value, label, primary}]).</summary>
public sealed record DealCardFacts(
    string Instance, string InstanceKind, string? WebAddress, long DealId, string? Title, decimal? Value, string? Currency, string Status,
    string? Pipeline, string? Stage, string? Owner, DateOnly? ExpectedClose, string? ContactName, string? ContactEmails, string? ContactPhones,
    string? Organization, string? LostReason);

/// <summary>The event a card is made for: its kind (added, won, lost, moved_to), when it happened, the rule's stage for moved_to, and its key.</summary>
public sealed record DealEvent(string Kind, DateTimeOffset HappenedAt, string? RuleStage, string Key);

/// <summary>
/// A deal event's card: the deal's title as its name; a description with what happened, the value and currency, pipeline
/// and stage, owner, expected close date, the contact (name, e-mails, phones), the organization and the link to the deal;
/// the deal's page as urlSource; the expected close date (at noon UTC, the same day in every time zone Trello shows it
/// in from UTC−11 to UTC+11) as due. The last line carries the event's key: how a retry finds a card already made.
/// </summary>
public static class TrelloCardText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    public const string KeyPrefix = "CrmEtl event ";
    private const int MaxDesc = 16_000; // Trello's limit is 16,384 characters

    public static NewTrelloCard Build(string listId, DealCardFacts deal, DealEvent happened)
    {
        var link = new CrmLinks(deal.InstanceKind, deal.WebAddress).Deal(deal.DealId);
        var crm = Instances.InstanceKinds.DisplayName(deal.InstanceKind);
        var text = new StringBuilder();
        text.Append(What(deal, happened)).Append("\n\n");
        Line(text, "Value", deal.Value is { } v ? $"{v.ToString("N2", Inv)} {deal.Currency}".Trim() : null);
        Line(text, "Pipeline / stage", string.Join(" / ", new[] { deal.Pipeline, deal.Stage }.Where(s => !string.IsNullOrWhiteSpace(s))));
        Line(text, "Owner", deal.Owner);
        Line(text, "Expected close", deal.ExpectedClose?.ToString("yyyy-MM-dd", Inv));
        Line(text, "Contact", deal.ContactName);
        foreach (var entry in Entries(deal.ContactEmails).Concat(Entries(deal.ContactPhones))) text.Append("- ").Append(entry).Append('\n');
        Line(text, "Organization", deal.Organization);
        Line(text, $"In {crm}", link ?? $"deal {deal.DealId} of {deal.Instance}");
        var footer = $"\n\n---\n{KeyPrefix}{happened.Key}"; // a blank line first: "---" under text would make it a heading
        var desc = text.ToString().TrimEnd();
        if (desc.Length + footer.Length > MaxDesc) desc = desc[..(MaxDesc - footer.Length - 1)] + "…";
        var name = string.IsNullOrWhiteSpace(deal.Title) ? $"Deal {deal.DealId}" : deal.Title.Trim();
        var due = deal.ExpectedClose is { } close ? new DateTimeOffset(close.Year, close.Month, close.Day, 12, 0, 0, TimeSpan.Zero) : (DateTimeOffset?)null;
        return new NewTrelloCard(listId, name.Length > 16_384 ? name[..16_384] : name, desc + footer, due, link);
    }

    /// <summary>Whether a card on the list is the one made for the event: a line of its description is the key's (edited around it or not).</summary>
    public static bool IsFor(TrelloCardInfo card, string key) =>
        card.Desc.Split('\n').Any(line => line.Trim() == KeyPrefix + key);

    private static string What(DealCardFacts deal, DealEvent happened)
    {
        var at = happened.HappenedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", Inv);
        return happened.Kind switch
        {
            "added" => $"New deal, added {at}.",
            "won" => $"Won {at}.",
            "lost" => $"Lost {at}" + (string.IsNullOrWhiteSpace(deal.LostReason) ? "." : $": {deal.LostReason}."),
            _ => $"Arrived at {happened.RuleStage ?? "the stage"} {at}.",
        };
    }

    private static void Line(StringBuilder text, string label, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)) text.Append("**").Append(label).Append(":** ").Append(value.Trim()).Append('\n');
    }

    /// <summary>"john@acme.com (work)" for each entry of a contact's e-mail or phone list.</summary>
    private static IEnumerable<string> Entries(string? json)
    {
        if (string.IsNullOrWhiteSpace(json) || JsonNode.Parse(json) is not JsonArray list) yield break;
        foreach (var entry in list)
        {
            var value = entry?["value"]?.GetValue<string>();
            if (string.IsNullOrWhiteSpace(value)) continue;
            var label = entry?["label"] is JsonValue l && l.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? $" ({s})" : "";
            yield return value.Trim() + label;
        }
    }
}
