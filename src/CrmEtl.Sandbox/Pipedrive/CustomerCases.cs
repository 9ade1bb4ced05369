namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>
/// A customer a test or a demo script adds to an account, with exactly the e-mails, deals and activities it needs
/// (the customer card's cases: several e-mails, shared mailboxes, currencies, activities expired, due today or later).
/// Times are absolute (UTC); an activity without <see cref="CaseActivity.DueTime"/> lasts all day.
/// </summary>
public sealed record CustomerCase(string FirstName, string LastName, IReadOnlyList<string> Emails, IReadOnlyList<string>? Phones = null,
    IReadOnlyList<CaseDeal>? Deals = null, string? Organization = null);

/// <param name="Status">open, won or lost.</param>
/// <param name="Stage">The index of the stage in the account's first pipeline.</param>
public sealed record CaseDeal(string Title, decimal Value, string Currency, DateTime AddTime, string Status = "open", int Stage = 0,
    IReadOnlyList<CaseActivity>? Activities = null, bool Deleted = false);

/// <param name="Type">call, meeting, task, deadline, email or lunch (Zoho: calls are Calls, meetings and lunches Events, the rest Tasks).</param>
public sealed record CaseActivity(string Subject, string Type, DateOnly DueDate, TimeOnly? DueTime = null, bool Done = false, bool Deleted = false);

/// <summary>What was added: the person and deals as the account keeps them.</summary>
public sealed record AddedCustomer(SbPerson Person, IReadOnlyList<SbDeal> Deals, IReadOnlyList<SbActivity> Activities);

public static class CustomerCases
{
    private static readonly string[] EmailLabels = ["work", "home", "other"];
    private static readonly string[] PhoneLabels = ["work", "mobile", "home", "other"];

    /// <summary>Adds the customer now (its records updated at <paramref name="now"/>, so the next incremental sync reads them).</summary>
    public static AddedCustomer Add(PipedriveCompany company, CustomerCase customer, DateTime now)
    {
        now = PipedriveGenerator.Truncate(now);
        lock (company.Sync)
        {
            var owner = company.Users[0].Id;
            long? orgId = null;
            if (customer.Organization is { } name)
            {
                orgId = company.NextOrganizationId();
                company.Organizations.Add(new SbOrganization { Id = orgId.Value, Name = name, OwnerId = owner, AddTime = now, UpdateTime = now });
            }
            var person = new SbPerson
            {
                Id = company.NextPersonId(),
                FirstName = customer.FirstName, LastName = customer.LastName, OwnerId = owner, OrgId = orgId,
                Emails = customer.Emails.Select((e, i) => new SbContactPoint(e, EmailLabels[Math.Min(i, EmailLabels.Length - 1)], i == 0)).ToList(),
                Phones = (customer.Phones ?? []).Select((p, i) => new SbContactPoint(p, PhoneLabels[Math.Min(i, PhoneLabels.Length - 1)], i == 0)).ToList(),
                AddTime = now, UpdateTime = now,
            };
            company.Persons.Add(person);

            var pipeline = company.Pipelines[0];
            var stages = company.StagesOf(pipeline.Id);
            var deals = new List<SbDeal>();
            var activities = new List<SbActivity>();
            foreach (var spec in customer.Deals ?? [])
            {
                var deal = new SbDeal
                {
                    Id = company.NextDealId(), Title = spec.Title, Value = spec.Value, Currency = spec.Currency, PipelineId = pipeline.Id,
                    StageId = stages[Math.Clamp(spec.Stage, 0, stages.Count - 1)].Id, OwnerId = owner, PersonId = person.Id, OrgId = orgId,
                    AddTime = PipedriveGenerator.Truncate(spec.AddTime), UpdateTime = now,
                };
                if (spec.Status == "won") PipedriveGenerator.Win(deal, owner, now);
                else if (spec.Status == "lost") PipedriveGenerator.Lose(deal, owner, now, "No budget");
                if (spec.Deleted) PipedriveGenerator.Delete(deal, now);
                company.AddDeal(deal);
                deals.Add(deal);
                foreach (var a in spec.Activities ?? [])
                {
                    var activity = new SbActivity
                    {
                        Id = company.NextActivityId(), Subject = a.Subject, Type = a.Type, OwnerId = owner, CreatorUserId = owner, DealId = deal.Id,
                        PersonId = person.Id, OrgId = orgId, DueDate = a.DueDate, DueTime = a.DueTime, Duration = a.DueTime is null ? null : TimeSpan.FromMinutes(30),
                        Done = a.Done, MarkedAsDoneTime = a.Done ? now : null, IsDeleted = a.Deleted, AddTime = now, UpdateTime = now,
                    };
                    company.AddActivity(activity);
                    activities.Add(activity);
                }
            }
            company.Invalidate();
            return new AddedCustomer(person, deals, activities);
        }
    }
}
