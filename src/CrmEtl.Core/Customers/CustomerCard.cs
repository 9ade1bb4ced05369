using CrmEtl.Core.Replica;

namespace CrmEtl.Core.Customers;

/// <summary>What a helpdesk agent sees beside a ticket: the CRM's contacts with the customer's e-mails, their latest deals and budget.</summary>
public sealed record CustomerCard(
    IReadOnlyList<string> Emails,
    IReadOnlyList<CardContact> Contacts,
    IReadOnlyList<CardDeal> LatestDeals,
    int DealCount,
    CardBudget Budget,
    IReadOnlyList<CardSource> Sources);

public sealed record CardContact(
    int InstanceId, string Instance, string Kind, long Id, string Name, string? Organization,
    IReadOnlyList<ContactPoint> Emails, IReadOnlyList<ContactPoint> Phones, string? Link, string? NewDealLink);

/// <summary>A deal on the card; <see cref="Urgency"/> and <see cref="Activity"/> are null when it has no planned activity.</summary>
public sealed record CardDeal(
    int InstanceId, string Instance, long Id, string Title, string? Link, string? Stage, string? Pipeline, string Status,
    decimal Value, string Currency, DateTimeOffset AddedAt, Urgency? Urgency, DecidingActivity? Activity)
{
    /// <summary>red, green or grey; null without a planned activity.</summary>
    public string? Circle => Urgency is { } u ? ActivityUrgency.Colour(u) : null;
}

/// <summary>The value of every deal of the contacts per currency, and in <see cref="ReportingCurrency"/> with the admin's rates.</summary>
public sealed record CardBudget(string ReportingCurrency, IReadOnlyList<BudgetLine> Currencies, decimal Total, IReadOnlyList<string> MissingRates)
{
    /// <summary>False when a currency has no rate: <see cref="Total"/> leaves it out, and <see cref="MissingRates"/> names it.</summary>
    public bool Complete => MissingRates.Count == 0;
}

/// <summary>One currency's sum; <see cref="Rate"/> and <see cref="Converted"/> are null when the admin has no rate for it.</summary>
public sealed record BudgetLine(string Currency, decimal Amount, decimal? Rate, decimal? Converted);

/// <summary>Where an instance's part of the card comes from: the replica as of its last sync, or the CRM just now.</summary>
public sealed record CardSource(int InstanceId, string Instance, string From, DateTimeOffset? AsOf, double? AgeSeconds, string? Note);

/// <summary>An age as the card says it: "45 s", "12 min", "3 h", "2 days".</summary>
public static class CardAge
{
    public static string Of(double seconds) => seconds switch
    {
        < 90 => $"{seconds:0} s",
        < 5400 => $"{seconds / 60:0} min",
        < 172800 => $"{seconds / 3600:0} h",
        _ => $"{seconds / 86400:0} days",
    };
}
