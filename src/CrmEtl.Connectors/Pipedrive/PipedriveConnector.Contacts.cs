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

    public async Task<IReadOnlyList<ContactRow>> FindByEmailAsync(Instance instance, string email, ILogger logger, CancellationToken cancellationToken)
    {
        var client = Client(instance, new RunStats(), logger);
        var found = await client.GetAsync(ContactsStream, "/api/v2/persons/search",
            $"api/v2/persons/search?term={Uri.EscapeDataString(email)}&fields=email&exact_match=true&limit=100", PipedriveJsonContext.Default.ItemPersonSearchDto, cancellationToken);
        var ids = found?.Data?.Items?.Select(i => i.Item?.Id).OfType<long>().Distinct().ToList() ?? [];
        if (ids.Count == 0) return [];
        var page = await client.GetAsync(ContactsStream, "/api/v2/persons", $"api/v2/persons?ids={string.Join(',', ids)}&limit=100", PipedriveJsonContext.Default.V2PagePersonDto, cancellationToken);
        return page?.Data?.Where(p => p.IsDeleted != true).Select(ContactOf).ToList() ?? [];
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
