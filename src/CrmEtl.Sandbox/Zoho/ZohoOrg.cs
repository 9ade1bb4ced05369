using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Zoho;

/// <summary>A stage a Zoho deal was in: its Stage picklist value, entered at <paramref name="At"/>.</summary>
public sealed record ZohoArrival(string Stage, DateTime At);

/// <summary>One row of a deal's stage history (the DealHistory module / Stage_History related list).</summary>
public sealed record ZohoHistoryRow(long Id, SbDeal Deal, string Stage, string? MovedTo, DateTime ModifiedTime, DateTime? LeftAt);

/// <summary>
/// One sandbox Zoho CRM organisation. Its sales data comes from the same seeded generator as the
/// Pipedrive sandbox (so equivalent accounts can be compared), presented the way Zoho models it:
/// 19-digit ids, one Stage picklist shared by the pipelines, won and lost as the stages Closed Won
/// and Closed Lost, tasks, events and calls as separate modules, leads with a Lead_Status.
/// It also keeps the org's OAuth state, API credits and concurrency.
/// </summary>
public sealed class ZohoOrg
{
    public const string ClosedWon = "Closed Won";
    public const string ClosedLost = "Closed Lost";
    public static readonly IReadOnlyList<string> LeadStatuses = ["Not Contacted", "Attempted to Contact", "Contact in Future", "Contacted", "Pre-Qualified", "Not Qualified", "Lost Lead", "Junk Lead"];

    private readonly long _prefix;
    private readonly Lock _auth = new();
    private readonly Queue<DateTime> _minted = new();
    private readonly Dictionary<string, DateTime> _accessTokens = new(StringComparer.Ordinal);
    private readonly List<string> _mintedTokens = [];
    private readonly Queue<DateTime> _credits = new();
    private int _active;
    private ZohoHistoryRow[]? _historyByTime;
    private (SbLead Lead, int Index)[]? _leadsByModified;
    private List<string>? _stageValues;

    internal ZohoOrg(ZohoOrgOptions options, PipedriveCompany data)
    {
        Options = options;
        Data = data;
        _prefix = 3_652_397 + options.Seed % 1000 * 1000;
        TimeZone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        DailyCredits = options.DailyCredits;
    }

    public ZohoOrgOptions Options { get; }
    /// <summary>The generated account behind the org (shared model with the Pipedrive sandbox).</summary>
    public PipedriveCompany Data { get; }
    public TimeZoneInfo TimeZone { get; }
    public long DailyCredits { get; set; }
    public bool RefreshTokenRevoked { get; private set; }
    public IReadOnlyList<string> Scopes { get; set; } = ZohoScopes.All;
    internal object Sync => Data.Sync;

    // ---- ids: org prefix, entity, sequence; 19 digits like Zoho's ---------------------------

    internal enum Entity { User = 1, Pipeline = 2, StageValue = 3, Layout = 4, Deal = 5, Activity = 6, Lead = 7, History = 8, Account = 9, Contact = 10, Field = 11, Currency = 12, Forecast = 13, Note = 14 }

    internal long Id(Entity entity, long n) => _prefix * 1_000_000_000_000 + (long)entity * 1_000_000_000 + n;

    /// <summary>The sequence number of a Zoho id of the given entity, or null when it is not one.</summary>
    internal long? Sequence(Entity entity, long id)
    {
        var n = id - Id(entity, 0);
        return n is > 0 and < 1_000_000_000 ? n : null;
    }

    /// <summary>The org id (zgid) Zoho shows in its page URLs: https://crm.zoho.eu/crm/org{zgid}/tab/Contacts/{id}.</summary>
    public string OrgId => (_prefix * 10 + 7).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public long DealId(SbDeal d) => Id(Entity.Deal, d.Id);
    public long ActivityId(SbActivity a) => Id(Entity.Activity, a.Id);
    public long ContactId(SbPerson p) => Id(Entity.Contact, p.Id);
    public long AccountId(long organizationId) => Id(Entity.Account, organizationId);
    public long UserId(long sbUserId) => Id(Entity.User, sbUserId - 999);
    public long PipelineId(SbPipeline p) => Id(Entity.Pipeline, p.Id);
    public long LayoutId => Id(Entity.Layout, 1);
    public long LeadId(int index) => Id(Entity.Lead, index + 1);
    public long StageValueId(string stage) => Id(Entity.StageValue, StageValues().IndexOf(stage) + 1);
    internal SbUser User(long sbUserId) => Data.Users.Find(u => u.Id == sbUserId) ?? Data.Users[0];

    // ---- stages ---------------------------------------------------------------------------

    /// <summary>The Deals Stage picklist: every stage name of every pipeline, then Closed Won and Closed Lost.</summary>
    public List<string> StageValues() =>
        _stageValues ??= Data.Pipelines.SelectMany(p => Data.StagesOf(p.Id)).Select(s => s.Name).Distinct(StringComparer.Ordinal)
            .Append(ClosedWon).Append(ClosedLost).ToList();

    /// <summary>A pipeline's stages in order: its own, then Closed Won and Closed Lost.</summary>
    public IReadOnlyList<(string Stage, int Probability, string ForecastType)> PipelineStages(SbPipeline p) =>
        Data.StagesOf(p.Id).Select(s => (s.Name, s.DealProbability, "Open"))
            .Append((ClosedWon, 100, "Closed Won")).Append((ClosedLost, 0, "Closed Lost")).ToList();

    public string StageOf(SbDeal d) => d.Status switch
    {
        "won" => ClosedWon,
        "lost" => ClosedLost,
        _ => Data.Stages.Find(s => s.Id == d.StageId)?.Name ?? "",
    };

    public int ProbabilityOf(SbDeal d) => d.Status switch
    {
        "won" => 100,
        "lost" => 0,
        _ => d.Probability ?? Data.Stages.Find(s => s.Id == d.StageId)?.DealProbability ?? 0,
    };

    /// <summary>The stages a deal was in, oldest first: its creation stage, each move, and closing as Closed Won / Closed Lost.</summary>
    public List<ZohoArrival> Arrivals(SbDeal d)
    {
        string Name(string? stageId) => Data.Stages.Find(s => s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == stageId)?.Name ?? "";
        var firstMove = d.Changes.Find(c => c.FieldKey == "stage_id");
        var arrivals = new List<ZohoArrival> { new(firstMove is null ? Data.Stages.Find(s => s.Id == d.StageId)?.Name ?? "" : Name(firstMove.OldValue), d.AddTime) };
        var open = true;
        foreach (var c in d.Changes)
        {
            if (c.FieldKey == "stage_id" && open) arrivals.Add(new ZohoArrival(Name(c.NewValue), c.Time));
            else if (c.FieldKey == "status")
            {
                open = c.NewValue == "open";
                arrivals.Add(new ZohoArrival(c.NewValue switch { "won" => ClosedWon, "lost" => ClosedLost, _ => Data.Stages.Find(s => s.Id == d.StageId)?.Name ?? "" }, c.Time));
            }
        }
        return arrivals;
    }

    /// <summary>When the deal entered its current stage.</summary>
    public DateTime StageModifiedTime(SbDeal d) => Arrivals(d)[^1].At;

    internal IEnumerable<ZohoHistoryRow> HistoryOf(SbDeal d)
    {
        var arrivals = Arrivals(d);
        for (var i = 0; i < arrivals.Count; i++)
        {
            var next = i + 1 < arrivals.Count ? arrivals[i + 1] : null;
            yield return new ZohoHistoryRow(Id(Entity.History, d.Id * 100 + Math.Min(i, 99)), d, arrivals[i].Stage, next?.Stage, arrivals[i].At, next?.At);
        }
    }

    /// <summary>Every stage-history row of the live deals, by time then id (rebuilt after a change).</summary>
    internal ZohoHistoryRow[] HistoryByTime() =>
        _historyByTime ??= Data.Deals.Where(d => !d.IsDeleted).SelectMany(HistoryOf).OrderBy(r => r.ModifiedTime).ThenBy(r => r.Id).ToArray();

    // ---- written through the API only: notes, and tasks related to an account ------------------

    /// <summary>Notes added through POST /Notes, oldest first (the generated org has none).</summary>
    public List<ZohoNote> Notes { get; } = [];

    private readonly Dictionary<long, long> _taskAccounts = [];

    /// <summary>The account (organization id) a task written with What_Id and $se_module Accounts is related to.</summary>
    public long? TaskAccount(SbActivity a) => _taskAccounts.TryGetValue(a.Id, out var account) ? account : null;

    internal void RelateTaskToAccount(SbActivity a, long? organizationId)
    {
        if (organizationId is { } account) _taskAccounts[a.Id] = account;
        else _taskAccounts.Remove(a.Id);
    }

    internal void Invalidate() { _historyByTime = null; _leadsByModified = null; Data.Invalidate(); }

    /// <summary>
    /// Leads as Zoho sorts them by Modified_Time: by time, then by Zoho id (a lead's index here). Page tokens
    /// point into this order, so records that share a second must not be ordered by anything else.
    /// </summary>
    internal (SbLead Lead, int Index)[] LeadsByModified() =>
        _leadsByModified ??= [.. Data.Leads.Select((l, i) => (l, i)).OrderBy(x => x.l.UpdateTime).ThenBy(x => x.i)];

    /// <summary>Which module an activity of the generated account lives in: calls, events (meetings, lunches) or tasks.</summary>
    public static string ModuleOf(SbActivity a) => a.Type switch { "call" => "Calls", "meeting" or "lunch" => "Events", _ => "Tasks" };

    // ---- leads ------------------------------------------------------------------------------

    public static string LeadStatus(SbLead l) => l.IsArchived ? "Junk Lead" : LeadStatuses[Hash(l.Id) % (LeadStatuses.Count - 1)];

    /// <summary>About one lead in eight was converted into a deal; converted leads are left out of the default list.</summary>
    public static bool IsConverted(SbLead l) => !l.IsArchived && Hash(l.Id) % 8 == 3;

    public SbDeal? ConvertedDeal(SbLead l) =>
        IsConverted(l) ? Data.Deals.Find(d => d.AddTime >= l.AddTime && !d.IsDeleted) : null;

    private static int Hash(string s)
    {
        var h = 17;
        foreach (var ch in s) h = unchecked(h * 31 + ch);
        return h & int.MaxValue;
    }

    // ---- OAuth ------------------------------------------------------------------------------

    public enum MintResult { Minted, InvalidCode, TooMany }

    internal (MintResult Result, string? Token) Mint(DateTime now)
    {
        lock (_auth)
        {
            if (RefreshTokenRevoked) return (MintResult.InvalidCode, null);
            while (_minted.Count > 0 && _minted.Peek() <= now.AddMinutes(-10)) _minted.Dequeue();
            if (_minted.Count >= Options.TokensPerTenMinutes) return (MintResult.TooMany, null);
            _minted.Enqueue(now);
            var token = "1000." + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) + "." + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            _accessTokens[token] = now + Options.AccessTokenLifetime;
            _mintedTokens.Add(token);
            TokensMinted++;
            return (MintResult.Minted, token);
        }
    }

    internal bool Accepts(string accessToken, DateTime now)
    {
        lock (_auth) return _accessTokens.TryGetValue(accessToken, out var expires) && expires > now;
    }

    /// <summary>Access tokens minted so far (Zoho allows 10 per refresh token per 10 minutes).</summary>
    public int TokensMinted { get; private set; }

    /// <summary>Every access token minted so far, expired or not (tests look for them where secrets must not be).</summary>
    public IReadOnlyList<string> MintedAccessTokens { get { lock (_auth) return [.. _mintedTokens]; } }

    /// <summary>As if the admin revoked the connection: the refresh token now gets invalid_code.</summary>
    public void RevokeRefreshToken() { lock (_auth) { RefreshTokenRevoked = true; _accessTokens.Clear(); } }

    public void RestoreRefreshToken() { lock (_auth) RefreshTokenRevoked = false; }

    /// <summary>Every access token issued so far stops working, as after its hour is up.</summary>
    public void ExpireAccessTokens() { lock (_auth) _accessTokens.Clear(); }

    // ---- credits and concurrency --------------------------------------------------------------

    /// <summary>Charges one API credit in the rolling 24 hours, or says there is none left.</summary>
    internal bool Charge(DateTime now)
    {
        lock (_auth)
        {
            while (_credits.Count > 0 && _credits.Peek() <= now.AddHours(-24)) _credits.Dequeue();
            if (_credits.Count >= DailyCredits) return false;
            _credits.Enqueue(now);
            return true;
        }
    }

    public long CreditsUsed { get { lock (_auth) return _credits.Count; } }

    /// <summary>Spends the rest of the credits, as if other integrations had used them.</summary>
    public void ExhaustCredits(DateTime now) { lock (_auth) while (_credits.Count < DailyCredits) _credits.Enqueue(now); }

    public void ResetCredits() { lock (_auth) _credits.Clear(); }

    internal bool Enter()
    {
        if (Interlocked.Increment(ref _active) <= Options.Concurrency) return true;
        Interlocked.Decrement(ref _active);
        return false;
    }

    internal void Leave() => Interlocked.Decrement(ref _active);
}

/// <summary>A note on a record (<paramref name="Module"/>: Deals, Contacts or Accounts; <paramref name="ParentId"/> its Zoho id).</summary>
public sealed record ZohoNote(long Id, string Module, long ParentId, string? Title, string Content, long OwnerId, DateTime Created);
