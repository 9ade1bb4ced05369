using System.Globalization;
using System.Text.Json;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Zoho;

/// <summary>A field of a module: its API name, label, Zoho data type and how a record's value is written.</summary>
internal sealed record ZohoField<T>(string ApiName, string Label, string DataType, bool Custom, Action<Utf8JsonWriter, ZohoOrg, T> Write, IReadOnlyList<string>? PickList = null);

/// <summary>
/// The fields of the modules the sandbox serves (Deals, Leads, Tasks, Events, Calls, DealHistory),
/// with Zoho's value shapes: lookups as {name, id}, owners as {name, id, email}, timestamps in the
/// org's UTC offset, dates as yyyy-MM-dd, picklists as their actual value.
/// </summary>
internal static class ZohoFields
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    internal static readonly string[] LeadSources = ["Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Trade Show", "Web Download", "Web Research", "Chat"];
    internal static readonly string[] Segments = ["SMB", "Mid-market", "Enterprise"];
    internal static readonly Dictionary<string, decimal> RatesPerEuro = new(StringComparer.Ordinal) { ["EUR"] = 1m, ["USD"] = 1.08m, ["SEK"] = 11.5m, ["GBP"] = 0.86m, ["JPY"] = 160m };

    /// <summary>Zoho sends timestamps in the org's time zone with its offset, e.g. 2026-03-01T10:00:00+01:00.</summary>
    public static string Time(ZohoOrg org, DateTime utc)
    {
        var at = new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
        return at.ToOffset(org.TimeZone.GetUtcOffset(at)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", Inv);
    }

    private static void Str(Utf8JsonWriter w, string name, string? v) { if (v is null) w.WriteNull(name); else w.WriteString(name, v); }
    private static void Num(Utf8JsonWriter w, string name, decimal? v) { if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name); }
    private static void Date(Utf8JsonWriter w, string name, DateOnly? v) => Str(w, name, v?.ToString("yyyy-MM-dd", Inv));
    private static void At(Utf8JsonWriter w, ZohoOrg org, string name, DateTime? v) => Str(w, name, v is { } t ? Time(org, t) : null);

    private static void Lookup(Utf8JsonWriter w, string name, string? display, long? id)
    {
        if (id is not { } value) { w.WriteNull(name); return; }
        w.WriteStartObject(name);
        w.WriteString("name", display);
        w.WriteString("id", value.ToString(Inv));
        w.WriteEndObject();
    }

    internal static void Owner(Utf8JsonWriter w, ZohoOrg org, string name, long sbUserId)
    {
        var user = org.User(sbUserId);
        w.WriteStartObject(name);
        w.WriteString("name", user.Name);
        w.WriteString("id", org.UserId(user.Id).ToString(Inv));
        w.WriteString("email", user.Email);
        w.WriteEndObject();
    }

    /// <summary>The account's name: the generated organization's (every organization a record names exists).</summary>
    private static string AccountName(ZohoOrg org, long orgId) => org.Data.OrganizationName(orgId) ?? $"Account {orgId}";
    private static string ContactName(long personId) => $"Contact {personId}";

    private static ZohoField<T> F<T>(string api, string label, string type, Action<Utf8JsonWriter, ZohoOrg, T> write, IReadOnlyList<string>? pick = null) =>
        new(api, label, type, false, write, pick);

    private static ZohoField<T> Custom<T>(string api, string label, string type, Action<Utf8JsonWriter, ZohoOrg, T> write, IReadOnlyList<string>? pick = null) =>
        new(api, label, type, true, write, pick);

    // ---- Deals ---------------------------------------------------------------------------------

    public static IReadOnlyList<ZohoField<SbDeal>> Deals(ZohoOrg org)
    {
        var custom = org.Data.DealFields.Where(f => f.IsCustom).ToList();
        object? CustomValue(SbDeal d, string name) => d.CustomFields.GetValueOrDefault(custom.Find(f => f.Name == name)?.Key ?? "");
        var fields = new List<ZohoField<SbDeal>>
        {
            F<SbDeal>("Owner", "Deal Owner", "ownerlookup", (w, o, d) => Owner(w, o, "Owner", d.OwnerId)),
            F<SbDeal>("Deal_Name", "Deal Name", "text", (w, o, d) => w.WriteString("Deal_Name", d.Title)),
            F<SbDeal>("Amount", "Amount", "currency", (w, o, d) => w.WriteNumber("Amount", d.Value)),
            F<SbDeal>("Currency", "Currency", "picklist", (w, o, d) => w.WriteString("Currency", d.Currency), [.. RatesPerEuro.Keys]),
            F<SbDeal>("Exchange_Rate", "Exchange Rate", "double", (w, o, d) => w.WriteNumber("Exchange_Rate", ExchangeRate(o, d.Currency))),
            F<SbDeal>("Stage", "Stage", "picklist", (w, o, d) => w.WriteString("Stage", o.StageOf(d)), org.StageValues()),
            F<SbDeal>("Pipeline", "Pipeline", "picklist", (w, o, d) =>
            {
                var p = o.Data.Pipelines.Find(x => x.Id == d.PipelineId)!;
                Lookup(w, "Pipeline", p.Name, o.PipelineId(p));
            }, org.Data.Pipelines.Select(p => p.Name).ToList()),
            F<SbDeal>("Probability", "Probability (%)", "integer", (w, o, d) => w.WriteNumber("Probability", o.ProbabilityOf(d))),
            F<SbDeal>("Expected_Revenue", "Expected Revenue", "currency", (w, o, d) => w.WriteNumber("Expected_Revenue", Math.Round(d.Value * o.ProbabilityOf(d) / 100m, 2))),
            F<SbDeal>("Closing_Date", "Closing Date", "date", (w, o, d) => Date(w, "Closing_Date", d.CloseTime is { } c ? DateOnly.FromDateTime(c) : d.ExpectedCloseDate)),
            F<SbDeal>("Account_Name", "Account Name", "lookup", (w, o, d) => Lookup(w, "Account_Name", d.OrgId is { } a ? AccountName(o, a) : null, d.OrgId is { } x ? o.Id(ZohoOrg.Entity.Account, x) : null)),
            F<SbDeal>("Contact_Name", "Contact Name", "lookup", (w, o, d) => Lookup(w, "Contact_Name", d.PersonId is { } p ? ContactName(p) : null, d.PersonId is { } x ? o.Id(ZohoOrg.Entity.Contact, x) : null)),
            F<SbDeal>("Lead_Source", "Lead Source", "picklist", (w, o, d) => Str(w, "Lead_Source", d.Channel is { } c ? LeadSources[c % LeadSources.Length] : d.Origin == "API" ? "Web Download" : null), LeadSources),
            F<SbDeal>("Type", "Type", "picklist", (w, o, d) => w.WriteString("Type", d.Id % 4 == 0 ? "Existing Business" : "New Business"), ["-None-", "Existing Business", "New Business"]),
            F<SbDeal>("Reason_For_Loss__s", "Reason For Loss", "picklist", (w, o, d) => Str(w, "Reason_For_Loss__s", d.Status == "lost" ? d.LostReason : null)),
            F<SbDeal>("Next_Step", "Next Step", "text", (w, o, d) => w.WriteNull("Next_Step")),
            F<SbDeal>("Description", "Description", "textarea", (w, o, d) => w.WriteNull("Description")),
            F<SbDeal>("Campaign_Source", "Campaign Source", "lookup", (w, o, d) => w.WriteNull("Campaign_Source")),
            F<SbDeal>("Created_By", "Created By", "ownerlookup", (w, o, d) => Owner(w, o, "Created_By", d.OwnerId)),
            F<SbDeal>("Modified_By", "Modified By", "ownerlookup", (w, o, d) => Owner(w, o, "Modified_By", d.Changes.Count > 0 ? d.Changes[^1].ActorUserId : d.OwnerId)),
            F<SbDeal>("Created_Time", "Created Time", "datetime", (w, o, d) => At(w, o, "Created_Time", d.AddTime)),
            F<SbDeal>("Modified_Time", "Modified Time", "datetime", (w, o, d) => At(w, o, "Modified_Time", d.UpdateTime)),
            F<SbDeal>("Stage_Modified_Time", "Stage Modified Time", "datetime", (w, o, d) => At(w, o, "Stage_Modified_Time", o.StageModifiedTime(d))),
            F<SbDeal>("Last_Activity_Time", "Last Activity Time", "datetime", (w, o, d) => At(w, o, "Last_Activity_Time", d.UpdateTime)),
            F<SbDeal>("Lead_Conversion_Time", "Lead Conversion Time", "integer", (w, o, d) => w.WriteNull("Lead_Conversion_Time")),
            F<SbDeal>("Sales_Cycle_Duration", "Sales Cycle Duration", "integer", (w, o, d) => Num(w, "Sales_Cycle_Duration", d.CloseTime is { } c ? (int)(c - d.AddTime).TotalDays : null)),
            F<SbDeal>("Overall_Sales_Duration", "Overall Sales Duration", "integer", (w, o, d) => Num(w, "Overall_Sales_Duration", d.CloseTime is { } c ? (int)(c - d.AddTime).TotalDays : null)),
            Custom<SbDeal>("Segment", "Segment", "picklist", (w, o, d) => Str(w, "Segment", CustomValue(d, "Segment") is long option ? Segments[(int)(option - 100) % Segments.Length] : null), Segments),
            Custom<SbDeal>("Setup_Fee", "Setup fee", "currency", (w, o, d) => Num(w, "Setup_Fee", CustomValue(d, "Setup fee") is ValueTuple<decimal, string> money ? money.Item1 : null)),
            Custom<SbDeal>("Campaign", "Campaign", "text", (w, o, d) => Str(w, "Campaign", CustomValue(d, "Campaign") as string)),
            Custom<SbDeal>("Seats", "Seats", "integer", (w, o, d) => Num(w, "Seats", CustomValue(d, "Seats") is double seats ? (decimal)seats : null)),
        };
        for (var i = 1; i <= org.Options.ExtraDealFields; i++)
        {
            var api = $"Custom_Field_{i:D2}";
            var n = i;
            fields.Add(Custom<SbDeal>(api, $"Custom field {n}", "text", (w, o, d) => Str(w, api, (d.Id + n) % 5 == 0 ? $"value {n}-{d.Id % 7}" : null)));
        }
        return fields;
    }

    /// <summary>The org's rate of a currency: 1 unit of the base currency = rate units of it (base is 1).</summary>
    public static decimal ExchangeRate(ZohoOrg org, string currency) =>
        Math.Round(RatesPerEuro.GetValueOrDefault(currency, 1m) / RatesPerEuro.GetValueOrDefault(org.Options.BaseCurrency, 1m), 6);

    // ---- Leads ---------------------------------------------------------------------------------

    public static IReadOnlyList<ZohoField<(SbLead Lead, int Index)>> Leads(ZohoOrg org) =>
    [
        F<(SbLead Lead, int Index)>("Owner", "Lead Owner", "ownerlookup", (w, o, x) => Owner(w, o, "Owner", x.Lead.OwnerId)),
        F<(SbLead Lead, int Index)>("Company", "Company", "text", (w, o, x) => w.WriteString("Company", x.Lead.Title.Replace(" lead", "", StringComparison.Ordinal))),
        F<(SbLead Lead, int Index)>("First_Name", "First Name", "text", (w, o, x) => w.WriteNull("First_Name")),
        F<(SbLead Lead, int Index)>("Last_Name", "Last Name", "text", (w, o, x) => w.WriteString("Last_Name", x.Lead.PersonId is { } p ? ContactName(p) : "Unknown")),
        F<(SbLead Lead, int Index)>("Full_Name", "Lead Name", "text", (w, o, x) => w.WriteString("Full_Name", x.Lead.PersonId is { } p ? ContactName(p) : "Unknown")),
        F<(SbLead Lead, int Index)>("Email", "Email", "email", (w, o, x) => Str(w, "Email", x.Lead.PersonId is { } p ? $"contact{p}@example.com" : null)),
        F<(SbLead Lead, int Index)>("Lead_Source", "Lead Source", "picklist", (w, o, x) => w.WriteString("Lead_Source", LeadSources[Math.Abs(x.Lead.SourceName.GetHashCode(StringComparison.Ordinal) % LeadSources.Length)]), LeadSources),
        F<(SbLead Lead, int Index)>("Lead_Status", "Lead Status", "picklist", (w, o, x) => w.WriteString("Lead_Status", ZohoOrg.LeadStatus(x.Lead)), ["-None-", .. ZohoOrg.LeadStatuses]),
        F<(SbLead Lead, int Index)>("Annual_Revenue", "Annual Revenue", "currency", (w, o, x) => Num(w, "Annual_Revenue", x.Lead.ValueAmount)),
        F<(SbLead Lead, int Index)>("Description", "Description", "textarea", (w, o, x) => w.WriteNull("Description")),
        F<(SbLead Lead, int Index)>("Converted__s", "Converted", "boolean", (w, o, x) => w.WriteBoolean("Converted__s", ZohoOrg.IsConverted(x.Lead))),
        F<(SbLead Lead, int Index)>("Converted_Date_Time", "Converted Date Time", "datetime", (w, o, x) => At(w, o, "Converted_Date_Time", ZohoOrg.IsConverted(x.Lead) ? x.Lead.UpdateTime : null)),
        F<(SbLead Lead, int Index)>("Converted_Deal", "Converted Deal", "lookup", (w, o, x) =>
        {
            var deal = o.ConvertedDeal(x.Lead);
            Lookup(w, "Converted_Deal", deal?.Title, deal is null ? null : o.DealId(deal));
        }),
        F<(SbLead Lead, int Index)>("Created_By", "Created By", "ownerlookup", (w, o, x) => Owner(w, o, "Created_By", x.Lead.CreatorId)),
        F<(SbLead Lead, int Index)>("Modified_By", "Modified By", "ownerlookup", (w, o, x) => Owner(w, o, "Modified_By", x.Lead.OwnerId)),
        F<(SbLead Lead, int Index)>("Created_Time", "Created Time", "datetime", (w, o, x) => At(w, o, "Created_Time", x.Lead.AddTime)),
        F<(SbLead Lead, int Index)>("Modified_Time", "Modified Time", "datetime", (w, o, x) => At(w, o, "Modified_Time", x.Lead.UpdateTime)),
    ];

    // ---- contacts and accounts ---------------------------------------------------------------------

    /// <summary>A Zoho contact has two e-mail fields (the person's first two) and two phone fields: Mobile the mobile number, Phone the first other.</summary>
    public static IReadOnlyList<ZohoField<SbPerson>> Contacts() =>
    [
        F<SbPerson>("Owner", "Contact Owner", "ownerlookup", (w, o, p) => Owner(w, o, "Owner", p.OwnerId)),
        F<SbPerson>("First_Name", "First Name", "text", (w, o, p) => w.WriteString("First_Name", p.FirstName)),
        F<SbPerson>("Last_Name", "Last Name", "text", (w, o, p) => w.WriteString("Last_Name", p.LastName)),
        F<SbPerson>("Full_Name", "Contact Name", "text", (w, o, p) => w.WriteString("Full_Name", p.Name)),
        F<SbPerson>("Email", "Email", "email", (w, o, p) => Str(w, "Email", p.Emails.ElementAtOrDefault(0)?.Value)),
        F<SbPerson>("Secondary_Email", "Secondary Email", "email", (w, o, p) => Str(w, "Secondary_Email", p.Emails.ElementAtOrDefault(1)?.Value)),
        F<SbPerson>("Phone", "Phone", "phone", (w, o, p) => Str(w, "Phone", p.Phones.FirstOrDefault(x => x.Label != "mobile")?.Value)),
        F<SbPerson>("Mobile", "Mobile", "phone", (w, o, p) => Str(w, "Mobile", p.Phones.FirstOrDefault(x => x.Label == "mobile")?.Value)),
        F<SbPerson>("Account_Name", "Account Name", "lookup", (w, o, p) => Lookup(w, "Account_Name", p.OrgId is { } a ? AccountName(o, a) : null, p.OrgId is { } x ? o.Id(ZohoOrg.Entity.Account, x) : null)),
        F<SbPerson>("Created_By", "Created By", "ownerlookup", (w, o, p) => Owner(w, o, "Created_By", p.OwnerId)),
        F<SbPerson>("Modified_By", "Modified By", "ownerlookup", (w, o, p) => Owner(w, o, "Modified_By", p.OwnerId)),
        F<SbPerson>("Created_Time", "Created Time", "datetime", (w, o, p) => At(w, o, "Created_Time", p.AddTime)),
        F<SbPerson>("Modified_Time", "Modified Time", "datetime", (w, o, p) => At(w, o, "Modified_Time", p.UpdateTime)),
    ];

    public static IReadOnlyList<ZohoField<SbOrganization>> Accounts() =>
    [
        F<SbOrganization>("Owner", "Account Owner", "ownerlookup", (w, o, a) => Owner(w, o, "Owner", a.OwnerId)),
        F<SbOrganization>("Account_Name", "Account Name", "text", (w, o, a) => w.WriteString("Account_Name", AccountName(o, a.Id))),
        F<SbOrganization>("Billing_Street", "Billing Street", "text", (w, o, a) => Str(w, "Billing_Street", a.Address)),
        F<SbOrganization>("Billing_Country", "Billing Country", "text", (w, o, a) => Str(w, "Billing_Country", a.Country)),
        F<SbOrganization>("Phone", "Phone", "phone", (w, o, a) => Str(w, "Phone", a.Phone)),
        F<SbOrganization>("Created_By", "Created By", "ownerlookup", (w, o, a) => Owner(w, o, "Created_By", a.OwnerId)),
        F<SbOrganization>("Modified_By", "Modified By", "ownerlookup", (w, o, a) => Owner(w, o, "Modified_By", a.OwnerId)),
        F<SbOrganization>("Created_Time", "Created Time", "datetime", (w, o, a) => At(w, o, "Created_Time", a.AddTime)),
        F<SbOrganization>("Modified_Time", "Modified Time", "datetime", (w, o, a) => At(w, o, "Modified_Time", a.UpdateTime)),
    ];

    // ---- activities ------------------------------------------------------------------------------

    private static DateTime DueAt(SbActivity a) => a.DueDate.ToDateTime(a.DueTime ?? new TimeOnly(12, 0), DateTimeKind.Utc);

    private static IEnumerable<ZohoField<SbActivity>> ActivityCommon() =>
    [
        F<SbActivity>("Owner", "Owner", "ownerlookup", (w, o, a) => Owner(w, o, "Owner", a.OwnerId)),
        F<SbActivity>("What_Id", "Related To", "lookup", (w, o, a) =>
        {
            var deal = a.DealId is { } id ? o.Data.FindDeal(id) : null;
            if (deal is null && o.TaskAccount(a) is { } account) Lookup(w, "What_Id", AccountName(o, account), o.AccountId(account));
            else Lookup(w, "What_Id", deal?.Title, deal is null ? null : o.DealId(deal));
        }),
        F<SbActivity>("$se_module", "Module", "text", (w, o, a) => Str(w, "$se_module", a.DealId is not null ? "Deals" : o.TaskAccount(a) is not null ? "Accounts" : null)),
        F<SbActivity>("Created_By", "Created By", "ownerlookup", (w, o, a) => Owner(w, o, "Created_By", a.CreatorUserId)),
        F<SbActivity>("Modified_By", "Modified By", "ownerlookup", (w, o, a) => Owner(w, o, "Modified_By", a.OwnerId)),
        F<SbActivity>("Created_Time", "Created Time", "datetime", (w, o, a) => At(w, o, "Created_Time", a.AddTime)),
        F<SbActivity>("Modified_Time", "Modified Time", "datetime", (w, o, a) => At(w, o, "Modified_Time", a.UpdateTime)),
        F<SbActivity>("Description", "Description", "textarea", (w, o, a) => w.WriteNull("Description")),
    ];

    public static IReadOnlyList<ZohoField<SbActivity>> Tasks() =>
    [
        F<SbActivity>("Subject", "Subject", "text", (w, o, a) => w.WriteString("Subject", a.Subject)),
        F<SbActivity>("Status", "Status", "picklist", (w, o, a) => w.WriteString("Status", a.Done ? "Completed" : "Not Started"), ["Not Started", "Deferred", "In Progress", "Completed", "Waiting for input"]),
        F<SbActivity>("Due_Date", "Due Date", "date", (w, o, a) => Date(w, "Due_Date", a.DueDate)),
        F<SbActivity>("Priority", "Priority", "picklist", (w, o, a) => w.WriteString("Priority", a.Priority switch { 0 => "Low", 1 => "Normal", _ => "High" }), ["Highest", "High", "Normal", "Low", "Lowest"]),
        F<SbActivity>("Closed_Time", "Closed Time", "datetime", (w, o, a) => At(w, o, "Closed_Time", a.Done ? a.MarkedAsDoneTime : null)),
        .. ActivityCommon(),
    ];

    public static IReadOnlyList<ZohoField<SbActivity>> Events() =>
    [
        F<SbActivity>("Event_Title", "Title", "text", (w, o, a) => w.WriteString("Event_Title", a.Subject)),
        F<SbActivity>("All_day", "All day", "boolean", (w, o, a) => w.WriteBoolean("All_day", a.DueTime is null)),
        F<SbActivity>("Start_DateTime", "From", "datetime", (w, o, a) => At(w, o, "Start_DateTime", DueAt(a))),
        F<SbActivity>("End_DateTime", "To", "datetime", (w, o, a) => At(w, o, "End_DateTime", DueAt(a) + (a.Duration ?? TimeSpan.FromHours(1)))),
        F<SbActivity>("Venue", "Venue", "text", (w, o, a) => w.WriteNull("Venue")),
        .. ActivityCommon(),
    ];

    public static IReadOnlyList<ZohoField<SbActivity>> Calls() =>
    [
        F<SbActivity>("Subject", "Subject", "text", (w, o, a) => w.WriteString("Subject", a.Subject)),
        F<SbActivity>("Call_Type", "Call Type", "picklist", (w, o, a) => w.WriteString("Call_Type", "Outbound"), ["Outbound", "Inbound", "Missed"]),
        F<SbActivity>("Call_Start_Time", "Call Start Time", "datetime", (w, o, a) => At(w, o, "Call_Start_Time", a.Done ? a.MarkedAsDoneTime : DueAt(a))),
        F<SbActivity>("Call_Duration", "Call Duration", "text", (w, o, a) => w.WriteString("Call_Duration", $"{(int)(a.Duration ?? TimeSpan.Zero).TotalMinutes:D2}:00")),
        F<SbActivity>("Call_Duration_in_seconds", "Call Duration (in seconds)", "integer", (w, o, a) => w.WriteNumber("Call_Duration_in_seconds", (int)(a.Duration ?? TimeSpan.Zero).TotalSeconds)),
        F<SbActivity>("Outbound_Call_Status", "Outbound Call Status", "picklist", (w, o, a) => w.WriteString("Outbound_Call_Status", a.Done ? "Completed" : "Scheduled"), ["Completed", "Scheduled", "Overdue", "Cancelled"]),
        F<SbActivity>("Call_Purpose", "Call Purpose", "picklist", (w, o, a) => w.WriteNull("Call_Purpose")),
        .. ActivityCommon(),
    ];

    // ---- notes ---------------------------------------------------------------------------------------

    /// <summary>The fields of a note that <paramref name="names"/> asks for; Parent_Id as v8 answers it ({name, id, module: {api_name, id}}).</summary>
    public static void Note(Utf8JsonWriter w, ZohoOrg org, ZohoNote n, IReadOnlySet<string> names)
    {
        if (names.Contains("Note_Title")) Str(w, "Note_Title", n.Title);
        if (names.Contains("Note_Content")) w.WriteString("Note_Content", n.Content);
        if (names.Contains("Parent_Id"))
        {
            w.WriteStartObject("Parent_Id");
            w.WriteString("id", n.ParentId.ToString(Inv));
            w.WriteStartObject("module");
            w.WriteString("api_name", n.Module);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (names.Contains("Owner")) Owner(w, org, "Owner", n.OwnerId);
        if (names.Contains("Created_Time")) At(w, org, "Created_Time", n.Created);
        if (names.Contains("Modified_Time")) At(w, org, "Modified_Time", n.Created);
    }

    // ---- DealHistory (hidden module) ---------------------------------------------------------------

    public static IReadOnlyList<ZohoField<ZohoHistoryRow>> DealHistory() =>
    [
        F<ZohoHistoryRow>("Potential_Name", "Deal Name", "lookup", (w, o, r) => Lookup(w, "Potential_Name", r.Deal.Title, o.DealId(r.Deal))),
        F<ZohoHistoryRow>("Stage", "Stage", "picklist", (w, o, r) => w.WriteString("Stage", r.Stage)),
        F<ZohoHistoryRow>("Moved_To__s", "Moved To", "picklist", (w, o, r) => Str(w, "Moved_To__s", r.MovedTo)),
        F<ZohoHistoryRow>("Amount", "Amount", "currency", (w, o, r) => w.WriteNumber("Amount", r.Deal.Value)),
        F<ZohoHistoryRow>("Probability", "Probability (%)", "integer", (w, o, r) => w.WriteNumber("Probability", o.ProbabilityOf(r.Deal))),
        F<ZohoHistoryRow>("Expected_Revenue", "Expected Revenue", "currency", (w, o, r) => w.WriteNumber("Expected_Revenue", Math.Round(r.Deal.Value * o.ProbabilityOf(r.Deal) / 100m, 2))),
        F<ZohoHistoryRow>("Closing_Date", "Closing Date", "date", (w, o, r) => Date(w, "Closing_Date", r.Deal.ExpectedCloseDate)),
        F<ZohoHistoryRow>("Stage_Duration_Calendar_Days", "Stage Duration (Calendar Days)", "integer", (w, o, r) => Num(w, "Stage_Duration_Calendar_Days", r.LeftAt is { } left ? (int)(left - r.ModifiedTime).TotalDays : null)),
        F<ZohoHistoryRow>("Modified_By", "Modified By", "ownerlookup", (w, o, r) => Owner(w, o, "Modified_By", r.Deal.OwnerId)),
        F<ZohoHistoryRow>("Modified_Time", "Modified Time", "datetime", (w, o, r) => At(w, o, "Modified_Time", r.ModifiedTime)),
    ];
}
