using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>
/// Generates a realistic account from a seed: pipelines and stages, users in several time zones,
/// several currencies, deals that move forward, skip stages, move back, get won, lost, deleted or
/// archived, with a changelog that agrees with each deal's current stage; activities done and
/// planned (some all-day); leads; custom fields. The same seed and sizes give the same account.
/// </summary>
internal static class PipedriveGenerator
{
    private static readonly string[] PipelineNames = ["New business", "Partners", "Renewals", "Enterprise", "Public sector"];
    private static readonly string[][] StageNames =
    [
        ["Request", "Qualified", "Meeting", "Quote given", "Negotiation", "Contract sent"],
        ["Lead in", "Contact made", "Demo", "Proposal", "Negotiation"],
        ["Due", "Contacted", "Offer", "Negotiation"],
        ["Discovery", "Solution design", "Business case", "Proposal", "Legal", "Signature"],
        ["Tender found", "Tender preparation", "Submitted", "Evaluation"],
    ];
    private static readonly (string Name, string Zone)[] People =
    [
        ("Aino Virtanen", "Europe/Helsinki"), ("Erik Lindqvist", "Europe/Stockholm"), ("Mia Korhonen", "Europe/Helsinki"),
        ("Lars Andersson", "Europe/Stockholm"), ("Sarah Miller", "America/New_York"), ("Kenji Sato", "Asia/Tokyo"),
        ("Julia Becker", "Europe/Berlin"), ("Tom Evans", "Europe/London"), ("Priya Nair", "Asia/Kolkata"),
        ("Lucas Silva", "America/Sao_Paulo"), ("Emma Nielsen", "Europe/Copenhagen"), ("Olli Mäkinen", "Europe/Helsinki"),
    ];
    internal static readonly SbCurrency[] CurrencyList =
    [
        new(1, "EUR", "Euro", 2, "€"), new(2, "USD", "US Dollar", 2, "$"), new(3, "SEK", "Swedish Krona", 2, "kr"),
        new(4, "GBP", "Pound Sterling", 2, "£"), new(5, "JPY", "Japanese Yen", 0, "¥"),
    ];
    internal static readonly (string Key, string Name, string Icon)[] ActivityTypeList =
    [
        ("call", "Call", "call"), ("meeting", "Meeting", "meeting"), ("task", "Task", "task"),
        ("deadline", "Deadline", "deadline"), ("email", "Email", "email"), ("lunch", "Lunch", "lunch"),
    ];
    private static readonly string[] Companies = ["Nordic Steel", "Baltic Foods", "Helios Energy", "Polar Logistics", "Aurora Health", "Kivi Software", "Fjord Marine", "Sisu Retail", "Tundra Games", "Lumo Design"];
    private static readonly string[] Products = ["licence", "support plan", "pilot", "upgrade", "consulting", "renewal", "hardware"];
    private static readonly string[] LostReasons = ["Price too high", "Chose a competitor", "No budget", "No decision", "Timing"];
    private static readonly string[] LeadSources = ["Web forms", "Manually created", "Prospector", "Import", "Chatbot", "Live chat"];
    private static readonly string[] Segments = ["SMB", "Mid-market", "Enterprise"];

    public static PipedriveCompany Generate(PipedriveCompanyOptions options, DateTime now)
    {
        var random = new Random(options.Seed);
        var company = new PipedriveCompany(options);
        var start = now.AddDays(-options.HistoryDays);

        for (var i = 0; i < options.Users; i++)
        {
            var (name, zone) = People[i % People.Length];
            var suffix = i < People.Length ? "" : $" {i / People.Length + 1}";
            company.Users.Add(new SbUser(1000 + i, name + suffix, $"{name.Split(' ')[0].ToLowerInvariant()}{i}@{options.Name}.example", zone,
                i % 3 == 1 ? "SEK" : options.DefaultCurrency, Active: i % 11 != 10, Created: start.AddDays(-30)));
        }
        foreach (var c in CurrencyList) company.Currencies.Add(c);
        for (var i = 0; i < ActivityTypeList.Length; i++)
        {
            var (key, name, icon) = ActivityTypeList[i];
            company.ActivityTypes.Add(new SbActivityType(i + 1, name, key, icon, i + 1, start.AddDays(-60)));
        }

        long stageId = 1;
        for (var p = 0; p < options.Pipelines; p++)
        {
            var pipeline = new SbPipeline(p + 1, PipelineNames[p % PipelineNames.Length] + (p < PipelineNames.Length ? "" : $" {p + 1}"), p + 1, start.AddDays(-60), start.AddDays(-10));
            company.Pipelines.Add(pipeline);
            var names = StageNames[p % StageNames.Length];
            for (var s = 0; s < names.Length; s++)
                company.Stages.Add(new SbStage(stageId++, pipeline.Id, names[s], s + 1, (s + 1) * 100 / (names.Length + 1), s == 0 ? null : 30, start.AddDays(-60), start.AddDays(-10)));
        }

        AddDealFields(company, options);

        // Ids grow with creation time, as in the real service.
        foreach (var addTime in SortedTimes(random, options.Leads, start, now))
            company.AddLead(NewLead(company, random, addTime));
        foreach (var addTime in SortedTimes(random, options.Deals, start, now))
            company.AddDeal(NewDeal(company, random, addTime, now));
        foreach (var addTime in SortedTimes(random, options.Activities, start, now))
            company.AddActivity(NewActivity(company, random, addTime, now));
        return company;
    }

    private static void AddDealFields(PipedriveCompany company, PipedriveCompanyOptions options)
    {
        (string, string, string)[] standard =
        [
            ("title", "Title", "varchar"), ("value", "Value", "monetary"), ("currency", "Currency", "varchar_options"),
            ("pipeline_id", "Pipeline", "double"), ("stage_id", "Stage", "stage"), ("status", "Status", "status"),
            ("owner_id", "Owner", "user"), ("person_id", "Contact person", "people"), ("org_id", "Organization", "org"),
            ("add_time", "Deal created", "date"), ("update_time", "Update time", "date"), ("won_time", "Won time", "date"),
            ("lost_time", "Lost time", "date"), ("expected_close_date", "Expected close date", "date"),
            ("probability", "Probability", "double"), ("lost_reason", "Lost reason", "varchar"),
        ];
        foreach (var (key, name, type) in standard) company.DealFields.Add(new SbDealField(key, name, type, false, null));
        company.DealFields.Add(new SbDealField(FieldKey(options.Seed, "segment"), "Segment", "enum", true,
            Segments.Select((s, i) => ((long)(100 + i), s)).ToList()));
        company.DealFields.Add(new SbDealField(FieldKey(options.Seed, "setup_fee"), "Setup fee", "monetary", true, null));
        company.DealFields.Add(new SbDealField(FieldKey(options.Seed, "campaign"), "Campaign", "varchar", true, null));
        company.DealFields.Add(new SbDealField(FieldKey(options.Seed, "seats"), "Seats", "double", true, null));
    }

    /// <summary>Custom field keys are 40-character hex hashes, as in Pipedrive (not a security use).</summary>
    private static string FieldKey(int seed, string name) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{name}")))[..40];

    private static DateTime[] SortedTimes(Random random, int count, DateTime from, DateTime to)
    {
        var times = new DateTime[count];
        for (var i = 0; i < count; i++) times[i] = RandomTime(random, from, to);
        Array.Sort(times);
        return times;
    }

    internal static DateTime RandomTime(Random random, DateTime from, DateTime to) =>
        Truncate(from.AddSeconds(random.NextDouble() * (to - from).TotalSeconds));

    /// <summary>Pipedrive timestamps have no sub-second part.</summary>
    internal static DateTime Truncate(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    internal static SbDeal NewDeal(PipedriveCompany company, Random random, DateTime addTime, DateTime now)
    {
        var pipeline = company.Pipelines[Weighted(random, company.Pipelines.Count)];
        var stages = company.StagesOf(pipeline.Id);
        var owner = company.Users[random.Next(company.Users.Count)];
        var currency = random.NextDouble() < 0.7 ? company.Options.DefaultCurrency : CurrencyList[random.Next(CurrencyList.Length - 1)].Code;
        // Most deals start in the first stage; some are entered further down the funnel.
        var startIndex = random.NextDouble() < 0.85 ? 0 : random.Next(1, Math.Max(2, stages.Count / 2));
        var deal = new SbDeal
        {
            Id = company.NextDealId(),
            Title = $"{Companies[random.Next(Companies.Length)]} {Products[random.Next(Products.Length)]}",
            Value = Math.Round((decimal)(random.NextDouble() * random.NextDouble() * 50_000 + 500), 2),
            Currency = currency,
            PipelineId = pipeline.Id,
            StageId = stages[startIndex].Id,
            OwnerId = owner.Id,
            PersonId = random.NextDouble() < 0.8 ? 5000 + random.Next(4000) : null,
            OrgId = random.NextDouble() < 0.7 ? 9000 + random.Next(800) : null,
            AddTime = addTime,
            UpdateTime = addTime,
            ExpectedCloseDate = DateOnly.FromDateTime(addTime.AddDays(random.Next(14, 120))),
            Probability = random.NextDouble() < 0.3 ? random.Next(1, 10) * 10 : null,
            Origin = random.NextDouble() < 0.2 ? "API" : "ManuallyCreated",
            Channel = random.NextDouble() < 0.3 ? random.Next(1, 5) : null,
            LabelIds = random.NextDouble() < 0.3 ? [random.Next(1, 5)] : [],
        };
        foreach (var field in company.DealFields.Where(f => f.IsCustom))
        {
            if (random.NextDouble() < 0.3) continue; // unset custom fields are null
            deal.CustomFields[field.Key] = field.FieldType switch
            {
                "enum" => field.Options![random.Next(field.Options.Count)].Id,
                "monetary" => (Math.Round((decimal)random.NextDouble() * 2000, 2), currency),
                "double" => (double)random.Next(1, 500),
                _ => $"Campaign {random.Next(1, 20)}",
            };
        }

        // Walk the deal through its pipeline until now.
        var t = addTime;
        var index = startIndex;
        var outcome = random.NextDouble();
        var steps = random.Next(0, stages.Count + 2);
        for (var s = 0; s < steps; s++)
        {
            t = t.AddHours(random.Next(2, 24 * 20));
            if (t >= now) break;
            var roll = random.NextDouble();
            var next = roll < 0.12 && index > 0 ? index - 1                     // moved back
                : roll < 0.25 && index + 2 < stages.Count ? index + 2           // skipped a stage
                : Math.Min(index + 1, stages.Count - 1);
            if (next == index) break;
            Move(deal, stages[next].Id, owner.Id, Truncate(t));
            index = next;
        }
        if (random.NextDouble() < 0.15)
        {
            t = t.AddHours(random.Next(1, 200));
            if (t < now) Change(deal, "value", deal.Value.ToString(CultureInfo.InvariantCulture), (deal.Value = Math.Round(deal.Value * 1.1m, 2)).ToString(CultureInfo.InvariantCulture), owner.Id, Truncate(t));
        }
        var closeAt = Truncate(t.AddHours(random.Next(1, 24 * 10)));
        if (closeAt < now)
        {
            if (outcome < 0.28) Win(deal, owner.Id, closeAt);
            else if (outcome < 0.50) Lose(deal, owner.Id, closeAt, LostReasons[random.Next(LostReasons.Length)]);
        }
        var later = Truncate(deal.UpdateTime.AddDays(random.Next(1, 60)));
        if (later < now && random.NextDouble() < 0.05) Archive(deal, later);
        // Deleted within the last 30 days: still listed with status=deleted. Older deletions are purged.
        if (random.NextDouble() < 0.03)
        {
            var deletedAt = Truncate(now.AddDays(-random.NextDouble() * 29));
            if (deletedAt > deal.UpdateTime) Delete(deal, deletedAt);
        }
        return deal;
    }

    internal static SbActivity NewActivity(PipedriveCompany company, Random random, DateTime addTime, DateTime now)
    {
        var type = company.ActivityTypes[random.Next(company.ActivityTypes.Count)];
        var deal = company.Deals.Count > 0 && random.NextDouble() < 0.8 ? company.Deals[random.Next(company.Deals.Count)] : null;
        var due = addTime.AddDays(random.Next(-2, 30));
        var allDay = type.KeyString is "deadline" or "task" && random.NextDouble() < 0.5 || random.NextDouble() < 0.05;
        var activity = new SbActivity
        {
            Id = company.NextActivityId(),
            Subject = $"{type.Name} with {Companies[random.Next(Companies.Length)]}",
            Type = type.KeyString,
            OwnerId = deal?.OwnerId ?? company.Users[random.Next(company.Users.Count)].Id,
            CreatorUserId = company.Users[random.Next(company.Users.Count)].Id,
            DealId = deal?.Id,
            PersonId = deal?.PersonId,
            OrgId = deal?.OrgId,
            DueDate = DateOnly.FromDateTime(due),
            DueTime = allDay ? null : new TimeOnly(random.Next(6, 18), random.Next(4) * 15),
            Duration = allDay ? null : TimeSpan.FromMinutes(15 * random.Next(1, 9)),
            Busy = !allDay,
            Priority = random.Next(0, 3),
            AddTime = addTime,
            UpdateTime = addTime,
        };
        var dueAt = activity.DueDate.ToDateTime(activity.DueTime ?? new TimeOnly(12, 0), DateTimeKind.Utc);
        if (dueAt < now && random.NextDouble() < 0.75)
        {
            // Marked done around the due time, sometimes late in the evening UTC (next day in Helsinki).
            var doneAt = Truncate(dueAt.AddMinutes(random.Next(-60, 60 * 14)));
            if (doneAt < addTime) doneAt = addTime.AddMinutes(5);
            if (doneAt < now) { activity.Done = true; activity.MarkedAsDoneTime = doneAt; activity.UpdateTime = doneAt; }
        }
        return activity;
    }

    internal static SbLead NewLead(PipedriveCompany company, Random random, DateTime addTime)
    {
        var withValue = random.NextDouble() < 0.5;
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new SbLead
        {
            Id = new Guid(bytes).ToString(),
            Title = $"{Companies[random.Next(Companies.Length)]} lead",
            OwnerId = company.Users[random.Next(company.Users.Count)].Id,
            CreatorId = company.Users[random.Next(company.Users.Count)].Id,
            PersonId = random.NextDouble() < 0.8 ? 5000 + random.Next(4000) : null,
            OrganizationId = random.NextDouble() < 0.5 ? 9000 + random.Next(800) : null,
            SourceName = LeadSources[random.Next(LeadSources.Length)],
            Origin = random.NextDouble() < 0.3 ? "API" : "ManuallyCreated",
            IsArchived = random.NextDouble() < 0.06,
            WasSeen = random.NextDouble() < 0.7,
            ValueAmount = withValue ? Math.Round((decimal)random.NextDouble() * 20_000, 2) : null,
            ValueCurrency = withValue ? company.Options.DefaultCurrency : null,
            ExpectedCloseDate = random.NextDouble() < 0.3 ? DateOnly.FromDateTime(addTime.AddDays(45)) : null,
            AddTime = addTime,
            UpdateTime = addTime,
        };
    }

    private static int Weighted(Random random, int count)
    {
        // The first pipeline carries most deals, as in most accounts.
        var r = random.NextDouble();
        return r < 0.6 || count == 1 ? 0 : 1 + random.Next(count - 1);
    }

    internal static void Change(SbDeal deal, string field, string? oldValue, string? newValue, long actor, DateTime at)
    {
        deal.Changes.Add(new SbChange(field, oldValue, newValue, actor, at));
        if (at > deal.UpdateTime) deal.UpdateTime = at;
    }

    internal static void Move(SbDeal deal, long stageId, long actor, DateTime at)
    {
        Change(deal, "stage_id", deal.StageId.ToString(CultureInfo.InvariantCulture), stageId.ToString(CultureInfo.InvariantCulture), actor, at);
        deal.StageId = stageId;
        deal.StageChangeTime = at;
    }

    internal static void Win(SbDeal deal, long actor, DateTime at)
    {
        Change(deal, "status", deal.Status, "won", actor, at);
        deal.Status = "won"; deal.WonTime = at; deal.CloseTime = at; deal.LostTime = null; deal.LostReason = null;
    }

    internal static void Lose(SbDeal deal, long actor, DateTime at, string reason)
    {
        Change(deal, "status", deal.Status, "lost", actor, at);
        deal.Status = "lost"; deal.LostTime = at; deal.CloseTime = at; deal.LostReason = reason; deal.WonTime = null;
    }

    internal static void Archive(SbDeal deal, DateTime at)
    {
        deal.IsArchived = true; deal.ArchiveTime = at; deal.UpdateTime = at;
    }

    internal static void Delete(SbDeal deal, DateTime at)
    {
        deal.IsDeleted = true; deal.DeleteTime = at; deal.UpdateTime = at;
    }
}
