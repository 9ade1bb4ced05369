namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>How many records of each kind to change between two syncs.</summary>
public sealed record MutationPlan
{
    public int AddDeals { get; init; }
    public int UpdateDeals { get; init; }
    public int MoveDeals { get; init; }
    public int WinDeals { get; init; }
    public int LoseDeals { get; init; }
    public int DeleteDeals { get; init; }
    public int ArchiveDeals { get; init; }
    public int AddActivities { get; init; }
    public int CompleteActivities { get; init; }
    public int DeleteActivities { get; init; }
    public int AddLeads { get; init; }
    public int ArchiveLeads { get; init; }
    public int DeleteLeads { get; init; }
    /// <summary>People whose e-mails change (one added, or the primary replaced).</summary>
    public int UpdatePersons { get; init; }
    /// <summary>People without deals deleted.</summary>
    public int DeletePersons { get; init; }

    /// <summary>A bit of everything, scaled by <paramref name="n"/>.</summary>
    public static MutationPlan Mixed(int n) => new()
    {
        AddDeals = n, UpdateDeals = n, MoveDeals = n, WinDeals = n, LoseDeals = n, DeleteDeals = Math.Max(1, n / 2),
        ArchiveDeals = Math.Max(1, n / 2), AddActivities = 2 * n, CompleteActivities = n, DeleteActivities = Math.Max(1, n / 2),
        AddLeads = n, ArchiveLeads = Math.Max(1, n / 2), DeleteLeads = Math.Max(1, n / 2),
        UpdatePersons = n, DeletePersons = Math.Max(1, n / 2),
    };

    public int Total => AddDeals + UpdateDeals + MoveDeals + WinDeals + LoseDeals + DeleteDeals + ArchiveDeals +
        AddActivities + CompleteActivities + DeleteActivities + AddLeads + ArchiveLeads + DeleteLeads + UpdatePersons + DeletePersons;
}

/// <summary>Changes a sandbox account as its users would, stamping every change with the current time.</summary>
public static class PipedriveMutator
{
    public static void Apply(PipedriveCompany company, MutationPlan plan, int seed, DateTime now)
    {
        var random = new Random(seed);
        now = PipedriveGenerator.Truncate(now);
        lock (company.Sync)
        {
            var live = company.Deals.Where(d => !d.IsDeleted).ToList();
            var open = live.Where(d => d.Status == "open").ToList();
            SbDeal Pick(List<SbDeal> from) { var i = random.Next(from.Count); var d = from[i]; from.RemoveAt(i); return d; }

            for (var i = 0; i < plan.AddDeals; i++)
            {
                var deal = PipedriveGenerator.NewDeal(company, random, now, now);
                company.AddDeal(deal);
            }
            for (var i = 0; i < plan.UpdateDeals && live.Count > 0; i++)
            {
                var deal = Pick(live);
                PipedriveGenerator.Change(deal, "title", deal.Title, deal.Title += " (updated)", deal.OwnerId, now);
            }
            for (var i = 0; i < plan.MoveDeals && open.Count > 0; i++)
            {
                var deal = Pick(open);
                var stages = company.StagesOf(deal.PipelineId);
                var index = stages.ToList().FindIndex(s => s.Id == deal.StageId);
                var next = random.NextDouble() < 0.2 && index > 0 ? index - 1 : Math.Min(index + 1 + random.Next(2), stages.Count - 1);
                if (next != index) PipedriveGenerator.Move(deal, stages[next].Id, deal.OwnerId, now);
            }
            for (var i = 0; i < plan.WinDeals && open.Count > 0; i++) PipedriveGenerator.Win(Pick(open), company.Users[0].Id, now);
            for (var i = 0; i < plan.LoseDeals && open.Count > 0; i++) PipedriveGenerator.Lose(Pick(open), company.Users[0].Id, now, "No budget");
            live = company.Deals.Where(d => !d.IsDeleted && d.UpdateTime < now).ToList();
            for (var i = 0; i < plan.ArchiveDeals && live.Count > 0; i++) PipedriveGenerator.Archive(Pick(live), now);
            for (var i = 0; i < plan.DeleteDeals && live.Count > 0; i++) PipedriveGenerator.Delete(Pick(live), now);

            for (var i = 0; i < plan.AddActivities; i++) company.AddActivity(PipedriveGenerator.NewActivity(company, random, now, now));
            var undone = company.Activities.Where(a => !a.IsDeleted && !a.Done).ToList();
            for (var i = 0; i < plan.CompleteActivities && undone.Count > 0; i++)
            {
                var activity = undone[random.Next(undone.Count)];
                undone.Remove(activity);
                activity.Done = true; activity.MarkedAsDoneTime = now; activity.UpdateTime = now;
            }
            var activities = company.Activities.Where(a => !a.IsDeleted).ToList();
            for (var i = 0; i < plan.DeleteActivities && activities.Count > 0; i++)
            {
                var activity = activities[random.Next(activities.Count)];
                activities.Remove(activity);
                activity.IsDeleted = true; activity.UpdateTime = now;
            }

            for (var i = 0; i < plan.AddLeads; i++) company.AddLead(PipedriveGenerator.NewLead(company, random, now));
            var leads = company.Leads.Where(l => !l.IsDeleted && !l.IsArchived).ToList();
            for (var i = 0; i < plan.ArchiveLeads && leads.Count > 0; i++)
            {
                var lead = leads[random.Next(leads.Count)];
                leads.Remove(lead);
                lead.IsArchived = true; lead.UpdateTime = now;
            }
            for (var i = 0; i < plan.DeleteLeads && leads.Count > 0; i++)
            {
                var lead = leads[random.Next(leads.Count)];
                leads.Remove(lead);
                lead.IsDeleted = true; lead.UpdateTime = now;
            }

            // New records may name people and organizations the account did not have: they are added with them.
            PipedriveGenerator.AddMissingContacts(company, random, now, now);
            var persons = company.Persons.Where(p => !p.IsDeleted).ToList();
            for (var i = 0; i < plan.UpdatePersons && persons.Count > 0; i++)
            {
                var person = persons[random.Next(persons.Count)];
                persons.Remove(person);
                var address = $"{person.FirstName.ToLowerInvariant()}.{person.Id}@changed.example";
                person.Emails = random.NextDouble() < 0.5
                    ? [.. person.Emails, new SbContactPoint(address, "other", person.Emails.Count == 0)]
                    : [new SbContactPoint(address, "work", true), .. person.Emails.Skip(1)];
                person.UpdateTime = now;
            }
            var referenced = company.Deals.Where(d => !d.IsDeleted).Select(d => d.PersonId).OfType<long>().ToHashSet();
            var unlinked = persons.Where(p => !referenced.Contains(p.Id)).ToList();
            for (var i = 0; i < plan.DeletePersons && unlinked.Count > 0; i++)
            {
                var person = unlinked[random.Next(unlinked.Count)];
                unlinked.Remove(person);
                person.IsDeleted = true; person.UpdateTime = now;
            }
            company.Invalidate();
        }
    }
}
