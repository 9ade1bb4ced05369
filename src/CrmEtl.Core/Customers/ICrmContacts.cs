using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Core.Customers;

/// <summary>A contact to create in the CRM, as a helpdesk agent adds it from the widget.</summary>
public sealed record NewContact(string Name, IReadOnlyList<string> Emails, IReadOnlyList<string> Phones);

/// <summary>
/// A CRM's contacts, read and written now (not from the replica): found by e-mail, and created. Throws like
/// <see cref="Sync.ICrmConnector.RunAsync"/>; a create that got no answer throws <see cref="Sync.CrmException"/>
/// without sending again (the contact may have been created: look for it before creating again).
/// </summary>
public interface ICrmContacts
{
    string Kind { get; }

    /// <summary>The live contacts having <paramref name="email"/> (the whole address, case-insensitively).</summary>
    Task<IReadOnlyList<ContactRow>> FindByEmailAsync(Instance instance, string email, ILogger logger, CancellationToken cancellationToken);

    Task<ContactRow> CreateAsync(Instance instance, NewContact contact, ILogger logger, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a customer now: the live contacts having one of the <paramref name="emails"/> (trimmed, lower-case), all
    /// their deals that are not deleted, and the planned (not done) activities of their <see cref="CustomerCardBuilder.LatestDeals"/>
    /// latest deals, each call taken from <paramref name="allowance"/> first.
    /// </summary>
    Task<CustomerReading> ReadCustomerAsync(Instance instance, IReadOnlyList<string> emails, ReadAllowance allowance, ILogger logger, CancellationToken cancellationToken);
}

/// <summary>What the CRM says now about a customer: the contacts having their e-mails, those contacts' deals, and the planned activities of the latest deals.</summary>
public sealed record CustomerReading(IReadOnlyList<ContactRow> Contacts, IReadOnlyList<DealRow> Deals, IReadOnlyList<ActivityRow> Activities)
{
    /// <summary>
    /// Deals whose stage the CRM named rather than identified (Zoho: Pipeline and Stage are names), by deal id: their
    /// stage, pipeline and status are found among the replica's stages by these names.
    /// </summary>
    public IReadOnlyDictionary<long, (string? Pipeline, string? Stage)> StageNames { get; init; } = new Dictionary<long, (string?, string?)>();
}

/// <summary>
/// How much of the CRM's API budget one fresh read may spend (Pipedrive tokens, Zoho credits). Each call is taken before
/// it is made: one that would go over stops the read with <see cref="Sync.CrmBudgetExhaustedException"/>, and nothing is sent.
/// </summary>
public sealed class ReadAllowance(int units)
{
    public int Units { get; } = units;
    public int Spent { get; private set; }

    public void Take(int cost, string call)
    {
        if (Spent + cost > Units)
            throw new Sync.CrmBudgetExhaustedException($"Reading this customer fresh would need more than the {Units} API units one card may spend ({call} would make {Spent + cost}).");
        Spent += cost;
    }
}
