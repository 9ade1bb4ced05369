using System.Text.Json;
using System.Text.Json.Nodes;
using CrmEtl.Core.Customers;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Pipedrive;

// Persons read and written now, for the customer card: found by e-mail (/v2/persons/search, then the people by id, since
// search results carry e-mails without labels) and created (POST /v2/persons).
public sealed partial class PipedriveConnector
{
    private const string ContactsStream = "contacts";

    public async Task<IReadOnlyList<ContactRow>> FindByEmailAsync(Instance instance, string email, ILogger logger, CancellationToken cancellationToken) =>
        await PersonsWithAsync(Client(instance, new RunStats(), logger), [email], null, cancellationToken);

    /// <summary>
    /// The customer now: persons by exact e-mail (/v2/persons/search, one call per address), then those persons, their
    /// deals (/v2/deals?person_id=, open, won and lost) and the open activities of the latest three (/v2/activities?deal_id=&amp;done=false).
    /// </summary>
    public async Task<CustomerReading> ReadCustomerAsync(Instance instance, IReadOnlyList<string> emails, ReadAllowance allowance, ILogger logger, CancellationToken cancellationToken)
    {
        var client = Client(instance, new RunStats(), logger);
        var persons = await PersonsWithAsync(client, emails, allowance, cancellationToken);
        var deals = new List<DealRow>();
        foreach (var person in persons)
            await foreach (var d in client.V2Async(ContactsStream, "/api/v2/deals", $"person_id={person.Id}&status=open,won,lost", PipedriveJsonContext.Default.V2PageDealDto, cancellationToken, allowance))
                deals.Add(Run.ToDealRow(d));
        var activities = new List<ActivityRow>();
        foreach (var deal in deals.OrderByDescending(d => d.AddTime).ThenByDescending(d => d.Id).Take(CustomerCardBuilder.LatestDeals))
            await foreach (var a in client.V2Async(ContactsStream, "/api/v2/activities", $"deal_id={deal.Id}&done=false", PipedriveJsonContext.Default.V2PageActivityDto, cancellationToken, allowance))
                activities.Add(Run.ToActivityRow(a));
        return new CustomerReading(persons, deals.Where(d => !d.IsDeleted).ToList(), activities.Where(a => !a.IsDeleted && !a.Done).ToList());
    }

    /// <summary>The live persons having one of the e-mails: searched by each (search results carry e-mails without labels), then read by id.</summary>
    private static async Task<List<ContactRow>> PersonsWithAsync(PipedriveClient client, IReadOnlyList<string> emails, ReadAllowance? allowance, CancellationToken ct)
    {
        var ids = new SortedSet<long>();
        foreach (var email in emails)
        {
            const string Search = "/api/v2/persons/search";
            var found = await client.GetAsync(ContactsStream, Search,
                $"api/v2/persons/search?term={Uri.EscapeDataString(email)}&fields=email&exact_match=true&limit=100", PipedriveJsonContext.Default.ItemPersonSearchDto, ct, allowance);
            ids.UnionWith(found?.Data?.Items?.Select(i => i.Item?.Id).OfType<long>() ?? []);
        }
        if (ids.Count == 0) return [];
        var persons = new List<ContactRow>();
        await foreach (var p in client.V2Async(ContactsStream, "/api/v2/persons", $"ids={string.Join(',', ids.Take(100))}", PipedriveJsonContext.Default.V2PagePersonDto, ct, allowance))
            if (p.IsDeleted != true) persons.Add(ContactOf(p));
        return persons;
    }

    public async Task<ContactRow> CreateAsync(Instance instance, NewContact contact, ILogger logger, CancellationToken cancellationToken)
    {
        static JsonArray Points(IReadOnlyList<string> values, string label) =>
            new(values.Select((v, i) => (JsonNode)new JsonObject { ["value"] = v, ["primary"] = i == 0, ["label"] = label }).ToArray());
        var body = new JsonObject { ["name"] = contact.Name, ["emails"] = Points(contact.Emails, "work"), ["phones"] = Points(contact.Phones, "work") };
        var created = await Client(instance, new RunStats(), logger).PostAsync(ContactsStream, "POST /api/v2/persons", "api/v2/persons",
            body.ToJsonString(), PipedriveJsonContext.Default.ItemPersonDto, cancellationToken);
        return created?.Data is { } person ? ContactOf(person) : throw new CrmException("Pipedrive answered the new person without it (POST /api/v2/persons).");
    }

    private static ContactRow ContactOf(PersonDto p) => new()
    {
        Id = p.Id, Name = p.Name, FirstName = p.FirstName, LastName = p.LastName, OwnerId = p.OwnerId, OrgId = p.OrgId,
        Emails = PointsOf(p.Emails), Phones = PointsOf(p.Phones),
        AddTime = PipedriveFormat.Time(p.AddTime), UpdateTime = PipedriveFormat.Time(p.UpdateTime), IsDeleted = p.IsDeleted ?? false,
    };

    private static List<ContactPoint> PointsOf(List<ContactPointDto>? points) =>
        points?.Where(p => !string.IsNullOrWhiteSpace(p.Value)).Select(p => new ContactPoint(p.Value!.Trim(), p.Label, p.Primary ?? false)).ToList() ?? [];
}
