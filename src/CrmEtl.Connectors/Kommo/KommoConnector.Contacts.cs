using System.Text.Json.Nodes;
using CrmEtl.Core.Customers;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Kommo;

// Contacts read and written now, for the customer card: found by e-mail (GET /api/v4/contacts?query=, Kommo's search over
// every filled field, so the answer is kept to contacts having the whole address) and created (POST /api/v4/contacts).
public sealed partial class KommoConnector : ICrmContacts
{
    private const string ContactsStream = "contacts";

    public async Task<IReadOnlyList<ContactRow>> FindByEmailAsync(Instance instance, string email, ILogger logger, CancellationToken cancellationToken) =>
        (await ContactsWithAsync(Client(instance, new RunStats(), logger), [email], null, cancellationToken)).Select(c => c.Contact).ToList();

    /// <summary>
    /// The customer now: contacts by e-mail (/api/v4/contacts?query=&amp;with=leads, one call per address), their leads by
    /// id (/api/v4/leads?filter[id][]=, open, won and lost; the trash is not listed), and the open tasks of the latest three
    /// (/api/v4/tasks?filter[entity_id][]=&amp;filter[is_completed]=0, with the account's task types and time zone when there are any).
    /// Kommo has no per-call price: each call takes one unit of the allowance first.
    /// </summary>
    public async Task<CustomerReading> ReadCustomerAsync(Instance instance, IReadOnlyList<string> emails, ReadAllowance allowance, ILogger logger, CancellationToken cancellationToken)
    {
        var client = Client(instance, new RunStats(), logger);
        var contacts = await ContactsWithAsync(client, emails, allowance, cancellationToken);
        var deals = new List<DealRow>();
        foreach (var ids in contacts.SelectMany(c => c.Leads).Distinct().Order().Chunk(_options.PageSize))
            await foreach (var r in client.PagesAsync(ContactsStream, $"/api/v4/leads?limit={_options.PageSize}&with=contacts,loss_reason&{IdFilter("filter[id]", ids)}", "leads", cancellationToken, allowance))
            {
                var deal = Run.ToDealRow(r, instance.ReportingCurrency);
                // A lead of several of the customer's contacts belongs to the one whose card led to it.
                var contact = contacts.Find(c => c.Leads.Contains(deal.Id)).Contact;
                if (!deal.IsDeleted) deals.Add(deal with { PersonId = contact.Id });
            }
        var latest = deals.OrderByDescending(d => d.AddTime).ThenByDescending(d => d.Id).Take(CustomerCardBuilder.LatestDeals).Select(d => d.Id).ToList();
        var tasks = new List<JsonObject>();
        if (latest.Count > 0)
            await foreach (var r in client.PagesAsync(ContactsStream,
                $"/api/v4/tasks?limit={_options.PageSize}&filter[entity_type]=leads&{IdFilter("filter[entity_id]", latest)}&filter[is_completed]=0", "tasks", cancellationToken, allowance))
                tasks.Add(r);
        var types = new Dictionary<long, string>();
        var zone = TimeZoneInfo.Utc;
        if (tasks.Count > 0)
        {
            allowance.Take(1, "/api/v4/account");
            if (await client.GetAsync(ContactsStream, "/api/v4/account?with=task_types,datetime_settings", cancellationToken) is { } account)
            {
                foreach (var (id, _, code) in Run.TaskTypesOf(account)) types[id] = code;
                zone = Run.ZoneOf(account, instance.TimeZone);
            }
        }
        var activities = tasks.Select(t => Run.TaskOf(t, types, zone)).Where(a => !a.Done && a.DealId is { } deal && latest.Contains(deal)).ToList();
        return new CustomerReading(contacts.Select(c => c.Contact).ToList(), deals, activities);
    }

    public async Task<ContactRow> CreateAsync(Instance instance, NewContact contact, ILogger logger, CancellationToken cancellationToken)
    {
        // E-mails and phones are the contact's multi-fields EMAIL and PHONE (custom-fields.md): the first of each WORK, the rest OTHER / MOB.
        static JsonObject Field(string code, IReadOnlyList<string> values, string first, string rest) => new()
        {
            ["field_code"] = code,
            ["values"] = new JsonArray(values.Select((v, i) => (JsonNode)new JsonObject { ["value"] = v, ["enum_code"] = i == 0 ? first : rest }).ToArray()),
        };
        var words = contact.Name.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var record = new JsonObject { ["name"] = contact.Name.Trim(), ["request_id"] = "crmetl-card" };
        if (words.Length > 1)
        {
            record["first_name"] = string.Join(' ', words[..^1]);
            record["last_name"] = words[^1];
        }
        var fields = new JsonArray();
        if (contact.Emails.Count > 0) fields.Add(Field("EMAIL", contact.Emails, "WORK", "OTHER"));
        if (contact.Phones.Count > 0) fields.Add(Field("PHONE", contact.Phones, "WORK", "MOB"));
        if (fields.Count > 0) record["custom_fields_values"] = fields;
        var answer = await Client(instance, new RunStats(), logger).PostAsync(ContactsStream, "/api/v4/contacts", new JsonArray(record).ToJsonString(), cancellationToken);
        var id = KommoValues.Id(answer?["_embedded"]?["contacts"]?[0]?["id"])
            ?? throw new CrmException("Kommo answered the new contact without its id (POST /api/v4/contacts).");
        return new ContactRow
        {
            Id = id, Name = contact.Name.Trim(), FirstName = KommoValues.Text(record["first_name"]), LastName = KommoValues.Text(record["last_name"]),
            Emails = contact.Emails.Select((e, i) => new ContactPoint(e, i == 0 ? "work" : "other", i == 0)).ToList(),
            Phones = contact.Phones.Select((p, i) => new ContactPoint(p, i == 0 ? "work" : "mob", i == 0)).ToList(),
        };
    }

    /// <summary>The contacts having one of the e-mails (the whole address, case-insensitively), with the ids of their leads.</summary>
    private async Task<List<(ContactRow Contact, HashSet<long> Leads)>> ContactsWithAsync(KommoClient client, IReadOnlyList<string> emails, ReadAllowance? allowance, CancellationToken ct)
    {
        var found = new List<(ContactRow Contact, HashSet<long> Leads)>();
        foreach (var email in emails)
            await foreach (var r in client.PagesAsync(ContactsStream, $"/api/v4/contacts?limit={_options.PageSize}&with=leads&query={Uri.EscapeDataString(email)}", "contacts", ct, allowance))
            {
                var contact = Run.ContactOf(r);
                if (contact.IsDeleted || found.Exists(f => f.Contact.Id == contact.Id)) continue;
                if (!contact.Emails.Any(e => string.Equals(e.Value, email, StringComparison.OrdinalIgnoreCase))) continue;
                var leads = (r["_embedded"]?["leads"]?.AsArray().OfType<JsonObject>() ?? []).Select(l => KommoValues.Id(l["id"])).OfType<long>().ToHashSet();
                found.Add((contact, leads));
            }
        return found;
    }

    private static string IdFilter(string name, IEnumerable<long> ids) => string.Join('&', ids.Select((id, i) => $"{name}[{i}]={id}"));
}
