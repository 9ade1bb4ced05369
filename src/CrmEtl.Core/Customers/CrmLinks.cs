using CrmEtl.Core.Instances;

namespace CrmEtl.Core.Customers;

/// <summary>
/// Links to a record's page in the CRM, as its users know them, from the account's web address
/// (<see cref="WebAddress"/>): Pipedrive https://{company}.pipedrive.com/person/{id} and /deal/{id};
/// Zoho https://crm.zoho.{dc}/crm/org{org id}/tab/Contacts/{id} and /tab/Potentials/{id} (deals are "Potentials" in its URLs);
/// Kommo https://{subdomain}.kommo.com/contacts/detail/{id} and /leads/detail/{id}.
/// </summary>
public sealed record CrmLinks(string Kind, string? WebAddress)
{
    public string? Contact(long id) => Page(Kind switch { InstanceKinds.Zoho => $"tab/Contacts/{id}", InstanceKinds.Kommo => $"contacts/detail/{id}", _ => $"person/{id}" });

    public string? Deal(long id) => Page(Kind switch { InstanceKinds.Zoho => $"tab/Potentials/{id}", InstanceKinds.Kommo => $"leads/detail/{id}", _ => $"deal/{id}" });

    /// <summary>Where to create a deal for a contact: Zoho's and Kommo's new-deal forms; Pipedrive adds deals from the person's page.</summary>
    public string? NewDeal(long contactId) => Page(Kind switch { InstanceKinds.Zoho => "tab/Potentials/create", InstanceKinds.Kommo => "leads/add/", _ => $"person/{contactId}" });

    private string? Page(string path) => WebAddress is null ? null : WebAddress.TrimEnd('/') + "/" + path;

    /// <summary>Pipedrive's web address from the company domain its /users/me reports.</summary>
    public static string PipedriveWebAddress(string companyDomain) => $"https://{companyDomain}.pipedrive.com";

    /// <summary>
    /// Zoho's web address from the accounts server the instance signs in with (accounts.zoho.eu → crm.zoho.eu) and the
    /// org id /org reports. An accounts server that is not Zoho's (a sandbox) serves the pages itself.
    /// </summary>
    public static string ZohoWebAddress(string accountsServer, string orgId)
    {
        var uri = new Uri(accountsServer);
        var host = uri.Host.StartsWith("accounts.", StringComparison.OrdinalIgnoreCase) ? "https://crm." + uri.Host["accounts.".Length..] : uri.GetLeftPart(UriPartial.Authority);
        return $"{host}/crm/org{orgId}";
    }
}
