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
    internal static readonly string[] LostReasons = ["Price too high", "Chose a competitor", "No budget", "No decision", "Timing"];
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
        // From a random sequence of their own, so that adding them left the deals and activities as they were.
        AddContacts(company, new Random(options.Seed ^ 0x5EED), start, now);
        return company;
    }

    private static readonly string[] FirstNames = ["Aino", "Eero", "Liisa", "Mikko", "Sofia", "Johan", "Karin", "Anders", "Hanna", "Pekka", "Elsa", "Nils", "Maria", "Oskar", "Laura", "Ville"];
    private static readonly string[] LastNames = ["Virtanen", "Nieminen", "Svensson", "Johansson", "Mäkelä", "Berg", "Hämäläinen", "Lund", "Koskinen", "Nyström", "Laine", "Holm"];
    private static readonly string[] Cities = ["Helsinki", "Stockholm", "Tampere", "Gothenburg", "Oulu", "Malmö", "Turku", "Uppsala"];

    /// <summary>
    /// The people and organizations that deals, activities and leads refer to, and people with no deal at all. Most have
    /// one work e-mail; some have a home or other address too, a few none; some share a team mailbox of their
    /// organization with colleagues; some addresses are written with capitals. A few people without deals were deleted.
    /// </summary>
    private static void AddContacts(PipedriveCompany company, Random random, DateTime start, DateTime now)
    {
        var referenced = ReferencedPersons(company);
        var unreferenced = Enumerable.Range(5000, 4000).Select(i => (long)i).Where(i => !referenced.Contains(i)).ToList();
        var withoutDeals = unreferenced.OrderBy(_ => random.Next()).Take(Math.Max(3, referenced.Count / 8)).ToHashSet();
        AddMissingContacts(company, random, start, now, withoutDeals);
        foreach (var person in company.Persons.Where(p => withoutDeals.Contains(p.Id) && random.NextDouble() < 0.05)) person.IsDeleted = true;
    }

    private static HashSet<long> ReferencedPersons(PipedriveCompany company) =>
        company.Deals.Select(d => d.PersonId).Concat(company.Activities.Select(a => a.PersonId)).Concat(company.Leads.Select(l => l.PersonId)).OfType<long>().ToHashSet();

    /// <summary>
    /// Adds the organizations and people that records refer to and the account lacks (and <paramref name="extra"/> people),
    /// added before <paramref name="before"/>; when that is <paramref name="now"/>, added and updated now.
    /// </summary>
    internal static void AddMissingContacts(PipedriveCompany company, Random random, DateTime before, DateTime now, IEnumerable<long>? extra = null)
    {
        var known = company.Organizations.Select(o => o.Id).ToHashSet();
        foreach (var id in company.Deals.Select(d => d.OrgId).Concat(company.Activities.Select(a => a.OrgId)).Concat(company.Leads.Select(l => l.OrganizationId))
                     .OfType<long>().Where(known.Add).Order())
        {
            var n = (int)(id - 9000);
            var added = before == now ? now : before.AddDays(-random.Next(30, 400));
            company.Organizations.Add(new SbOrganization
            {
                Id = id, Name = Companies[Math.Abs(n) % Companies.Length] + (n >= 0 && n < Companies.Length ? "" : $" {Math.Abs(n) / Companies.Length + 1}"),
                OwnerId = company.Users[random.Next(company.Users.Count)].Id,
                Address = $"{random.Next(1, 90)} {LastNames[random.Next(LastNames.Length)]}gatan, {Cities[random.Next(Cities.Length)]}",
                Country = random.NextDouble() < 0.5 ? "Finland" : "Sweden",
                AddTime = added, UpdateTime = Later(random, added, now),
            });
        }
        var organizations = company.Organizations.ToDictionary(o => o.Id);
        var orgIds = organizations.Keys.Order().ToList();
        var firstOrgOf = company.Deals.Where(d => d.PersonId is not null && d.OrgId is not null).GroupBy(d => d.PersonId!.Value).ToDictionary(g => g.Key, g => g.First().OrgId);
        var people = company.Persons.Select(p => p.Id).ToHashSet();
        foreach (var id in ReferencedPersons(company).Concat(extra ?? []).Where(people.Add).Order())
        {
            var orgId = firstOrgOf.GetValueOrDefault(id) ?? (random.NextDouble() < 0.4 && orgIds.Count > 0 ? orgIds[random.Next(orgIds.Count)] : null);
            // Added now (by the mutator): stamped now, as the CRM would; generated history: some time before.
            company.Persons.Add(NewPerson(company, random, id, orgId is { } o ? organizations[o] : null, before == now ? now : before.AddDays(-random.Next(1, 300)), now));
        }
        company.Persons.Sort((x, y) => x.Id.CompareTo(y.Id));
        company.Organizations.Sort((x, y) => x.Id.CompareTo(y.Id));
        company.Invalidate();
    }

    internal static SbPerson NewPerson(PipedriveCompany company, Random random, long id, SbOrganization? organization, DateTime added, DateTime now)
    {
        var first = FirstNames[random.Next(FirstNames.Length)];
        var last = LastNames[random.Next(LastNames.Length)];
        var domain = organization is not null ? Slug(organization.Name) + ".example" : "mail.example";
        var local = $"{Slug(first)}.{Slug(last)}{(id % 7 == 0 ? id % 100 : "")}";
        var emails = new List<SbContactPoint>();
        var roll = random.NextDouble();
        if (roll >= 0.06)
        {
            emails.Add(new SbContactPoint(random.NextDouble() < 0.1 ? $"{Capital(Slug(first))}.{Capital(Slug(last))}@{domain}" : $"{local}@{domain}", "work", true));
            if (roll < 0.25) emails.Add(new SbContactPoint($"{local}{random.Next(10, 99)}@home.example", "home", false));
            if (roll < 0.10) emails.Add(new SbContactPoint($"{Slug(first)[0]}{Slug(last)}@{domain}", "other", false));
            if (organization is not null && random.NextDouble() < 0.08) emails.Add(new SbContactPoint($"sales@{domain}", "other", false));
        }
        var phones = new List<SbContactPoint> { new($"+358 40 {random.Next(100, 999)} {random.Next(1000, 9999)}", "mobile", true) };
        if (random.NextDouble() < 0.3) phones.Add(new SbContactPoint($"+46 8 {random.Next(100, 999)} {random.Next(10, 99)} {random.Next(10, 99)}", "work", false));
        return new SbPerson
        {
            Id = id, FirstName = first, LastName = last, OwnerId = company.Users[random.Next(company.Users.Count)].Id, OrgId = organization?.Id,
            Emails = emails, Phones = phones, AddTime = added, UpdateTime = Later(random, added, now),
        };
    }

    private static string Capital(string word) => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..];

    private static DateTime Later(Random random, DateTime from, DateTime now) =>
        from.AddSeconds(random.NextDouble() * Math.Max(0, (now - from).TotalSeconds));

    /// <summary>Lower-case ASCII letters of a name, as an e-mail address would have them: Mäkelä becomes makela.</summary>
    private static string Slug(string name) =>
        new string(name.Normalize(System.Text.NormalizationForm.FormD).Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

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

    internal static void Reopen(SbDeal deal, long actor, DateTime at)
    {
        Change(deal, "status", deal.Status, "open", actor, at);
        deal.Status = "open"; deal.WonTime = deal.LostTime = deal.CloseTime = null; deal.LostReason = null;
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
