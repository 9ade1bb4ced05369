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
        return found?["data"] is JsonArray records ? records.OfType<JsonObject>().Select(ContactOf).ToList() : [];
    }

    public async Task<ContactRow> CreateAsync(Instance instance, NewContact contact, ILogger logger, CancellationToken cancellationToken)
    {
        // Zoho requires a last name: the last word of the name; the words before it are the first name.
        var words = contact.Name.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var (first, last) = words.Length > 1 ? (string.Join(' ', words[..^1]), words[^1]) : (null, contact.Name.Trim());
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
