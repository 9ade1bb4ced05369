using CrmEtl.Connectors.Zoho;
using CrmEtl.Core.Instances;
using CrmEtl.Sandbox;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Storage.Instances;
using CrmEtl.Testing;

namespace CrmEtl.IntegrationTests.Forms;

/// <summary>
/// A CRM's sandbox as the form tests look at it, whatever its kind: the contacts, companies, deals, tasks and notes it
/// holds, by the ids its API gives, and the pipeline and stages a module names.
/// </summary>
internal sealed class FormCrm : IAsyncDisposable
{
    public sealed record Contact(long Id, string Name, IReadOnlyList<string> Emails, IReadOnlyList<string> Phones);
    public sealed record Deal(long Id, string Title, decimal Value, long PipelineId, long StageId, long? ContactId, long? CompanyId);

    private PipedriveSandbox? _pipedrive;
    private KommoWorld? _kommo;
    private ZohoSandbox? _zoho;

    private FormCrm(string kind) => Kind = kind;

    public string Kind { get; }
    /// <summary>The instance "Acme" on the sandbox's account.</summary>
    public NewInstance Instance { get; private set; } = null!;
    /// <summary>Worker settings the sandbox needs (Kommo's redirect URI), with quick retries.</summary>
    public Dictionary<string, string?> Settings { get; private set; } = [];
    public Faults Faults => _kommo?.Sandbox.Faults ?? _zoho?.Faults ?? _pipedrive!.Faults;
    public long PipelineId { get; private set; }
    public long FirstStageId { get; private set; }
    public long SecondStageId { get; private set; }

    /// <summary>A text field of deals (Pipedrive: the key of "Campaign"; Kommo: the id of a lead's text field; Zoho: Campaign), for the form's deal fields.</summary>
    public string DealTextField =>
        _kommo is not null ? Kommo.LeadFields.First(f => f.Type == "text").Id.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : _zoho is not null ? "Campaign"
        : Data.DealFields.First(f => f.IsCustom && f.FieldType == "varchar").Key;

    private PipedriveCompany Data => _kommo?.Account.Data ?? _zoho?.Orgs[0].Data ?? _pipedrive!.Companies[0];
    private KommoAccount Kommo => _kommo!.Account;
    private ZohoOrg Zoho => _zoho!.Orgs[0];

    public static async Task<FormCrm> StartAsync(string kind, Dictionary<string, string?> settings)
    {
        var crm = new FormCrm(kind);
        if (kind == InstanceKinds.Kommo)
        {
            crm._kommo = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Deals = 60, Activities = 60 });
            var account = crm.Kommo;
            crm.Instance = new NewInstance("Acme", kind, account.BaseUrl, InstanceCredentials.OAuth(account.Options.ClientId, account.Options.ClientSecret, account.Options.RefreshToken!));
            crm.Settings = crm._kommo.Settings(settings);
        }
        else if (kind == InstanceKinds.Zoho)
        {
            crm._zoho = await ZohoSandbox.StartAsync(new ZohoSandboxOptions { Orgs = [ZohoWorld.DefaultOrg with { Deals = 60, Activities = 60, Leads = 0 }], Clock = TestClock.Clock, AsOf = TestClock.Now });
            var org = crm.Zoho.Options;
            crm.Instance = new NewInstance("Acme", kind, crm._zoho.AccountsUrl("eu"), InstanceCredentials.OAuth(org.ClientId, org.ClientSecret, org.RefreshToken));
            crm.Settings = new(settings) { ["Zoho:RetryDelay"] = "00:00:00.020", ["Zoho:MaxAttempts"] = "2" };
        }
        else
        {
            crm._pipedrive = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
            {
                Companies = [new PipedriveCompanyOptions { Name = "acme", ApiToken = "form-token", Seed = 4, Deals = 60, Activities = 60, Leads = 0 }],
                Clock = TestClock.Clock, AsOf = TestClock.Now,
            });
            crm.Instance = new NewInstance("Acme", kind, crm._pipedrive.BaseUrl, new InstanceCredentials("form-token", null));
            crm.Settings = new(settings) { ["Pipedrive:RetryDelay"] = "00:00:00.020", ["Pipedrive:MaxAttempts"] = "2" };
        }
        var pipeline = crm.Data.Pipelines[0];
        var stages = crm.Data.Stages.Where(s => s.PipelineId == pipeline.Id).OrderBy(s => s.OrderNr).Select(s => s.Id).ToList();
        crm.PipelineId = crm.PipelineOf(pipeline.Id);
        (crm.FirstStageId, crm.SecondStageId) = (crm.StageOf(pipeline.Id, stages[0]), crm.StageOf(pipeline.Id, stages[1]));
        return crm;
    }

    /// <summary>A generated pipeline's id as the CRM's API (and so a module's settings) gives it: Zoho's is the replica's id of the pipeline.</summary>
    private long PipelineOf(long pipelineId) =>
        _kommo is not null ? Kommo.PipelineId(pipelineId) : _zoho is not null ? Zoho.PipelineId(Data.Pipelines.Single(p => p.Id == pipelineId)) : pipelineId;

    /// <summary>A generated stage's id as a module's settings give it: Zoho's is the replica's id of the pipeline's Stage value.</summary>
    private long StageOf(long pipelineId, long stageId) =>
        _kommo is not null ? Kommo.StatusId(stageId)
        : _zoho is not null ? ZohoConnector.StageId(PipelineOf(pipelineId), Zoho.StageValueId(Data.Stages.Single(s => s.Id == stageId).Name))
        : stageId;

    public IReadOnlyList<Contact> Contacts()
    {
        var persons = _kommo is null ? Data.Persons.Where(p => !p.IsDeleted).ToList() : [.. Kommo.Contacts()];
        return [.. persons.Select(p => new Contact(ContactId(p.Id), p.Name, p.Emails.Select(e => e.Value).ToList(), p.Phones.Select(x => x.Value).ToList()))];
    }

    public Contact? ContactWith(string email) =>
        Contacts().SingleOrDefault(c => c.Emails.Contains(email, StringComparer.OrdinalIgnoreCase));

    public IReadOnlyList<(long Id, string Name)> Companies() =>
        [.. (_kommo is null ? Data.Organizations.Where(o => !o.IsDeleted).ToList() : [.. Kommo.Companies()]).Select(o => (CompanyId(o.Id), o.Name))];

    public IReadOnlyList<Deal> Deals() => _kommo is null
        ? [.. Data.Deals.Where(d => !d.IsDeleted).Select(d => new Deal(DealId(d), d.Title, d.Value, PipelineOf(d.PipelineId), StageOf(d.PipelineId, d.StageId),
            d.PersonId is { } p ? ContactId(p) : null, d.OrgId is { } o ? CompanyId(o) : null))]
        : [.. Kommo.Leads().Select(l => new Deal(l.Id, l.Deal.Title, Kommo.PriceOf(l.Deal), l.PipelineId, l.StatusId,
            l.Deal.PersonId is { } p ? ContactId(p) : null, l.Deal.OrgId is { } o ? CompanyId(o) : null))];

    /// <summary>
    /// A company's e-mail and its newest open deal, for a CRM whose companies have e-mails (Kommo); null for one whose
    /// companies have none (Pipedrive's organizations).
    /// </summary>
    public (string Email, long DealId)? CompanyWithOpenDeal()
    {
        if (_kommo is null) return null;
        var open = Kommo.Leads().Where(l => l.Deal.OrgId is not null && l.StatusId is not (KommoAccount.Won or KommoAccount.Lost)).ToList();
        var company = Data.Organizations.First(o => !o.IsDeleted && open.Any(l => l.Deal.OrgId == o.Id));
        return (KommoAccount.CompanyEmail(company), open.Where(l => l.Deal.OrgId == company.Id).Max(l => l.Id));
    }

    /// <summary>The subjects of the tasks (activities) on a deal.</summary>
    public IReadOnlyList<string> TasksOfDeal(long dealId) => _kommo is null
        ? [.. Data.Activities.Where(a => !a.IsDeleted && a.DealId is { } d && DealId(Data.Deals.Single(x => x.Id == d)) == dealId).Select(a => a.Subject)]
        : [.. Kommo.Tasks().Where(t => t.EntityType == "leads" && t.EntityId == dealId).Select(t => t.Activity.Subject)];

    /// <summary>The texts of the notes on a deal.</summary>
    public IReadOnlyList<string> NotesOfDeal(long dealId) =>
        _zoho is not null ? [.. Zoho.Notes.Where(n => n.Module == "Deals" && n.ParentId == dealId).Select(n => n.Content)]
        : _kommo is null ? [.. Data.Notes.Where(n => n.DealId == dealId).Select(n => n.Content)]
        : [.. Kommo.Notes().Where(n => n.EntityType == "leads" && n.EntityId == dealId && n.NoteType == "common")
            .Select(n => n.Params.FirstOrDefault(p => p.Key == "text").Value?.ToString() ?? "")];

    /// <summary>Turns the CRM's own duplicate control for the integration on or off (Kommo's leads/complex).</summary>
    public void SetDuplicateControl(bool on) => _kommo!.Sandbox.SetDuplicateControl("acme", on);

    private long ContactId(long personId) =>
        _kommo is not null ? Kommo.ContactId(personId) : _zoho is not null ? Zoho.ContactId(Data.Persons.Single(p => p.Id == personId)) : personId;
    private long CompanyId(long organizationId) =>
        _kommo is not null ? Kommo.CompanyId(organizationId) : _zoho is not null ? Zoho.AccountId(organizationId) : organizationId;
    private long DealId(SbDeal deal) => _zoho is not null ? Zoho.DealId(deal) : deal.Id;

    public async ValueTask DisposeAsync()
    {
        if (_kommo is not null) await _kommo.DisposeAsync();
        if (_zoho is not null) await _zoho.DisposeAsync();
        if (_pipedrive is not null) await _pipedrive.DisposeAsync();
    }
}
