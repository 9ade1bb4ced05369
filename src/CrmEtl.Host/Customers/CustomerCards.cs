using CrmEtl.Core.Customers;
using CrmEtl.Core.Metrics;
using CrmEtl.Core.Sync;
using CrmEtl.Storage.Customers;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Host.Customers;

/// <summary>A customer request refused, with the HTTP status that says why and every problem found.</summary>
public sealed class CustomerRequestException(int status, IReadOnlyList<string> problems) : Exception(string.Join(" ", problems))
{
    public CustomerRequestException(int status, string problem) : this(status, [problem]) { }

    public int Status { get; } = status;
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Who asks for a card: the worker's API key (any company; <see cref="Company"/> null) or a company's widget key, used by
/// a helpdesk agent.
/// </summary>
public sealed record CardCaller(string? Company, WidgetKey? Key, string? Agent)
{
    public static readonly CardCaller Operator = new(null, null, null);
}

/// <summary>
/// Customer cards for helpdesks, from the replica: which instances a caller may read, the e-mails checked, the card put
/// together (<see cref="CustomerCardBuilder"/>), and each CRM's web address read once for its page links.
/// </summary>
public sealed class CustomerCards(
    CustomerCardQuery query, InstanceRepository instances, Instances.WebAddresses webAddresses, FreshCards freshCards,
    Microsoft.Extensions.Options.IOptions<FreshCardOptions> options, TimeProvider clock)
{
    /// <summary>
    /// The card from the replica; with <paramref name="fresh"/>, each instance's part read from the CRM first and laid
    /// over the replica's (what the CRM said replaces what the replica has of the same contacts and deals).
    /// </summary>
    public async Task<CustomerCard> CardAsync(CardCaller caller, string? instance, string? company, IEnumerable<string?> emails, bool fresh, CancellationToken cancellationToken)
    {
        var (normalized, problems) = CustomerEmails.Normalize(emails);
        if (problems.Count > 0) throw new CustomerRequestException(400, problems);
        var scope = await ScopeAsync(caller, instance, company, cancellationToken);
        var data = await query.ReadAsync(scope, normalized, cancellationToken);
        if (data.Instances.Count == 0)
            throw new CustomerRequestException(404, $"Company '{scope.Company}' has no connected CRM: connect one in the console (Data sources) first.");
        var known = new List<CardInstance>();
        // The links can wait for the next card; the agent cannot.
        foreach (var i in data.Instances)
            known.Add(i.WebAddress is null ? i with { WebAddress = await webAddresses.ReadAsync(i.Id, options.Value.FreshTimeout, cancellationToken) } : i);
        if (!fresh)
            return CustomerCardBuilder.Build(normalized, known, data.Contacts, data.Deals, data.Activities, data.ReportingCurrency,
                new ExchangeRates(data.Rates), clock.GetUtcNow());

        var (contacts, deals, activities) = (data.Contacts.ToList(), data.Deals.ToList(), data.Activities.ToList());
        var sources = new List<CardSource>();
        foreach (var shown in known)
        {
            var full = await instances.FindAsync(shown.Id, cancellationToken);
            var part = full is null ? new FreshPart(null, CustomerCardBuilder.FromReplica(shown, clock.GetUtcNow())) : await freshCards.ReadAsync(full, shown, normalized, cancellationToken);
            sources.Add(part.Source);
            if (part.Rows is not { } rows) continue;
            var contactIds = rows.Contacts.Select(c => c.Id).ToHashSet();
            var dealIds = rows.Deals.Select(d => d.Id).ToHashSet();
            contacts.RemoveAll(c => c.InstanceId == shown.Id && contactIds.Contains(c.Id));
            deals.RemoveAll(d => d.InstanceId == shown.Id && (dealIds.Contains(d.Id) || contactIds.Contains(d.PersonId)));
            activities.RemoveAll(a => a.InstanceId == shown.Id && !deals.Any(d => d.InstanceId == shown.Id && d.Id == a.DealId));
            contacts.AddRange(rows.Contacts);
            deals.AddRange(rows.Deals);
            activities.AddRange(rows.Activities);
        }
        return CustomerCardBuilder.Build(normalized, known, contacts, deals, activities, data.ReportingCurrency, new ExchangeRates(data.Rates), clock.GetUtcNow(), sources);
    }

    /// <summary>
    /// A widget key reads its company's instances (all, or the one named); the API key reads the named instance, the named
    /// company, or the only company there is.
    /// </summary>
    public async Task<CardScope> ScopeAsync(CardCaller caller, string? instance, string? company, CancellationToken cancellationToken)
    {
        if (caller.Company is { } own && company is not null && !string.Equals(company, own, StringComparison.Ordinal))
            throw new CustomerRequestException(403, "A widget key reads only its own company's customers: leave company= out.");
        if (!string.IsNullOrWhiteSpace(instance))
        {
            var found = (int.TryParse(instance, out var id) ? await instances.FindAsync(id, cancellationToken) : null)
                ?? await instances.FindAsync(instance.Trim(), cancellationToken);
            // Another company's instance is "not found" to a widget key: it does not learn that it exists.
            if (found is null || (caller.Company is not null && (found.Company ?? found.Name) != caller.Company))
                throw new CustomerRequestException(404, $"There is no instance '{instance}'" + (caller.Company is null ? "." : $" in company '{caller.Company}'."));
            return new CardScope(found.Company ?? found.Name, found.Id);
        }
        if (caller.Company is not null) return new CardScope(caller.Company, null);
        if (!string.IsNullOrWhiteSpace(company)) return new CardScope(company.Trim(), null);
        var companies = (await instances.ListAsync(cancellationToken)).Select(i => i.Company ?? i.Name).Distinct().ToList();
        return companies.Count switch
        {
            0 => throw new CustomerRequestException(404, "No CRM is connected yet: add an instance first ('crmetl instances add' or the console)."),
            1 => new CardScope(companies[0], null),
            _ => throw new CustomerRequestException(400, $"Several companies have CRMs ({string.Join(", ", companies)}): say whose customer with company= or instance=."),
        };
    }
}

internal static partial class CustomerLog
{
    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "A contact was added to {Instance} from the customer card: {ContactId}")]
    public static partial void ContactAdded(ILogger logger, string instance, long contactId);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "A fresh card could not be read from {Instance}, so it shows the replica: {Reason}")]
    public static partial void FreshReadFailed(ILogger logger, string instance, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Today's allowance for fresh cards of {Instance} ({Units} API units) is spent: cards show the replica until midnight UTC")]
    public static partial void FreshBudgetSpent(ILogger logger, string instance, int units);
}
