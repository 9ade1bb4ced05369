using System.Globalization;
using CrmEtl.Core.Customers;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Storage.Forms;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Host.Forms;

/// <summary>What a submission did in the CRM: its outcome (created, found, updated, moved, skipped) and the records, with links.</summary>
public sealed record FormOutcome(string Status, string Outcome, Dictionary<string, object?> Result);

/// <summary>
/// One submission written to the CRM as its module says, step by step: each CRM write is noted before it is sent and
/// recorded with the record's id after, so that a run taken up again after a crash skips what was written and looks up
/// what may have been (<see cref="OnceAsync"/>) instead of writing it twice. The person's lock is held by the caller.
/// </summary>
internal sealed class FormRun(FormModule module, FormSubmissionToRun submission, Instance instance, ICrmForms crm, FormStore store, CrmLinks links, ILogger logger)
{
    private readonly Dictionary<string, long> _done = new(submission.Progress);
    private readonly FormSettings _settings = module.Settings;
    private readonly IReadOnlyDictionary<string, string> _values = submission.Fields;
    private readonly Dictionary<string, object?> _result = [];

    public async Task<FormOutcome> ExecuteAsync(CancellationToken ct)
    {
        var (run, because) = FormValues.Decide(_settings.Rules, _values);
        if (!run) return new(FormSubmissionStatus.Skipped, "skipped", new() { ["rule"] = $"{because!.Field} {because.Operator} {because.Value}".TrimEnd() });

        string[] emails = submission.Email is { } e ? [e] : [];
        string[] phones = submission.Phone is { } p ? [p] : [];
        var contactValues = new FormRecordValues(Text(_settings.Contact.Name) is { Length: > 0 } name ? name : submission.Email ?? submission.Phone!, emails, phones,
            _settings.Contact.ResponsibleUserId, _settings.Contact.Tags, Fields(_settings.Contact.Fields));

        if (_settings.Duplicates == FormDuplicates.Crm && _settings.Deal is { } complexDeal) return await CrmDuplicateControlAsync(complexDeal, contactValues, ct);

        var company = await CompanyAsync(ct);
        var (contactId, contactFound) = await ContactAsync(contactValues, company?.Id, ct);
        _result["contact"] = new { id = contactId, link = links.Contact(contactId), found = contactFound };
        await NoteAndTaskAsync(FormEntities.Contact, contactId, _settings.Contact.Note, _settings.Contact.Task, ct);

        var outcome = contactFound ? (_settings.UpdateOnDuplicates ? "updated" : "found") : "created";
        if (_settings.Deal is { } deal) outcome = await DealAsync(deal, contactId, company?.Id, ct);
        return new(FormSubmissionStatus.Done, outcome, _result);
    }

    /// <summary>The company found by name (or made), completed or overwritten like the contact; null when the module makes none or the form names none.</summary>
    private async Task<(long Id, bool Found)?> CompanyAsync(CancellationToken ct)
    {
        if (_settings.Company is not { } settings || Text(settings.Name) is not { Length: > 0 } name) return null;
        var values = new FormRecordValues(name, [], settings.Phones.Select(Text).Where(t => t.Length > 0).ToList(), null, settings.Tags, Fields(settings.Fields));
        var company = await FindOrMakeAsync(FormEntities.Company, values,
            () => crm.FindCompaniesAsync(instance, name, null, null, logger, ct), () => crm.CreateCompanyAsync(instance, values, logger, ct), ct);
        _result["company"] = new { id = company.Id, found = company.Found };
        await NoteAndTaskAsync(FormEntities.Company, company.Id, settings.Note, settings.Task, ct);
        return company;
    }

    /// <summary>The contact found by the e-mail or phone (only what it lacks added, or overwritten), else a new one.</summary>
    private Task<(long Id, bool Found)> ContactAsync(FormRecordValues values, long? companyId, CancellationToken ct) =>
        FindOrMakeAsync(FormEntities.Contact, values,
            async () => submission.Email is null && submission.Phone is null || _settings.Duplicates == FormDuplicates.None
                ? [] : await crm.FindContactsAsync(instance, submission.Email, submission.Phone, logger, ct),
            () => crm.CreateContactAsync(instance, values, companyId, logger, ct), ct);

    /// <summary>
    /// A contact or company: the one found (its missing values added, or all overwritten with UpdateOnDuplicates), else a new
    /// one. One found after a crash while this submission was making it is its own, and counts as made.
    /// </summary>
    private async Task<(long Id, bool Found)> FindOrMakeAsync(string entity, FormRecordValues values, Func<Task<IReadOnlyList<FormPerson>>> find, Func<Task<long>> make, CancellationToken ct)
    {
        if (_done.TryGetValue(entity, out var known)) return (known, _done.ContainsKey($"{entity}_found"));
        var found = await find();
        if (found.Count > 0 && submission.PendingStep != entity)
        {
            await crm.UpdateAsync(instance, entity, found[0], values, _settings.UpdateOnDuplicates, logger, ct);
            await RecordAsync($"{entity}_found", found[0].Id, ct);
            await RecordAsync(entity, found[0].Id, ct);
            return (found[0].Id, true);
        }
        return (await OnceAsync(entity, () => Task.FromResult(found.Count > 0 ? found[0].Id : (long?)null), make, ct), false);
    }

    /// <summary>
    /// The CRM's own duplicate control: the deal with its contact and company in one call (Kommo's leads/complex), which
    /// merges them into records the CRM has when its rules say so (outcome found) or adds them (created).
    /// </summary>
    private async Task<FormOutcome> CrmDuplicateControlAsync(FormDealSettings settings, FormRecordValues contact, CancellationToken ct)
    {
        var name = Text(settings.Name) is { Length: > 0 } n ? n : "Web form";
        var deal = new FormDealValues(name, Decimal(Text(settings.Budget)), settings.PipelineId, settings.StageId, settings.ResponsibleUserId, settings.Tags, Fields(settings.Fields));
        var company = _settings.Company is { } c && Text(c.Name) is { Length: > 0 } companyName
            ? new FormRecordValues(companyName, [], c.Phones.Select(Text).Where(t => t.Length > 0).ToList(), null, c.Tags, Fields(c.Fields)) : null;
        FormComplexResult? added = null;
        var dealId = await OnceAsync("deal", () => crm.FindDealAsync(instance, name, null, null, submission.ReceivedAt.AddMinutes(-1), logger, ct), async () =>
        {
            added = await crm.AddWithCrmDuplicateControlAsync(instance, deal, contact, company, logger, ct)
                ?? throw new FormatException($"The {instance.Kind} CRM has no duplicate control of its own for integrations: set the module's duplicates to \"ours\".");
            return added.DealId;
        }, ct);
        if (added?.ContactId is { } contactId) await RecordAsync(FormEntities.Contact, contactId, ct);
        if (added?.Merged == true) await RecordAsync("merged", 1, ct);
        var merged = _done.ContainsKey("merged");
        _result["deal"] = new { id = dealId, link = links.Deal(dealId), merged };
        if (_done.TryGetValue(FormEntities.Contact, out var contactKnown)) _result["contact"] = new { id = contactKnown, link = links.Contact(contactKnown), found = merged };
        await NoteAndTaskAsync(FormEntities.Deal, dealId, settings.Note, settings.Task, ct);
        return new(FormSubmissionStatus.Done, merged ? "found" : "created", _result);
    }

    /// <summary>An open deal of the contact or company in the pipelines and stages that count is a duplicate: found, or moved by the move rule; else a new deal.</summary>
    private async Task<string> DealAsync(FormDealSettings settings, long contactId, long? companyId, CancellationToken ct)
    {
        var name = Text(settings.Name) is { Length: > 0 } n ? n : "Web form";
        if (!_done.ContainsKey("deal") && _settings.Duplicates == FormDuplicates.Ours)
        {
            // Without a company from the form, a company with the submission's e-mail or phone has its open deals counted too.
            var dealsCompany = companyId ?? (await crm.FindCompaniesAsync(instance, null, submission.Email, submission.Phone, logger, ct)) switch { [var first, ..] => first.Id, _ => (long?)null };
            var open = (await crm.OpenDealsAsync(instance, contactId, dealsCompany, [.. settings.DuplicateFields.Keys], logger, ct))
                .Where(d => (settings.DuplicatePipelines.Count == 0 || d.PipelineId is { } pl && settings.DuplicatePipelines.Contains(pl))
                            && (settings.DuplicateStages.Count == 0 || d.StageId is { } st && settings.DuplicateStages.Contains(st))
                            && settings.DuplicateFields.All(f => string.Equals(d.Fields?.GetValueOrDefault(f.Key)?.Trim(), Text(f.Value).Trim(), StringComparison.OrdinalIgnoreCase)))
                .ToList();
            if (_settings.Move is { } move && open.Find(d => d.StageId == move.FromStageId) is { } from)
            {
                if (!_done.ContainsKey("move")) await crm.MoveDealAsync(instance, from, move.ToStageId, logger, ct);
                await RecordAsync("move", from.Id, ct);
                _result["deal"] = new { id = from.Id, link = links.Deal(from.Id), found = true, movedTo = move.ToStageId };
                return "moved";
            }
            if (open.Count > 0)
            {
                _result["deal"] = new { id = open[0].Id, link = links.Deal(open[0].Id), found = true };
                return "found";
            }
        }
        var values = new FormDealValues(name, Decimal(Text(settings.Budget)), settings.PipelineId, settings.StageId, settings.ResponsibleUserId, settings.Tags, Fields(settings.Fields));
        var id = await OnceAsync("deal", () => crm.FindDealAsync(instance, name, contactId, companyId, submission.ReceivedAt.AddMinutes(-1), logger, ct),
            () => crm.CreateDealAsync(instance, values, contactId, companyId, logger, ct), ct);
        _result["deal"] = new { id, link = links.Deal(id), found = false };
        await NoteAndTaskAsync(FormEntities.Deal, id, settings.Note, settings.Task, ct);
        return "created";
    }

    private async Task NoteAndTaskAsync(string entity, long id, string? note, FormTaskSettings? task, CancellationToken ct)
    {
        if (Text(note) is { Length: > 0 } text)
            await OnceAsync($"{entity}_note", () => crm.FindNoteAsync(instance, entity, id, text, logger, ct), () => crm.AddNoteAsync(instance, entity, id, text, logger, ct), ct);
        if (task is not null && Text(task.Text) is { Length: > 0 } taskText)
        {
            var due = submission.ReceivedAt.AddHours(task.DueInHours);
            var taskId = await OnceAsync($"{entity}_task", () => crm.FindTaskAsync(instance, entity, id, taskText, logger, ct),
                () => crm.CreateTaskAsync(instance, entity, id, task, taskText, due, logger, ct), ct);
            _result[$"{entity}_task"] = taskId;
        }
    }

    /// <summary>
    /// A CRM write made once: skipped when recorded; when a crash came while it was being sent, looked up first; else noted
    /// as pending, sent, and recorded with the record's id.
    /// </summary>
    private async Task<long> OnceAsync(string step, Func<Task<long?>> lookUp, Func<Task<long>> write, CancellationToken ct)
    {
        if (_done.TryGetValue(step, out var id)) return id;
        if (submission.PendingStep == step && await lookUp() is { } found)
        {
            FormLog.FoundAfterCrash(logger, submission.Id, step, found);
            await RecordAsync(step, found, ct);
            return found;
        }
        await store.StepPendingAsync(submission.Id, step, ct);
        var made = await write();
        await RecordAsync(step, made, ct);
        return made;
    }

    private async Task RecordAsync(string step, long id, CancellationToken ct)
    {
        _done[step] = id;
        await store.StepDoneAsync(submission.Id, step, id, ct);
    }

    private string Text(string? macro) => FormValues.Expand(macro, _values);

    private Dictionary<string, string> Fields(IReadOnlyDictionary<string, string> fields) => fields.ToDictionary(f => f.Key, f => Text(f.Value));

    private static decimal? Decimal(string text) =>
        decimal.TryParse(text.Replace(" ", "", StringComparison.Ordinal).Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : null;
}
