namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>
/// What each served operation costs in the daily token budget: its x-token-cost in the vendor's
/// spec (a test checks every entry against ../shared/api-specs/pipedrive).
/// </summary>
public static class TokenCosts
{
    public static IReadOnlyDictionary<string, int> ByOperation { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["v2 GET /deals"] = 10,
        ["v2 GET /deals/archived"] = 20,
        ["v2 GET /activities"] = 10,
        ["v2 GET /persons"] = 10,
        ["v2 GET /organizations"] = 10,
        ["v2 GET /persons/search"] = 20,
        ["v2 POST /persons"] = 5,
        ["v2 PATCH /persons/{id}"] = 5,
        ["v2 POST /organizations"] = 5,
        ["v2 PATCH /organizations/{id}"] = 5,
        ["v2 GET /organizations/search"] = 20,
        ["v2 POST /deals"] = 5,
        ["v2 PATCH /deals/{id}"] = 5,
        ["v2 GET /deals/search"] = 20,
        ["v2 POST /activities"] = 5,
        ["v1 POST /notes"] = 10,
        ["v1 GET /notes"] = 20,
        ["v1 POST /webhooks"] = 10,
        ["v1 GET /webhooks"] = 10,
        ["v1 DELETE /webhooks/{id}"] = 6,
        ["v2 GET /pipelines"] = 5,
        ["v2 GET /stages"] = 5,
        ["v2 GET /dealFields"] = 10,
        ["v1 GET /users"] = 20,
        ["v1 GET /users/me"] = 2,
        ["v1 GET /currencies"] = 20,
        ["v1 GET /activityTypes"] = 20,
        ["v1 GET /leads"] = 20,
        ["v1 GET /leads/archived"] = 40,
        ["v1 GET /deals/{id}/changelog"] = 20,
        ["v1 GET /deals/{id}/flow"] = 40,
    };
}
