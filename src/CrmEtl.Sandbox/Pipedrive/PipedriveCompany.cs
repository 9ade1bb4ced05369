namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>
/// One sandbox Pipedrive account: its data, its token budget and burst window. Readers and the
/// mutator share one lock; lists sorted by update time are rebuilt lazily after a change.
/// </summary>
public sealed class PipedriveCompany
{
    private long _nextDealId = 1, _nextActivityId = 1;
    private SbDeal[]? _dealsByUpdate;
    private SbActivity[]? _activitiesByUpdate;
    private SbLead[]? _leadsByUpdate;
    private SbPerson[]? _personsByUpdate;
    private SbOrganization[]? _organizationsByUpdate;
    private Dictionary<long, string>? _organizationNames;
    private DateTime _purgedAt = DateTime.MinValue;

    internal PipedriveCompany(PipedriveCompanyOptions options)
    {
        Options = options;
        Budget = new TokenBudget(options.DailyTokenBudget, options.BurstLimit);
    }

    public PipedriveCompanyOptions Options { get; }
    public string ApiToken => Options.ApiToken;
    public TokenBudget Budget { get; }
    internal object Sync { get; } = new();

    /// <summary>Webhook subscriptions (POST /v1/webhooks); at most 40 per user.</summary>
    public List<SbWebhook> Webhooks { get; } = [];
    /// <summary>What the webhook sender last sent of each deal, and the update time it looked from.</summary>
    internal Dictionary<long, System.Text.Json.Nodes.JsonObject> WebhookSeen { get; } = [];
    internal DateTime WebhookWatermark { get; set; } = DateTime.MinValue;

    public List<SbPipeline> Pipelines { get; } = [];
    public List<SbStage> Stages { get; } = [];
    public List<SbUser> Users { get; } = [];
    public List<SbCurrency> Currencies { get; } = [];
    public List<SbActivityType> ActivityTypes { get; } = [];
    public List<SbDealField> DealFields { get; } = [];
    /// <summary>Every deal the account still knows, by id: open, won, lost, archived, and deleted within 30 days.</summary>
    public List<SbDeal> Deals { get; } = [];
    /// <summary>Every activity ever created, by id; deleted ones are flagged and no longer listed.</summary>
    public List<SbActivity> Activities { get; } = [];
    public List<SbLead> Leads { get; } = [];
    /// <summary>Every person ever added, by id; deleted ones are flagged and no longer listed.</summary>
    public List<SbPerson> Persons { get; } = [];
    public List<SbOrganization> Organizations { get; } = [];
    /// <summary>Notes written through the API (the generator makes none), by id.</summary>
    public List<SbNote> Notes { get; } = [];

    internal long NextDealId() => _nextDealId++;
    /// <summary>People keep the ids the generator gave; new ones come after the highest.</summary>
    internal long NextPersonId() => Persons.Count == 0 ? 5000 : Persons.Max(p => p.Id) + 1;
    internal long NextActivityId() => _nextActivityId++;
    /// <summary>Organizations keep the ids the generator gave; new ones come after the highest.</summary>
    internal long NextNoteId() => Notes.Count == 0 ? 1 : Notes[^1].Id + 1;
    internal long NextOrganizationId() => Organizations.Count == 0 ? 9000 : Organizations.Max(o => o.Id) + 1;
    internal SbPerson? FindPerson(long id) => Persons.Find(p => p.Id == id && !p.IsDeleted);
    internal SbOrganization? FindOrganization(long id) => Organizations.Find(o => o.Id == id && !o.IsDeleted);

    internal void AddDeal(SbDeal deal) { Deals.Add(deal); Invalidate(); }
    internal void AddActivity(SbActivity activity) { Activities.Add(activity); Invalidate(); }
    internal void AddLead(SbLead lead) { Leads.Add(lead); Invalidate(); }

    internal void Invalidate()
    {
        _dealsByUpdate = null;
        _activitiesByUpdate = null;
        _leadsByUpdate = null;
        _personsByUpdate = null;
        _organizationsByUpdate = null;
        _organizationNames = null;
    }

    internal string? OrganizationName(long id) =>
        (_organizationNames ??= Organizations.ToDictionary(o => o.Id, o => o.Name)).GetValueOrDefault(id);

    internal IReadOnlyList<SbStage> StagesOf(long pipelineId) =>
        Stages.Where(s => s.PipelineId == pipelineId).OrderBy(s => s.OrderNr).ToList();

    /// <summary>A deal by id: <see cref="Deals"/> is in id order (purged ids leave gaps), so a binary search finds it.</summary>
    internal SbDeal? FindDeal(long id)
    {
        int low = 0, high = Deals.Count - 1;
        while (low <= high)
        {
            var mid = low + (high - low) / 2;
            var at = Deals[mid].Id;
            if (at == id) return Deals[mid];
            if (at < id) low = mid + 1;
            else high = mid - 1;
        }
        return null;
    }

    internal SbDeal[] DealsByUpdate() =>
        _dealsByUpdate ??= Deals.OrderBy(d => d.UpdateTime).ThenBy(d => d.Id).ToArray();

    internal SbActivity[] ActivitiesByUpdate() =>
        _activitiesByUpdate ??= Activities.OrderBy(a => a.UpdateTime).ThenBy(a => a.Id).ToArray();

    internal SbLead[] LeadsByUpdate() =>
        _leadsByUpdate ??= Leads.OrderBy(l => l.UpdateTime).ThenBy(l => l.Id, StringComparer.Ordinal).ToArray();

    internal SbPerson[] PersonsByUpdate() =>
        _personsByUpdate ??= Persons.OrderBy(p => p.UpdateTime).ThenBy(p => p.Id).ToArray();

    internal SbOrganization[] OrganizationsByUpdate() =>
        _organizationsByUpdate ??= Organizations.OrderBy(o => o.UpdateTime).ThenBy(o => o.Id).ToArray();

    /// <summary>
    /// Deals deleted more than 30 days ago are gone for good. Looked for at most once a minute of the
    /// sandbox's clock: a scan per request made serving a million-deal account quadratic.
    /// </summary>
    internal void Purge(DateTime now)
    {
        if (now >= _purgedAt && now - _purgedAt < TimeSpan.FromMinutes(1)) return;
        _purgedAt = now;
        var removed = Deals.RemoveAll(d => d.IsDeleted && d.DeleteTime < now.AddDays(-30));
        if (removed > 0) Invalidate();
    }
}
