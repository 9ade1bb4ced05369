using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// One sandbox Kommo account. Its sales data comes from the same seeded generator as the Pipedrive and Zoho sandboxes,
/// presented the way Kommo models it: integer ids of its own, deals as leads whose status is one of their pipeline's
/// (the incoming Unsorted, the pipeline's stages, 142 won, 143 lost), a trash for deleted leads, activities as tasks,
/// logged calls as notes, e-mails and phones as custom field values, and an events feed that agrees with all of it.
/// It also keeps the account's integration (OAuth) state and whether it is paid up.
/// </summary>
public sealed class KommoAccount
{
    public const long Won = 142, Lost = 143;
    private const long LeadBase = 20_000_000;
    private static readonly string[] TagNames = ["Hot", "VIP", "Partner", "Follow-up"];

    private readonly long _shard;
    private KommoViews? _views;

    internal KommoAccount(KommoAccountOptions options, PipedriveCompany data, DateTime start)
    {
        Options = options;
        Data = data;
        _shard = options.Seed % 50 * 1_000_000L;
        AccountId = 29_000_000 + options.Seed % 1000 * 997;
        TimeZone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        Created = start.AddDays(-options.HistoryDays - 60);
        Auth = new KommoAuth(this, start);
        LeadFields = [.. data.DealFields.Where(f => f.IsCustom).Select((f, i) => LeadField(f, i))];
        ContactFields = [Phone(), Email(), new KommoField(FieldId(3), "Position", "text", "POSITION", 3, "contacts", true, null)];
        CompanyFields = [Phone(), Email(), new KommoField(FieldId(5), "Web", "url", "WEB", 5, "companies", true, null),
            new KommoField(FieldId(6), "Address", "textarea", "ADDRESS", 6, "companies", true, null)];
        LossReasons = [.. PipedriveGenerator.LostReasons.Select((name, i) => new KommoLossReason(4_203_700 + _shard + i, name, (i + 1) * 100_000, Created))];
    }

    public KommoAccountOptions Options { get; }
    /// <summary>The generated account behind this one (the model shared with the Pipedrive and Zoho sandboxes).</summary>
    public PipedriveCompany Data { get; }
    public long AccountId { get; }
    public TimeZoneInfo TimeZone { get; }
    public DateTime Created { get; }
    /// <summary>Where this account answers, e.g. http://127.0.0.1:5123 (stands for https://{subdomain}.kommo.com).</summary>
    public string BaseUrl { get; internal set; } = "";
    /// <summary>Switched on, every API request is answered 402: the account's subscription has ended.</summary>
    public bool Unpaid { get; set; }
    internal KommoAuth Auth { get; }
    /// <summary>What the API's writes keep beside the generated model (KommoWrites).</summary>
    internal KommoWritten Written { get; } = new();

    /// <summary>
    /// Whether duplicate control is switched on for the integration (duplication-control.md): then POST
    /// /api/v4/leads/complex merges an embedded contact into an existing one with the same e-mail or phone.
    /// </summary>
    public bool DuplicateControl
    {
        get { lock (Sync) return Written.DuplicateControl; }
        set { lock (Sync) Written.DuplicateControl = value; }
    }

    /// <summary>The long-lived token the options asked for (<see cref="KommoAccountOptions.LongLivedTokenLifetime"/>), or null.</summary>
    public string? LongLivedToken => Auth.LongLivedToken;
    /// <summary>Refresh tokens exchanged for a new pair.</summary>
    public int RefreshesMade => Auth.RefreshesMade;
    /// <summary>Refresh tokens sent again after they were spent (refused): a client that does this has lost its newest pair.</summary>
    public int SpentRefreshTokenReuses => Auth.SpentRefreshReuses;
    public int AuthorizationCodesExchanged => Auth.CodesExchanged;
    public int AccessTokensIssued => Auth.AccessTokensIssued;
    internal object Sync => Data.Sync;

    public IReadOnlyList<KommoField> LeadFields { get; }
    public IReadOnlyList<KommoField> ContactFields { get; }
    public IReadOnlyList<KommoField> CompanyFields { get; }
    public IReadOnlyList<KommoLossReason> LossReasons { get; }

    /// <summary>Task types: the two predefined (1 follow-up, 2 meeting) and the account's own.</summary>
    public IReadOnlyList<KommoTaskType> TaskTypes { get; } =
        [new(1, "Follow-up", "FOLLOW_UP"), new(2, "Meeting", "MEETING"), new(2_905_001, "E-mail", null), new(2_905_002, "Deadline", null), new(2_905_003, "Lunch", null)];

    // ---- ids: integers of Kommo's sizes, apart per seed so that one account's ids mean nothing in another ----------

    public long UserId(long generatedUserId) => 6_000_000 + _shard + generatedUserId;
    public long PipelineId(long generatedPipelineId) => 3_177_000 + _shard + generatedPipelineId;
    public long StatusId(long generatedStageId) => 32_392_000 + _shard + generatedStageId;
    public long UnsortedStatusId(long generatedPipelineId) => 32_391_000 + _shard + generatedPipelineId;
    public long LeadId(SbDeal deal) => LeadBase + _shard + deal.Id;
    public long ContactId(long personId) => 40_000_000 + _shard + personId;
    public long CompanyId(long organizationId) => 41_000_000 + _shard + organizationId;
    public long TaskId(SbActivity activity) => 7_000_000 + _shard + activity.Id;
    internal long CreationNoteId(SbDeal deal) => 42_000_000 + _shard + deal.Id;
    internal long CallNoteId(SbActivity activity) => 43_000_000 + _shard + activity.Id;
    internal long FieldId(int n) => 1_211_000 + _shard / 1000 + n;
    internal long EnumId(int n) => 2_351_000 + _shard / 1000 + n;
    internal long WrittenNoteId(int n) => 44_000_000 + _shard + n;
    public static long TagId(long labelId) => 100_660 + labelId;
    public static long LabelId(long tagId) => tagId - 100_660;

    /// <summary>A tag's name: one created through the API by its name, else one of the generated tags' names.</summary>
    public string TagName(long labelId) =>
        Written.TagNames.TryGetValue(labelId, out var name) ? name : TagNames[(int)((labelId - 1) % TagNames.Length + TagNames.Length) % TagNames.Length];

    /// <summary>A lead's price as the API lists it: its value in the account's currency, whole.</summary>
    public long PriceOf(SbDeal deal) => KommoJson.Price(this, deal);

    public static long TaskTypeId(string activityType) => activityType switch
    {
        "meeting" => 2, "email" => 2_905_001, "deadline" => 2_905_002, "lunch" => 2_905_003, _ => 1,
    };

    // The stage colours of leads_pipelines.md, 'Доступные цвета статусов'.
    private static readonly string[] Colors = ["#99ccff", "#ffcc66", "#fffeb2", "#ffdc7f", "#deff81", "#87f2c0", "#f3beff", "#ff8f92", "#c1e0ff", "#ebffb1"];

    /// <summary>A pipeline's statuses in order: Unsorted (incoming), its stages, 142 won and 143 lost.</summary>
    public IReadOnlyList<KommoStatus> StatusesOf(SbPipeline pipeline)
    {
        var id = PipelineId(pipeline.Id);
        return
        [
            new KommoStatus(UnsortedStatusId(pipeline.Id), "Incoming leads", 10, false, id, "#c1c1c1", 1),
            .. Data.StagesOf(pipeline.Id).Select((s, i) => new KommoStatus(StatusId(s.Id), s.Name, (i + 2) * 10, true, id, Colors[i % Colors.Length], 0)),
            new KommoStatus(Won, "Closed - won", 10_000, false, id, "#CCFF66", 0),
            new KommoStatus(Lost, "Closed - lost", 11_000, false, id, "#D5D8DB", 0),
        ];
    }

    public long? LossReasonId(string? reason) => LossReasons.FirstOrDefault(r => r.Name == reason)?.Id;

    /// <summary>Leads that came in through a form, a chat or an integration start in the pipeline's incoming status, Unsorted.</summary>
    public bool StartsInUnsorted(SbDeal deal) => Options.IncomingInUnsorted && (deal.Origin == "API" || deal.Channel is not null);

    /// <summary>The generated deal behind a lead id, or null.</summary>
    public SbDeal? FindDeal(long leadId) => Data.FindDeal(leadId - LeadBase - _shard);

    /// <summary>The live (not deleted) person behind a contact id, or null.</summary>
    internal SbPerson? FindContact(long contactId) => Data.Persons.Find(p => !p.IsDeleted && ContactId(p.Id) == contactId);

    /// <summary>The live (not deleted) organization behind a company id, or null.</summary>
    /// <summary>The e-mail a generated company has in its EMAIL field (until one is written).</summary>
    public static string CompanyEmail(SbOrganization organization) => $"info@{Slug(organization)}.example";

    /// <summary>A company's name in lower-case letters and digits, for its generated e-mail and web site.</summary>
    internal static string Slug(SbOrganization organization) => new(organization.Name.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray());

    internal SbOrganization? FindCompany(long companyId) => Data.Organizations.Find(o => !o.IsDeleted && CompanyId(o.Id) == companyId);

    // ---- views: rebuilt after a change ----------------------------------------------------------------------------

    internal KommoViews Views => _views ??= new KommoViews(this);

    /// <summary>Every lead, deleted ones too, by id.</summary>
    public IReadOnlyList<KommoLead> Leads() { lock (Sync) return Views.Leads; }

    /// <summary>The events feed, newest first.</summary>
    public IReadOnlyList<KommoEvent> Events() { lock (Sync) return Views.Events; }

    public IReadOnlyList<KommoTask> Tasks() { lock (Sync) return Views.Tasks; }

    public IReadOnlyList<KommoNote> Notes() { lock (Sync) return Views.Notes; }

    /// <summary>The contacts listed (not deleted), those written through the API too; ids by <see cref="ContactId"/>.</summary>
    public IReadOnlyList<SbPerson> Contacts() { lock (Sync) return [.. Data.Persons.Where(p => !p.IsDeleted)]; }

    /// <summary>The companies listed (not deleted), those written through the API too; ids by <see cref="CompanyId"/>.</summary>
    public IReadOnlyList<SbOrganization> Companies() { lock (Sync) return [.. Data.Organizations.Where(o => !o.IsDeleted)]; }

    internal void Invalidate()
    {
        _views = null;
        Data.Invalidate();
    }

    // ---- custom fields ----------------------------------------------------------------------------------------------

    private KommoField LeadField(SbDealField field, int index) => field.FieldType switch
    {
        "enum" => new KommoField(FieldId(100 + index), field.Name, "select", null, 500 + index, "leads", false,
            [.. field.Options!.Select((o, i) => new KommoEnum(EnumId(100 + (int)o.Id), o.Label, (i + 1) * 10, null))], DealFieldKey: field.Key),
        "monetary" => new KommoField(FieldId(100 + index), field.Name, "monetary", null, 500 + index, "leads", false, null, Options.Currency, field.Key),
        "double" => new KommoField(FieldId(100 + index), field.Name, "numeric", null, 500 + index, "leads", false, null, DealFieldKey: field.Key),
        _ => new KommoField(FieldId(100 + index), field.Name, "text", null, 500 + index, "leads", false, null, DealFieldKey: field.Key),
    };

    private KommoField Phone() => new(FieldId(1), "Phone", "multitext", "PHONE", 1, "contacts", true,
        [.. ((string[])["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]).Select((code, i) => new KommoEnum(EnumId(1 + i), code, (i + 1) * 2, code))]);

    private KommoField Email() => new(FieldId(2), "Email", "multitext", "EMAIL", 2, "contacts", true,
        [.. ((string[])["WORK", "PRIV", "OTHER"]).Select((code, i) => new KommoEnum(EnumId(10 + i), code, (i + 1) * 2, code))]);

    /// <summary>The enum code a generated e-mail or phone label shows as: e-mails WORK, PRIV, OTHER; phones WORK, MOB, HOME, OTHER.</summary>
    internal static string EnumCode(string label, bool email) => (label, email) switch
    {
        ("work", _) => "WORK",
        ("home", true) => "PRIV",
        ("home", false) => "HOME",
        ("mobile", false) => "MOB",
        ("workdd", false) => "WORKDD",
        ("fax", false) => "FAX",
        _ => "OTHER",
    };

    /// <summary>The label an e-mail or phone written with an enum code is kept under: the inverse of <see cref="EnumCode"/>.</summary>
    internal static string Label(string enumCode) => enumCode switch
    {
        "WORK" => "work",
        "PRIV" or "HOME" => "home",
        "MOB" => "mobile",
        "WORKDD" => "workdd",
        "FAX" => "fax",
        _ => "other",
    };
}
