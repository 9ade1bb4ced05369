using CrmEtl.Core.Customers;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using CrmEtl.Storage.Customers;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Host.Customers;

/// <summary>POST /api/customers (and the widget's "add"): a contact to create in the CRM.</summary>
public sealed record AddContactRequest(string? Instance, string? Name, IReadOnlyList<string?>? Emails, IReadOnlyList<string?>? Phones);

/// <summary>The outcome: the contact created (or found already there) and the card that now shows it.</summary>
public sealed record AddContactResult(bool Created, int InstanceId, long ContactId, string? Link, string Message, CustomerCard Card);

/// <summary>
/// Adds a contact to the CRM for a helpdesk customer, once: looked for first in the replica and then in the CRM by each
/// e-mail, created only when none has one, serialised per instance and e-mail (<see cref="ContactRequests"/>). The new
/// contact goes into the replica at once, so the card shows it before the next sync.
/// </summary>
public sealed class CustomerContacts(
    CustomerCards cards, CustomerCardQuery query, ContactRequests requests, InstanceRepository instances, IEnumerable<ICrmContacts> crms,
    IReplicaStore replica, CardReads freshReads, ILogger<CustomerContacts> logger)
{
    public const int MaxName = 200;

    public async Task<AddContactResult> AddAsync(CardCaller caller, AddContactRequest request, CancellationToken cancellationToken)
    {
        var (name, emails, phones) = Validate(request);
        var scope = await cards.ScopeAsync(caller, request.Instance, null, cancellationToken);
        var instanceId = scope.InstanceId ?? await OnlyInstanceAsync(scope.Company!, cancellationToken);
        var instance = await instances.FindAsync(instanceId, cancellationToken)
            ?? throw new CustomerRequestException(404, $"There is no instance {instanceId}.");
        var crm = crms.FirstOrDefault(c => c.Kind == instance.Kind)
            ?? throw new CustomerRequestException(400, $"Contacts cannot be added to a {instance.Kind} CRM yet.");

        ContactOutcome outcome;
        try
        {
            outcome = await requests.SerializedAsync(instance.Id, emails[0], caller.Agent ?? caller.Key?.Name, async ct =>
            {
                var known = await query.ContactIdsAsync(instance.Id, emails, ct);
                if (known.Count > 0) return new ContactOutcome(known[0], Created: false);
                foreach (var email in emails)
                {
                    var found = await crm.FindByEmailAsync(instance, email, logger, ct);
                    if (found.Count > 0)
                    {
                        await KeepAsync(instance.Id, found, ct);
                        return new ContactOutcome(found[0].Id, Created: false);
                    }
                }
                var created = await crm.CreateAsync(instance, new NewContact(name, emails, phones), logger, ct);
                await KeepAsync(instance.Id, [created], ct);
                CustomerLog.ContactAdded(logger, instance.Name, created.Id);
                return new ContactOutcome(created.Id, Created: true);
            }, cancellationToken);
        }
        catch (CrmAuthException e)
        {
            throw new CustomerRequestException(502, $"{instance.Name} refused CrmEtl's access, so the contact was not added: {e.Message} " +
                "An admin of the company fixes the connection (console: Data sources); pressing again will not help until then.");
        }
        catch (CrmException e) when (e.StatusCode is 400 or 422)
        {
            throw new CustomerRequestException(422, $"{instance.Name} refused the contact: {e.Message}");
        }
        catch (CrmException e)
        {
            throw new CustomerRequestException(502, $"{instance.Name} could not be reached to add the contact: {e.Message} Nothing was lost: press again " +
                "(CrmEtl looks for the contact before creating it, so it is never created twice).");
        }

        var card = await cards.CardAsync(caller, instance.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, emails, fresh: false, cancellationToken);
        var contact = card.Contacts.FirstOrDefault(c => c.Id == outcome.ContactId);
        return new AddContactResult(outcome.Created, instance.Id, outcome.ContactId, contact?.Link,
            outcome.Created ? $"{name} was added to {instance.Name}." : $"{instance.Name} already has a contact with {string.Join(" or ", emails)}: nothing was added.", card);
    }

    private async Task KeepAsync(int instanceId, IReadOnlyList<ContactRow> contacts, CancellationToken ct)
    {
        var batch = new ReplicaBatch();
        batch.Contacts.AddRange(contacts);
        await replica.CommitAsync(instanceId, batch, ct);
        // A fresh card kept from before would not show the contact yet.
        await freshReads.ForgetAsync(instanceId, contacts.SelectMany(c => c.Emails).Select(e => e.Value.Trim().ToLowerInvariant()).ToList(), ct);
    }

    private async Task<int> OnlyInstanceAsync(string company, CancellationToken ct)
    {
        var ofCompany = (await instances.ListAsync(ct)).Where(i => (i.Company ?? i.Name) == company).ToList();
        return ofCompany.Count switch
        {
            1 => ofCompany[0].Id,
            0 => throw new CustomerRequestException(404, $"Company '{company}' has no connected CRM."),
            _ => throw new CustomerRequestException(400, $"Company '{company}' has several CRMs ({string.Join(", ", ofCompany.Select(i => i.Name))}): say which with instance."),
        };
    }

    private static (string Name, IReadOnlyList<string> Emails, IReadOnlyList<string> Phones) Validate(AddContactRequest request)
    {
        var problems = new List<string>();
        var name = request.Name?.Trim() ?? "";
        if (name.Length == 0) problems.Add("Give the contact's name.");
        else if (name.Length > MaxName) problems.Add($"The name is {name.Length} characters long; at most {MaxName}.");
        var (emails, emailProblems) = CustomerEmails.Normalize(request.Emails ?? []);
        problems.AddRange(emailProblems.Select(p => p.Replace("Give the customer's e-mail: email=someone@example.com (repeat email= for each of their addresses).",
            "Give the contact's e-mail (emails: [\"someone@example.com\"]).", StringComparison.Ordinal)));
        var phones = (request.Phones ?? []).Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p!.Trim()).ToList();
        foreach (var phone in phones.Where(p => p.Length > 40 || p.Count(char.IsDigit) < 5 || p.Any(c => !char.IsDigit(c) && !" +-()./".Contains(c, StringComparison.Ordinal))))
            problems.Add($"'{(phone.Length > 40 ? phone[..37] + "..." : phone)}' is not a phone number (digits, spaces and + - ( ) . / only, like +358 40 123 4567).");
        if (phones.Count > 10) problems.Add($"{phones.Count} phone numbers were given; at most 10.");
        return problems.Count > 0 ? throw new CustomerRequestException(400, problems) : (name, emails, phones);
    }
}
