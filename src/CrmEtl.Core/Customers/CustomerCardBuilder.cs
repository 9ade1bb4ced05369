using System.Text.Json;
using CrmEtl.Core.Configuration;
using CrmEtl.Core.Metrics;
using CrmEtl.Core.Replica;

namespace CrmEtl.Core.Customers;

/// <summary>An instance the card reads, with what its links, dates and age need.</summary>
public sealed record CardInstance(int Id, string Name, string Kind, string TimeZone, string? WebAddress, DateTimeOffset? LastSyncedAt);

/// <summary>A contact as the replica keeps it: e-mails and phones as the JSON arrays [{value, label, primary}].</summary>
public sealed record CardContactRow(int InstanceId, long Id, string? Name, string? Organization, string Emails, string Phones);

public sealed record CardDealRow(int InstanceId, long Id, long PersonId, string? Title, decimal? Value, string? Currency, string Status,
    string? Stage, string? Pipeline, DateTimeOffset AddTime);

/// <summary>
/// Puts a card together from what was found for the customer's e-mails. "Latest deals" are the three most recently
/// added deals of all the contacts (open, won or lost; deleted ones never); the budget is the value of all of them.
/// </summary>
public static class CustomerCardBuilder
{
    public const int LatestDeals = 3;

    public static CustomerCard Build(
        IReadOnlyList<string> emails, IReadOnlyList<CardInstance> instances, IReadOnlyList<CardContactRow> contacts,
        IReadOnlyList<CardDealRow> deals, IReadOnlyList<PlannedActivity> activities,
        string reportingCurrency, ExchangeRates rates, DateTimeOffset now, IReadOnlyList<CardSource>? sources = null)
    {
        var byId = instances.ToDictionary(i => i.Id);
        var cardContacts = contacts
            .Select(c => (Row: c, Instance: byId[c.InstanceId]))
            .OrderBy(c => c.Instance.Name, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Row.Name, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Row.Id)
            .Select(c =>
            {
                var links = new CrmLinks(c.Instance.Kind, c.Instance.WebAddress);
                return new CardContact(c.Instance.Id, c.Instance.Name, c.Instance.Kind, c.Row.Id, c.Row.Name ?? "", c.Row.Organization,
                    Points(c.Row.Emails), Points(c.Row.Phones), links.Contact(c.Row.Id), links.NewDeal(c.Row.Id));
            })
            .ToList();

        var plannedByDeal = activities.ToLookup(a => (a.InstanceId, a.DealId));
        var latest = deals.OrderByDescending(d => d.AddTime).ThenByDescending(d => d.Id).Take(LatestDeals)
            .Select(d =>
            {
                var instance = byId[d.InstanceId];
                var deciding = ActivityUrgency.Deciding(plannedByDeal[(d.InstanceId, d.Id)], now, instance.TimeZone);
                return new CardDeal(d.InstanceId, instance.Name, d.Id, d.Title ?? "", new CrmLinks(instance.Kind, instance.WebAddress).Deal(d.Id),
                    d.Stage, d.Pipeline, d.Status, d.Value ?? 0, d.Currency ?? "", d.AddTime, deciding?.Urgency, deciding);
            })
            .ToList();

        var today = LocalDates.Of(now, instances.Count > 0 ? instances[0].TimeZone : "UTC");
        var lines = deals.Where(d => !string.IsNullOrEmpty(d.Currency))
            .GroupBy(d => d.Currency!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var amount = g.Sum(d => d.Value ?? 0);
                var rate = rates.RateOn(g.Key, reportingCurrency, today);
                return new BudgetLine(g.Key, amount, rate, rate is { } r ? amount * r : null);
            })
            .ToList();
        var budget = new CardBudget(reportingCurrency, lines, lines.Sum(l => l.Converted ?? 0), lines.Where(l => l.Rate is null).Select(l => l.Currency).ToList());

        sources ??= instances.Select(i => FromReplica(i, now)).ToList();
        return new CustomerCard(emails, cardContacts, latest, deals.Count, budget, sources);
    }

    /// <summary>The replica as of the instance's last successful sync, and how old that is.</summary>
    public static CardSource FromReplica(CardInstance instance, DateTimeOffset now, string? note = null) =>
        new(instance.Id, instance.Name, "replica", instance.LastSyncedAt, instance.LastSyncedAt is { } at ? Math.Round((now - at).TotalSeconds) : null,
            note ?? (instance.LastSyncedAt is null ? "Never synced yet: the card shows nothing from this CRM until its first sync." : null));

    private static List<ContactPoint> Points(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(e => new ContactPoint(
                e.TryGetProperty("value", out var v) ? v.GetString() ?? "" : "",
                e.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null,
                e.TryGetProperty("primary", out var p) && p.ValueKind == JsonValueKind.True))
            .Where(p => p.Value.Length > 0)
            .OrderByDescending(p => p.Primary)
            .ToList();
    }
}
