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
}
