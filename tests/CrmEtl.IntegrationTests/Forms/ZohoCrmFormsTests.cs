using System.Collections.Concurrent;
using CrmEtl.Connectors.Zoho;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CrmEtl.IntegrationTests.Forms;

/// <summary>
/// The Zoho connector as web forms use it (<see cref="ICrmForms"/>), called directly against a Zoho sandbox over HTTP: what it
/// writes is read back from the sandbox's org, what it finds is what the org holds.
/// </summary>
[Parallelizable] // the fixture runs beside others; its tests share one small org, each with records of its own
public sealed class ZohoCrmFormsTests
{
    private ZohoSandbox _sandbox = null!;
    private ServiceProvider _services = null!;
    private ICrmForms _crm = null!;
    private Instance _instance = null!;
    private CrmPipeline _pipeline = null!;
    private readonly NullLogger _log = NullLogger.Instance;

    private ZohoOrg Org => _sandbox.Orgs[0];

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _sandbox = await ZohoSandbox.StartAsync(new ZohoSandboxOptions
        {
            Orgs = [ZohoWorld.DefaultOrg with { Name = "forms-de", Deals = 30, Activities = 30, Leads = 5 }], Clock = TestClock.Clock, AsOf = TestClock.Now,
        });
        var services = new ServiceCollection();
        services.AddHttpClient(ZohoConnector.HttpClientName);
        services.AddSingleton<IOAuthTokenCache, MemoryTokens>();
        services.AddSingleton(TestClock.Clock);
        services.AddSingleton(Options.Create(new ZohoOptions { RetryDelay = TimeSpan.FromMilliseconds(20), MaxAttempts = 2 }));
        services.AddSingleton<ZohoTokenProvider>();
        services.AddSingleton<ZohoConnector>();
        services.AddSingleton<ICrmForms>(s => s.GetRequiredService<ZohoConnector>()); // as the host registers it
        _services = services.BuildServiceProvider();
        var connector = _services.GetRequiredService<ZohoConnector>();
        _crm = _services.GetRequiredService<ICrmForms>();
        _instance = new Instance
        {
            Id = 1, Name = "Acme Germany", Kind = InstanceKinds.Zoho, BaseUrl = _sandbox.AccountsUrl("eu"), TimeZone = "Europe/Berlin",
            Credentials = InstanceCredentials.OAuth(Org.Options.ClientId, Org.Options.ClientSecret, Org.Options.RefreshToken),
        };
        // The ids the replica (and so a form's settings) gives Zoho's pipelines and stages.
        _pipeline = (await connector.ListPipelinesAsync(_instance, _log, CancellationToken.None))[0];
    }

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        await _services.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private static FormRecordValues Person(string name, string[] emails, string[] phones, Dictionary<string, string>? fields = null) =>
        new(name, emails, phones, null, [], fields ?? new Dictionary<string, string>());

    private static FormDealValues Deal(string name, decimal? value, long? pipelineId, long? stageId) => new(name, value, pipelineId, stageId, null, [], new Dictionary<string, string>());

    private long Stage(string name) => _pipeline.Stages.Single(s => s.Name == name).Id;
    private string OpenStage(int index) => Org.PipelineStages(Org.Data.Pipelines.Single(p => Org.PipelineId(p) == _pipeline.Id))[index].Stage;

    private int LayoutsRead() => _sandbox.CallsTo(Org.Options.Name).GetValueOrDefault("GET /crm/v8/settings/layouts");

    private SbPerson ContactIn(long id) => Org.Data.Persons.Single(p => Org.ContactId(p) == id);
    private SbOrganization AccountIn(long id) => Org.Data.Organizations.Single(o => Org.AccountId(o.Id) == id);
    private SbDeal DealIn(long id) => Org.Data.Deals.Single(d => Org.DealId(d) == id);
    private SbActivity TaskIn(long id) => Org.Data.Activities.Single(a => Org.ActivityId(a) == id);

    [Test]
    public async Task A_contact_of_a_new_account_is_found_by_its_e_mail_in_any_case_and_by_its_phone_however_typed()
    {
        var account = await _crm.CreateCompanyAsync(_instance, Person("Kivi Oy", [], ["+358 9 1234 5678"]), _log, CancellationToken.None);
        var contact = await _crm.CreateContactAsync(_instance, Person("Anna Maria Virta", ["anna@kivi.example"], ["+358 40 123 4567"]), account, _log, CancellationToken.None);

        var person = ContactIn(contact);
        Assert.That((person.FirstName, person.LastName, person.OrgId, AccountIn(account).Name, AccountIn(account).Phone),
            Is.EqualTo(("Anna Maria", "Virta", AccountIn(account).Id, "Kivi Oy", "+358 9 1234 5678")));
        var byEmail = await _crm.FindContactsAsync(_instance, "ANNA@Kivi.Example", null, _log, CancellationToken.None);
        Assert.That(byEmail.Select(p => (p.Id, p.Name, p.CompanyId)), Is.EqualTo(new[] { (contact, (string?)"Anna Maria Virta", (long?)account) }));
        Assert.That(byEmail[0].Emails, Is.EqualTo(new[] { "anna@kivi.example" }));
        Assert.That((await _crm.FindContactsAsync(_instance, "nobody@kivi.example", "+358401234567", _log, CancellationToken.None)).Select(p => p.Id), Is.EqualTo(new[] { contact }),
            "found by the phone in E.164 when the e-mail finds no one");
        Assert.That(await _crm.FindContactsAsync(_instance, "nobody@kivi.example", "+358401234568", _log, CancellationToken.None), Is.Empty);

        Assert.That((await _crm.FindCompaniesAsync(_instance, "kivi oy", null, null, _log, CancellationToken.None)).Select(c => (c.Id, c.Name)), Is.EqualTo(new[] { (account, (string?)"Kivi Oy") }));
        Assert.That((await _crm.FindCompaniesAsync(_instance, "Another Oy", null, "+35891234 5678", _log, CancellationToken.None)).Select(c => c.Id), Is.EqualTo(new[] { account }));
        Assert.That(await _crm.FindCompaniesAsync(_instance, "Kivi", null, null, _log, CancellationToken.None), Is.Empty, "a name is matched whole");
    }

    [Test]
    public async Task Deals_of_a_contact_and_account_are_open_newest_first_until_won_and_a_move_changes_the_stage_in_zoho()
    {
        var account = await _crm.CreateCompanyAsync(_instance, Person("Sauna Tech GmbH", [], []), _log, CancellationToken.None);
        var contact = await _crm.CreateContactAsync(_instance, Person("Jonas Berg", ["jonas@sauna.example"], []), account, _log, CancellationToken.None);
        var (first, second) = (OpenStage(0), OpenStage(1));
        var since = TestClock.Clock.GetUtcNow();
        var layoutsRead = LayoutsRead();

        var older = await _crm.CreateDealAsync(_instance, Deal("Sauna for Jonas", 1500.50m, _pipeline.Id, Stage(first)), contact, account, _log, CancellationToken.None);
        var newer = await _crm.CreateDealAsync(_instance, Deal("Second sauna", null, null, null), contact, account, _log, CancellationToken.None);
        var won = await _crm.CreateDealAsync(_instance, Deal("Sauna already sold", 900, _pipeline.Id, Stage(first)), contact, account, _log, CancellationToken.None);
        await _crm.MoveDealAsync(_instance, new FormDeal(won, null, _pipeline.Id, Stage(first)), Stage(ZohoOrg.ClosedWon), _log, CancellationToken.None);

        var deal = DealIn(older);
        Assert.That((deal.Title, deal.Value, deal.PersonId, deal.OrgId, Org.StageOf(deal), Org.PipelineId(Org.Data.Pipelines.Single(p => p.Id == deal.PipelineId))),
            Is.EqualTo(("Sauna for Jonas", 1500.50m, ContactIn(contact).Id, AccountIn(account).Id, first, _pipeline.Id)));
        Assert.That(Org.StageOf(DealIn(newer)), Is.EqualTo(first), "without a stage: the first pipeline's first stage");
        Assert.That((DealIn(won).Status, Org.StageOf(DealIn(won))), Is.EqualTo(("won", ZohoOrg.ClosedWon)));

        var expected = new[] { new FormDeal(newer, "Second sauna", _pipeline.Id, Stage(first)), new FormDeal(older, "Sauna for Jonas", _pipeline.Id, Stage(first)) };
        Assert.That(await _crm.OpenDealsAsync(_instance, contact, null, [], _log, CancellationToken.None), Is.EqualTo(expected), "the contact's open deals, not the won one");
        Assert.That(await _crm.OpenDealsAsync(_instance, null, account, [], _log, CancellationToken.None), Is.EqualTo(expected), "the account's alike");

        await _crm.MoveDealAsync(_instance, expected[1], Stage(second), _log, CancellationToken.None);
        Assert.That(Org.StageOf(DealIn(older)), Is.EqualTo(second), "the sandbox holds the new stage");
        Assert.That((await _crm.OpenDealsAsync(_instance, contact, account, [], _log, CancellationToken.None)).Single(d => d.Id == older).StageId, Is.EqualTo(Stage(second)));

        Assert.That(LayoutsRead() - layoutsRead, Is.LessThanOrEqualTo(1), "the pipelines are read once for three deals, a won one, two moves and three lists of open deals");

        Assert.That(await _crm.FindDealAsync(_instance, "Sauna for Jonas", contact, null, since, _log, CancellationToken.None), Is.EqualTo(older));
        Assert.That(await _crm.FindDealAsync(_instance, "Second sauna", null, account, since, _log, CancellationToken.None), Is.EqualTo(newer));
        Assert.That(await _crm.FindDealAsync(_instance, "Sauna for Jonas", null, null, since, _log, CancellationToken.None), Is.EqualTo(older), "by its name alone");
        Assert.That(await _crm.FindDealAsync(_instance, "Sauna for Jonas", contact, null, since.AddMinutes(5), _log, CancellationToken.None), Is.Null, "made before the submission");
        Assert.That(await _crm.FindDealAsync(_instance, "Never made", contact, null, since, _log, CancellationToken.None), Is.Null);
        Assert.That(await _crm.AddWithCrmDuplicateControlAsync(_instance, Deal("x", null, null, null), Person("x", [], []), null, _log, CancellationToken.None), Is.Null,
            "Zoho has no duplicate control of its own for forms");
    }

    [Test]
    public async Task An_update_adds_only_what_the_record_lacks_unless_it_overwrites()
    {
        var contact = await _crm.CreateContactAsync(_instance, Person("Lea Koch", ["lea@koch.example"], ["+49 30 1111 2222"]), null, _log, CancellationToken.None);
        var current = (await _crm.FindContactsAsync(_instance, "lea@koch.example", null, _log, CancellationToken.None)).Single();

        await _crm.UpdateAsync(_instance, FormEntities.Contact, current,
            Person("Someone Else", ["LEA@koch.example", "lea.private@mail.example"], ["+493011112222", "+491701234567"]), overwrite: false, _log, CancellationToken.None);
        var person = ContactIn(contact);
        Assert.That((person.Name, person.Emails.Select(e => e.Value), person.Phones.Select(p => p.Value)),
            Is.EqualTo(("Lea Koch", new[] { "lea@koch.example", "lea.private@mail.example" }, new[] { "+49 30 1111 2222", "+491701234567" })),
            "the second address and the mobile it lacked; the name and the number it had (typed differently) as they were");

        current = (await _crm.FindContactsAsync(_instance, "lea@koch.example", null, _log, CancellationToken.None)).Single();
        await _crm.UpdateAsync(_instance, FormEntities.Contact, current, Person("Lea Maria Koch", ["lea@new.example"], ["+49 40 5555 6666"]), overwrite: true, _log, CancellationToken.None);
        person = ContactIn(contact);
        Assert.That((person.FirstName, person.LastName, person.Emails.Select(e => e.Value), person.Phones.Select(p => p.Value)),
            Is.EqualTo(("Lea Maria", "Koch", new[] { "lea@new.example", "lea@koch.example" }, new[] { "+49 40 5555 6666", "+49 30 1111 2222" })),
            "the form's values first, then those Zoho's two fields still hold room for");

        var account = await _crm.CreateCompanyAsync(_instance, Person("Koch Bau AG", [], []), _log, CancellationToken.None);
        var company = (await _crm.FindCompaniesAsync(_instance, "Koch Bau AG", null, null, _log, CancellationToken.None)).Single();
        await _crm.UpdateAsync(_instance, FormEntities.Company, company, Person("Koch", ["info@koch.example"], ["+49 30 9999 0000"]), overwrite: false, _log, CancellationToken.None);
        Assert.That((AccountIn(account).Name, AccountIn(account).Phone), Is.EqualTo(("Koch Bau AG", "+49 30 9999 0000")));
        await _crm.UpdateAsync(_instance, FormEntities.Company, company with { Phones = ["+49 30 9999 0000"] }, Person("Koch", [], ["+49 30 1234 0000"]), overwrite: false, _log, CancellationToken.None);
        Assert.That(AccountIn(account).Phone, Is.EqualTo("+49 30 9999 0000"), "an account's one phone is kept when not overwriting");
    }

    [Test]
    public async Task Tasks_and_notes_on_a_deal_a_contact_and_an_account_are_found_again_by_their_text()
    {
        var account = await _crm.CreateCompanyAsync(_instance, Person("Nordlicht KG", [], []), _log, CancellationToken.None);
        var contact = await _crm.CreateContactAsync(_instance, Person("Tom Nord", ["tom@nordlicht.example"], []), account, _log, CancellationToken.None);
        var deal = await _crm.CreateDealAsync(_instance, Deal("Request from Tom Nord", 100, _pipeline.Id, Stage(OpenStage(0))), contact, account, _log, CancellationToken.None);
        var due = new DateTimeOffset(2027, 3, 1, 23, 30, 0, TimeSpan.Zero); // already 2 March in Berlin
        var settings = new FormTaskSettings("unused: the text is given");

        var onDeal = await _crm.CreateTaskAsync(_instance, FormEntities.Deal, deal, settings, "Call Tom back", due, _log, CancellationToken.None);
        var onContact = await _crm.CreateTaskAsync(_instance, FormEntities.Contact, contact, settings, "Send Tom the catalogue", due, _log, CancellationToken.None);
        var onAccount = await _crm.CreateTaskAsync(_instance, FormEntities.Company, account, settings, "Check Nordlicht's credit", due, _log, CancellationToken.None);

        Assert.That((TaskIn(onDeal).Subject, TaskIn(onDeal).DealId, TaskIn(onDeal).DueDate), Is.EqualTo(("Call Tom back", DealIn(deal).Id, new DateOnly(2027, 3, 2))));
        Assert.That((TaskIn(onContact).PersonId, TaskIn(onAccount).OrgId, Org.TaskAccount(TaskIn(onAccount))), Is.EqualTo((ContactIn(contact).Id, AccountIn(account).Id, AccountIn(account).Id)));
        Assert.That(await _crm.FindTaskAsync(_instance, FormEntities.Deal, deal, "Call Tom back", _log, CancellationToken.None), Is.EqualTo(onDeal));
        Assert.That(await _crm.FindTaskAsync(_instance, FormEntities.Contact, contact, "Send Tom the catalogue", _log, CancellationToken.None), Is.EqualTo(onContact));
        Assert.That(await _crm.FindTaskAsync(_instance, FormEntities.Company, account, "Check Nordlicht's credit", _log, CancellationToken.None), Is.EqualTo(onAccount));
        Assert.That(await _crm.FindTaskAsync(_instance, FormEntities.Deal, deal, "Never asked", _log, CancellationToken.None), Is.Null);

        var note = await _crm.AddNoteAsync(_instance, FormEntities.Deal, deal, "Budget: 100 EUR (from the form)", _log, CancellationToken.None);
        var contactNote = await _crm.AddNoteAsync(_instance, FormEntities.Contact, contact, "Prefers e-mail", _log, CancellationToken.None);
        Assert.That(Org.Notes.Where(n => n.Id == note || n.Id == contactNote).Select(n => (n.Module, n.ParentId, n.Content)),
            Is.EqualTo(new[] { ("Deals", deal, "Budget: 100 EUR (from the form)"), ("Contacts", contact, "Prefers e-mail") }));
        Assert.That(await _crm.FindNoteAsync(_instance, FormEntities.Deal, deal, "Budget: 100 EUR (from the form)", _log, CancellationToken.None), Is.EqualTo(note));
        Assert.That(await _crm.FindNoteAsync(_instance, FormEntities.Contact, contact, "Prefers e-mail", _log, CancellationToken.None), Is.EqualTo(contactNote));
        Assert.That(await _crm.FindNoteAsync(_instance, FormEntities.Company, account, "Prefers e-mail", _log, CancellationToken.None), Is.Null, "the note is on the contact, not its account");
    }

    [Test]
    public void A_record_zoho_refuses_is_an_error_naming_the_field_and_zohos_message()
    {
        var refused = Assert.ThrowsAsync<ZohoRequestException>(() => _crm.CreateDealAsync(_instance, Deal(" ", 10, _pipeline.Id, null), null, null, _log, CancellationToken.None));
        Assert.That(refused!.Message, Does.Contain("POST /crm/v8/Deals").And.Contain("MANDATORY_NOT_FOUND: required field not found, field Deal_Name"));
        Assert.That(refused, Is.InstanceOf<CrmException>());
        var gone = Assert.ThrowsAsync<ZohoRequestException>(() => _crm.CreateTaskAsync(_instance, FormEntities.Deal, 1234, new FormTaskSettings("x"), "x", TestClock.Now, _log, CancellationToken.None));
        Assert.That(gone!.Message, Does.Contain("field What_Id"));
    }

    [Test]
    public async Task A_refresh_token_without_the_write_scopes_gets_an_error_naming_the_scope_a_write_needs()
    {
        var deal = await _crm.CreateDealAsync(_instance, Deal("Scope check", null, null, null), null, null, _log, CancellationToken.None);
        Org.Scopes = ZohoScopes.All.Where(s => s is not ("ZohoCRM.modules.deals.UPDATE" or "ZohoCRM.modules.notes.CREATE")).ToList();
        try
        {
            var move = Assert.ThrowsAsync<CrmAuthException>(() => _crm.MoveDealAsync(_instance, new FormDeal(deal, null, null, null), Stage(OpenStage(1)), _log, CancellationToken.None));
            Assert.That(move!.Message, Does.Contain("lacks the scope ZohoCRM.modules.deals.UPDATE, which PUT /crm/v8/Deals/" + deal + " needs"));
            var note = Assert.ThrowsAsync<CrmAuthException>(() => _crm.AddNoteAsync(_instance, FormEntities.Deal, deal, "x", _log, CancellationToken.None));
            Assert.That(note!.Message, Does.Contain("lacks the scope ZohoCRM.modules.notes.CREATE").And.Contain("ZohoCRM.modules.notes.CREATE and store"),
                "the scopes to grant again include it");
        }
        finally
        {
            Org.Scopes = ZohoScopes.All;
        }
        Assert.That(Org.StageOf(DealIn(deal)), Is.EqualTo(OpenStage(0)), "not moved");
    }

    /// <summary>Access tokens kept in memory: the connector's cache without a database.</summary>
    private sealed class MemoryTokens : IOAuthTokenCache
    {
        private readonly ConcurrentDictionary<int, (string Hash, OAuthToken Token)> _tokens = new();

        public Task<OAuthToken?> GetAsync(int instanceId, string credentialsHash, CancellationToken cancellationToken) =>
            Task.FromResult(_tokens.TryGetValue(instanceId, out var t) && t.Hash == credentialsHash ? t.Token : null);

        public Task SaveAsync(int instanceId, string credentialsHash, OAuthToken token, CancellationToken cancellationToken)
        {
            _tokens[instanceId] = (credentialsHash, token);
            return Task.CompletedTask;
        }

        public Task ForgetAsync(int instanceId, string accessToken, CancellationToken cancellationToken)
        {
            _tokens.TryRemove(instanceId, out _);
            return Task.CompletedTask;
        }
    }
}
