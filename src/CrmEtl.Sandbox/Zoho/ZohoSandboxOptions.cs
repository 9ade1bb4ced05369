namespace CrmEtl.Sandbox.Zoho;

/// <summary>What one sandbox Zoho CRM organisation contains, how it is reached and how it limits its callers.</summary>
public sealed record ZohoOrgOptions
{
    /// <summary>Organisation name; also names it in the sandbox's control endpoints.</summary>
    public string Name { get; init; } = "acme-de";
    /// <summary>Data centre code: us, eu, in, au, jp, ca, sa, cn or uk (see <see cref="ZohoDataCentres"/>).</summary>
    public string DataCentre { get; init; } = "eu";
    public string ClientId { get; init; } = "1000.SANDBOXACMEDE";
    public string ClientSecret { get; init; } = "sandbox-acme-de-secret";
    public string RefreshToken { get; init; } = "1000.sandbox-acme-de-refresh";
    /// <summary>Scopes the refresh token was granted.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = ZohoScopes.All;
    /// <summary>The org's time zone: record timestamps carry its UTC offset, as Zoho's do.</summary>
    public string TimeZone { get; init; } = "Europe/Berlin";
    public int Seed { get; init; } = 1;
    public int Deals { get; init; } = 1_000;
    public int Activities { get; init; } = 3_000;
    public int Leads { get; init; } = 200;
    public int Users { get; init; } = 8;
    public int Pipelines { get; init; } = 3;
    public int HistoryDays { get; init; } = 540;
    public string BaseCurrency { get; init; } = "EUR";
    /// <summary>Custom fields on Deals besides the generated business ones, so that an org has more than 50 fields.</summary>
    public int ExtraDealFields { get; init; } = 24;
    /// <summary>API credits per rolling 24 hours (Enterprise: 50,000 + 1,000 per user).</summary>
    public long DailyCredits { get; init; } = 50_000 + 1_000 * 8;
    /// <summary>Requests of the org served at the same time; more get TOO_MANY_REQUESTS.</summary>
    public int Concurrency { get; init; } = 15;
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Whether the org offers the hidden DealHistory module (else only each deal's Stage_History).</summary>
    public bool DealHistoryModule { get; init; } = true;
    /// <summary>Whether DealHistory has the Moved_To__s field (asking for a field a module lacks is INVALID_DATA).</summary>
    public bool DealHistoryMovedTo { get; init; } = true;
    /// <summary>Access tokens a refresh token may mint per 10 minutes.</summary>
    public int TokensPerTenMinutes { get; init; } = 10;
}

public sealed record ZohoSandboxOptions
{
    public IReadOnlyList<ZohoOrgOptions> Orgs { get; init; } = [new ZohoOrgOptions()];
    /// <summary>Data centres served besides the orgs' own, so that a call to the wrong one can be tried.</summary>
    public IReadOnlyList<string> ExtraDataCentres { get; init; } = ["us"];
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    /// <summary>
    /// Where the generated history ends (nothing is dated later); the clock's now when null. Tests give their
    /// pinned instant, so that what is generated depends on it alone, not on when in a run the test starts.
    /// </summary>
    public DateTimeOffset? AsOf { get; init; }
}

/// <summary>The OAuth scopes CrmEtl asks for (API-NOTES, Zoho auth).</summary>
public static class ZohoScopes
{
    public const string Modules = "ZohoCRM.modules.READ";
    public const string Settings = "ZohoCRM.settings.READ";
    public const string Users = "ZohoCRM.users.READ";
    public const string Org = "ZohoCRM.org.READ";
    public const string Coql = "ZohoCRM.coql.READ";
    public const string Bulk = "ZohoCRM.bulk.READ";
    /// <summary>Creating contacts (the customer card's "add").</summary>
    public const string ContactsCreate = "ZohoCRM.modules.contacts.CREATE";

    /// <summary>The scope of creating (CREATE) or updating (UPDATE) records of a module, e.g. ZohoCRM.modules.deals.UPDATE.</summary>
    public static string Write(string module, string operation) => $"ZohoCRM.modules.{module.ToLowerInvariant()}.{operation}";

    /// <summary>The modules a web form writes: contacts, accounts, deals and tasks.</summary>
    public static readonly IReadOnlyList<string> WrittenModules = ["Contacts", "Accounts", "Deals", "Tasks"];

    public static readonly IReadOnlyList<string> All =
        [Modules, Settings, Users, Org, Coql, Bulk, ContactsCreate, .. WrittenModules.Where(m => m != "Contacts").Select(m => Write(m, "CREATE")), .. WrittenModules.Select(m => Write(m, "UPDATE")),
         Write("Notes", "CREATE")];
}

/// <summary>Zoho's data centres: each has its own accounts server and API domain.</summary>
public static class ZohoDataCentres
{
    /// <summary>Code → (real accounts server, real API domain), from API-NOTES.</summary>
    public static readonly IReadOnlyDictionary<string, (string Accounts, string Api)> Real = new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase)
    {
        ["us"] = ("https://accounts.zoho.com", "https://www.zohoapis.com"),
        ["eu"] = ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
        ["in"] = ("https://accounts.zoho.in", "https://www.zohoapis.in"),
        ["au"] = ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
        ["jp"] = ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
        ["ca"] = ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
        ["sa"] = ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
        ["cn"] = ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
        ["uk"] = ("https://accounts.zoho.uk", "https://www.zohoapis.uk"),
    };
}
