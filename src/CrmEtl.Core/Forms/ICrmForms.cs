using CrmEtl.Core.Instances;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Core.Forms;

/// <summary>A contact or company as a form module sees it: how it is reached, and its company.</summary>
public sealed record FormPerson(long Id, string? Name, IReadOnlyList<string> Emails, IReadOnlyList<string> Phones, long? CompanyId = null);

/// <summary>An open deal of a contact or company: where it stands, and its custom fields' values as text by field id (key).</summary>
public sealed record FormDeal(long Id, string? Name, long? PipelineId, long? StageId, IReadOnlyDictionary<string, string>? Fields = null);

/// <summary>What a submission writes to a contact or company: e-mails and phones normalised (trimmed lower-case, E.164).</summary>
public sealed record FormRecordValues(
    string Name, IReadOnlyList<string> Emails, IReadOnlyList<string> Phones, long? ResponsibleUserId, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Fields);

/// <summary>What a submission writes to a new deal.</summary>
public sealed record FormDealValues(
    string Name, decimal? Value, long? PipelineId, long? StageId, long? ResponsibleUserId, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Fields);

/// <summary>What the CRM's own duplicate control did with a deal and its contact and company: the records, and whether it merged them into ones it had.</summary>
public sealed record FormComplexResult(long DealId, long? ContactId, long? CompanyId, bool Merged);

/// <summary>The records a submission can read and write, and the entities they go on: contact, company, deal.</summary>
public static class FormEntities
{
    public const string Contact = "contact", Company = "company", Deal = "deal";
}

/// <summary>
/// A CRM as web forms use it, now (not the replica): find contacts and companies by e-mail or phone, their open deals,
/// and write contacts, companies, deals, tasks and notes. Every write is sent once; the caller records it before and
/// after, and after a crash looks it up with the Find methods before writing it again.
/// </summary>
public interface ICrmForms
{
    string Kind { get; }

    /// <summary>Whether the CRM has duplicate control of its own for integrations (<see cref="AddWithCrmDuplicateControlAsync"/>), for the module's "crm" mode.</summary>
    bool OwnDuplicateControl => false;

    /// <summary>The contacts having the e-mail (case-insensitive) or the phone (the same number in E.164).</summary>
    Task<IReadOnlyList<FormPerson>> FindContactsAsync(Instance instance, string? email, string? phone, ILogger logger, CancellationToken ct);

    /// <summary>The companies having the e-mail or the phone, or else exactly the name.</summary>
    Task<IReadOnlyList<FormPerson>> FindCompaniesAsync(Instance instance, string? name, string? email, string? phone, ILogger logger, CancellationToken ct);

    /// <summary>The open deals of the contact or of the company, newest first, with the values of <paramref name="fields"/> (deal field ids) at least.</summary>
    Task<IReadOnlyList<FormDeal>> OpenDealsAsync(Instance instance, long? contactId, long? companyId, IReadOnlyCollection<string> fields, ILogger logger, CancellationToken ct);

    Task<long> CreateContactAsync(Instance instance, FormRecordValues values, long? companyId, ILogger logger, CancellationToken ct);

    Task<long> CreateCompanyAsync(Instance instance, FormRecordValues values, ILogger logger, CancellationToken ct);

    /// <summary>Writes the values to a contact or company found: only what it lacks (e-mails, phones, empty fields), or all of them with <paramref name="overwrite"/>.</summary>
    Task UpdateAsync(Instance instance, string entity, FormPerson current, FormRecordValues values, bool overwrite, ILogger logger, CancellationToken ct);

    Task<long> CreateDealAsync(Instance instance, FormDealValues values, long? contactId, long? companyId, ILogger logger, CancellationToken ct);

    /// <summary>A deal of the contact or company with this name, made since <paramref name="since"/> (a deal this submission may have made before a crash).</summary>
    Task<long?> FindDealAsync(Instance instance, string name, long? contactId, long? companyId, DateTimeOffset since, ILogger logger, CancellationToken ct);

    Task MoveDealAsync(Instance instance, FormDeal deal, long toStageId, ILogger logger, CancellationToken ct);

    Task<long> CreateTaskAsync(Instance instance, string entity, long entityId, FormTaskSettings task, string text, DateTimeOffset due, ILogger logger, CancellationToken ct);

    /// <summary>A task on the record with this text (one this submission may have made before a crash).</summary>
    Task<long?> FindTaskAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct);

    Task<long> AddNoteAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct);

    /// <summary>
    /// A deal with its contact (and company) added in one call that runs the CRM's own duplicate control (Kommo: POST
    /// /api/v4/leads/complex); null when the CRM has none, so the module's "crm" mode cannot be used with it.
    /// </summary>
    Task<FormComplexResult?> AddWithCrmDuplicateControlAsync(Instance instance, FormDealValues deal, FormRecordValues contact, FormRecordValues? company, ILogger logger, CancellationToken ct);

    /// <summary>A note on the record with this text (one this submission may have made before a crash).</summary>
    Task<long?> FindNoteAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct);
}
