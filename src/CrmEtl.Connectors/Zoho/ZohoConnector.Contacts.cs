using System.Text.Json.Nodes;
using CrmEtl.Core.Customers;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Zoho;

// Contacts read and written now, for the customer card: found by e-mail (GET /Contacts/search?email=, which looks at Email
// and Secondary_Email) and created (POST /Contacts).
public sealed partial class ZohoConnector
{
    private const string ContactsStream = "contacts";
    private static readonly string[] EmailFields = ["Email", "Secondary_Email"], PhoneFields = ["Phone", "Mobile"];

    public async Task<IReadOnlyList<ContactRow>> FindByEmailAsync(Instance instance, string email, ILogger logger, CancellationToken cancellationToken)
    {
        var found = await Client(instance, new RunStats(), logger).GetAsync(ContactsStream,
            $"/crm/v8/Contacts/search?email={Uri.EscapeDataString(email)}&fields={string.Join(',', Wanted.Contacts)}", null, cancellationToken);
        return Records(found).Select(ContactOf).ToList();
    }

    public async Task<ContactRow> CreateAsync(Instance instance, NewContact contact, ILogger logger, CancellationToken cancellationToken)
    {
        // Zoho requires a last name: the last word of the name; the words before it are the first name.
        var (first, last) = NameParts(contact.Name);
        var record = new JsonObject { ["Last_Name"] = last };
        if (first is not null) record["First_Name"] = first;
        foreach (var (field, value) in EmailFields.Zip(contact.Emails)) record[field] = value;
        foreach (var (field, value) in PhoneFields.Zip(contact.Phones)) record[field] = value;
        var answer = await Client(instance, new RunStats(), logger).PostAsync(ContactsStream, "/crm/v8/Contacts",
            new JsonObject { ["data"] = new JsonArray(record) }.ToJsonString(), cancellationToken);
        var details = answer?["data"]?[0]?["details"];
        var id = ZohoValues.Id(details?["id"]) ?? throw new CrmException("Zoho answered the new contact without its id (POST /crm/v8/Contacts).");
        return new ContactRow
        {
            Id = id, Name = contact.Name.Trim(), FirstName = first, LastName = last,
            Emails = contact.Emails.Take(2).Select((e, i) => new ContactPoint(e, i == 0 ? "work" : "other", i == 0)).ToList(),
            Phones = contact.Phones.Take(2).Select((p, i) => new ContactPoint(p, i == 0 ? "work" : "mobile", i == 0)).ToList(),
            AddTime = ZohoValues.Time(details?["Created_Time"]), UpdateTime = ZohoValues.Time(details?["Modified_Time"]),
        };
    }

    /// <summary>
    /// The customer now: contacts by e-mail (/Contacts/search?email=, one call each), their deals (the related list
    /// /Contacts/{id}/Deals) and the open activities of the latest three (/Deals/{id}/Activities: Tasks, Events and
    /// Calls not done). One credit per call, each taken from the allowance first.
    /// </summary>
    public async Task<CustomerReading> ReadCustomerAsync(Instance instance, IReadOnlyList<string> emails, ReadAllowance allowance, ILogger logger, CancellationToken cancellationToken)
    {
        var client = Client(instance, new RunStats(), logger);
        var contacts = new Dictionary<long, ContactRow>();
        foreach (var email in emails)
        {
            allowance.Take(1, "/Contacts/search");
            var found = await client.GetAsync(ContactsStream, $"/crm/v8/Contacts/search?email={Uri.EscapeDataString(email)}&fields={string.Join(',', Wanted.Contacts)}", null, cancellationToken);
            foreach (var contact in Records(found).Select(ContactOf)) contacts.TryAdd(contact.Id, contact);
        }
        var deals = new List<DealRow>();
        var stageNames = new Dictionary<long, (string?, string?)>();
        foreach (var contact in contacts.Values)
            await foreach (var r in RelatedAsync(client, allowance, $"Contacts/{contact.Id}/Deals", Wanted.DealCore, cancellationToken))
            {
                var deal = FreshDealOf(r, instance.ReportingCurrency);
                deals.Add(deal with { PersonId = contact.Id });
                stageNames[deal.Id] = (ZohoValues.Text(r["Pipeline"]?["name"]) ?? ZohoValues.Text(r["Pipeline"]), ZohoValues.Text(r["Stage"]));
            }
        var activities = new List<ActivityRow>();
        string[] activityFields = ["Activity_Type", .. Wanted.Tasks.Union(Wanted.Events).Union(Wanted.Calls)];
        foreach (var deal in deals.OrderByDescending(d => d.AddTime).ThenByDescending(d => d.Id).Take(CustomerCardBuilder.LatestDeals))
            await foreach (var r in RelatedAsync(client, allowance, $"Deals/{deal.Id}/Activities", activityFields, cancellationToken))
                if (ZohoValues.Text(r["Activity_Type"]) is { } module && ActivityModules.Contains(module))
                    activities.Add(Run.ToActivityRow(module, r) with { DealId = deal.Id });
        return new CustomerReading(contacts.Values.ToList(), deals, activities.Where(a => !a.Done).ToList()) { StageNames = stageNames };
    }

    private static IEnumerable<JsonObject> Records(JsonNode? page) => page?["data"] is JsonArray records ? records.OfType<JsonObject>() : [];

    /// <summary>A related list page by page (200 records each), a credit taken from the allowance before each page.</summary>
    private static IAsyncEnumerable<JsonObject> RelatedAsync(ZohoClient client, ReadAllowance allowance, string path, IEnumerable<string> fields, CancellationToken ct) =>
        client.PagesAsync(ContactsStream, $"/crm/v8/{path}?fields={string.Join(',', fields)}&per_page=200", "data", ct, allowance);

    /// <summary>A deal as a fresh card needs it; its stage and status are found by name in the replica (<see cref="CustomerReading.StageNames"/>).</summary>
    private static DealRow FreshDealOf(JsonObject r, string baseCurrency)
    {
        var id = ZohoValues.Id(r["id"]) ?? throw new FormatException("A Zoho deal has no id.");
        var added = ZohoValues.Time(r["Created_Time"]) ?? throw new FormatException($"Zoho deal {id} has no Created_Time.");
        return new DealRow
        {
            Id = id, Title = ZohoValues.Text(r["Deal_Name"]), Value = ZohoValues.Decimal(r["Amount"]), Currency = ZohoValues.Text(r["Currency"]) ?? baseCurrency,
            Status = "open", OwnerId = ZohoValues.Id(r["Owner"]), OrgId = ZohoValues.Id(r["Account_Name"]),
            AddTime = added, UpdateTime = ZohoValues.Time(r["Modified_Time"]) ?? added, ExpectedCloseDate = ZohoValues.Date(r["Closing_Date"]),
        };
    }

    /// <summary>A Contacts record: its Email and Secondary_Email, Phone and Mobile, its account.</summary>
    private static ContactRow ContactOf(JsonObject r)
    {
        static IEnumerable<ContactPoint> Points(params (string? Value, string Label)[] points) =>
            points.Where(p => !string.IsNullOrWhiteSpace(p.Value)).Select((p, i) => new ContactPoint(p.Value!.Trim(), p.Label, i == 0));
        return new ContactRow
        {
            Id = ZohoValues.Id(r["id"]) ?? throw new FormatException("A Zoho contact has no id."),
            Name = ZohoValues.Text(r["Full_Name"]), FirstName = ZohoValues.Text(r["First_Name"]), LastName = ZohoValues.Text(r["Last_Name"]),
            OwnerId = ZohoValues.Id(r["Owner"]), OrgId = ZohoValues.Id(r["Account_Name"]),
            Emails = Points((ZohoValues.Text(r["Email"]), "work"), (ZohoValues.Text(r["Secondary_Email"]), "other")).ToList(),
            Phones = Points((ZohoValues.Text(r["Phone"]), "work"), (ZohoValues.Text(r["Mobile"]), "mobile")).ToList(),
            AddTime = ZohoValues.Time(r["Created_Time"]), UpdateTime = ZohoValues.Time(r["Modified_Time"]),
        };
    }
}
