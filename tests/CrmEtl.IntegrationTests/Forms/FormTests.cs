using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Forms;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Sync;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Forms;

/// <summary>
/// Web form submissions written by a worker over real HTTP to each CRM's sandbox, queued in a real PostgreSQL: the
/// same module settings on every CRM, and what the CRM holds afterwards.
/// </summary>
[TestFixture(InstanceKinds.Pipedrive)]
[TestFixture(InstanceKinds.Kommo)]
[TestFixture(InstanceKinds.Zoho)]
[Parallelizable] // each CRM's fixture has its own sandbox, database and worker; its tests share them, one at a time
public sealed class FormTests(string kind)
{
    private FormCrm _crm = null!;
    private InProcessWorker _worker = null!;
    private readonly HttpClient _public = new();

    /// <summary>Quick passes and short waits after a CRM failure, so that a retried submission is done within seconds.</summary>
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Forms:PollEvery"] = "00:00:00.200", ["Forms:RetryDelay"] = "00:00:00.200", ["Kommo:RetryDelay"] = "00:00:00.020", ["Kommo:MaxAttempts"] = "2",
    };

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _crm = await FormCrm.StartAsync(kind, Fast);
        _worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("forms"), _crm.Settings);
        _public.BaseAddress = _worker.Client.BaseAddress;
        await _worker.Services.GetRequiredService<InstanceRepository>().AddAsync(_crm.Instance, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        _public.Dispose();
        await _worker.DisposeAsync();
        await _crm.DisposeAsync();
    }

    private FormSettings Settings(FormMoveRule? move = null, IReadOnlyList<FormLogicRule>? rules = null) => new()
    {
        DefaultRegion = "UA",
        Contact = new FormContactSettings { Tags = ["web form"] },
        Deal = new FormDealSettings
        {
            Name = "Request from {{name}}", PipelineId = _crm.PipelineId, StageId = _crm.FirstStageId, Budget = "{{budget}}", Note = "Asked about {{product}}",
            Task = new FormTaskSettings("Call {{name}} back about {{product}}", DueInHours: 4),
        },
        Move = move,
        Rules = rules ?? [],
    };

    private async Task<string> ModuleAsync(string name, FormSettings settings) =>
        (await _worker.Services.GetRequiredService<FormModules>().SaveAsync(name, "Acme", settings, CancellationToken.None)).Key;

    /// <summary>Posts the form and waits for the worker to write it: the submission's status, outcome and result.</summary>
    private async Task<(string Status, string? Outcome, JsonElement Result)> SubmitAsync(string key, object form)
    {
        using var response = await _public.PostAsJsonAsync($"/forms/{key}/submissions", form);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), body.ToString());
        return await OutcomeAsync(body.GetProperty("id").GetInt64());
    }

    private async Task<(string Status, string? Outcome, JsonElement Result)> OutcomeAsync(long id)
    {
        for (var waited = 0; waited < 300; waited++)
        {
            var row = await _worker.ScalarAsync<string>("SELECT concat_ws('|', status, outcome, coalesce(result::text, '{}'), last_error) FROM etl.form_submission WHERE id = @id", new { id });
            var parts = row.Split('|');
            if (parts[0] != "queued") return (parts[0], parts[1], JsonDocument.Parse(parts[2]).RootElement);
            await Task.Delay(100);
        }
        Assert.Fail($"submission {id} still queued after 30 s: {await _worker.ScalarAsync<string>("SELECT coalesce(last_error, '') FROM etl.form_submission WHERE id = @id", new { id })}");
        return default;
    }

    private static long Id(JsonElement result, string record) => result.GetProperty(record).GetProperty("id").GetInt64();

    [Test]
    public async Task A_new_person_makes_a_company_a_contact_and_a_deal_with_budget_note_and_task_and_the_same_phone_again_finds_the_open_deal()
    {
        var key = await ModuleAsync("Contact form", Settings() with { Company = new FormCompanySettings { Name = "{{company}}" } });
        var dealsBefore = _crm.Deals().Count;

        var (status, outcome, result) = await SubmitAsync(key,
            new { name = "Olena Koval", email = "olena@koval.example", phone = "050 123 4567", budget = "15 000", product = "solar panels", company = "Koval Solar LLC" });

        Assert.That((status, outcome), Is.EqualTo(("done", "created")), result.ToString());
        var contact = _crm.ContactWith("olena@koval.example");
        Assert.That(contact, Is.Not.Null, "the contact is in the CRM");
        Assert.That((contact!.Id, contact.Name, contact.Phones), Is.EqualTo((Id(result, "contact"), "Olena Koval", new[] { "+380501234567" })));
        var company = _crm.Companies().Single(c => c.Name == "Koval Solar LLC");
        var deal = _crm.Deals().Single(d => d.Id == Id(result, "deal"));
        Assert.That(deal, Is.EqualTo(new FormCrm.Deal(deal.Id, "Request from Olena Koval", 15_000m, _crm.PipelineId, _crm.FirstStageId, contact.Id, company.Id)),
            "the deal with its budget, in the module's stage, linked to the contact and the company");
        Assert.That(result.GetProperty("deal").GetProperty("link").GetString(), Does.EndWith($"/{deal.Id}"));
        Assert.That(_crm.TasksOfDeal(deal.Id), Is.EqualTo(new[] { "Call Olena Koval back about solar panels" }));
        Assert.That(_crm.NotesOfDeal(deal.Id).Count(n => n == "Asked about solar panels"), Is.EqualTo(1), "the deal's note");

        // The same person from another address, with the phone as her colleague typed it: no second deal.
        var (_, again, found) = await SubmitAsync(key, new { name = "Olena K.", email = "olena.work@firm.example", phone = "+380 50 123 45 67", budget = "900", company = "Koval Solar LLC" });
        Assert.That(again, Is.EqualTo("found"), found.ToString());
        Assert.That((Id(found, "deal"), Id(found, "contact"), Id(found, "company")), Is.EqualTo((deal.Id, contact.Id, company.Id)));
        Assert.That(_crm.Deals().Count, Is.EqualTo(dealsBefore + 1), "one deal in all");
        Assert.That(_crm.Companies().Count(c => c.Name == "Koval Solar LLC"), Is.EqualTo(1), "one company in all");
        var completed = _crm.ContactWith("olena@koval.example")!;
        Assert.That((completed.Name, completed.Emails), Is.EqualTo(("Olena Koval", new[] { "olena@koval.example", "olena.work@firm.example" })),
            "the e-mail it lacked is added; the name is left as it was (update on duplicates is off)");

        // The API lists the submission with its result as a JSON object.
        var listed = JsonDocument.Parse(await _worker.Client.GetStringAsync("/api/forms/submissions?limit=1000")).RootElement;
        Assert.That(listed.EnumerateArray().Where(x => x.GetProperty("email").GetString() == "olena@koval.example")
            .Select(x => (x.GetProperty("outcome").GetString(), x.GetProperty("result").GetProperty("deal").GetProperty("id").GetInt64())), Is.EqualTo(new[] { ("created", deal.Id) }));

        // What the form wrote is in the replica after the next sync.
        var run = await _worker.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Full, CancellationToken.None);
        Assert.That(run.Status, Is.EqualTo(RunStatus.Succeeded), run.Error);
        Assert.That(await _worker.RowsAsync($"SELECT concat_ws('|', d.title, c.name) FROM crm.deal d JOIN crm.contact c ON c.instance_id = d.instance_id AND c.id = d.person_id WHERE d.id = {deal.Id}"),
            Is.EqualTo(new[] { "Request from Olena Koval|Olena Koval" }));
    }

    [Test]
    public async Task An_open_deal_of_the_company_with_the_submissions_email_is_found_and_no_deal_is_made()
    {
        if (_crm.CompanyWithOpenDeal() is not { } company)
        {
            Assert.Ignore($"{InstanceKinds.DisplayName(kind)}'s companies have no e-mail");
            return;
        }
        var key = await ModuleAsync("Partner form", Settings());
        var dealsBefore = _crm.Deals().Count;
        var (_, outcome, result) = await SubmitAsync(key, new { name = "Partner Desk", email = company.Email.ToUpperInvariant() });
        Assert.That((outcome, Id(result, "deal")), Is.EqualTo(("found", company.DealId)), result.ToString());
        Assert.That(_crm.Deals().Count, Is.EqualTo(dealsBefore), "no deal made");
    }

    [Test]
    public async Task A_second_form_moves_the_open_deal_only_from_the_configured_stage_and_a_logic_rule_skips_the_module()
    {
        var first = await ModuleAsync("Request form", Settings());
        var second = await ModuleAsync("Offer form", Settings(new FormMoveRule(_crm.FirstStageId, _crm.SecondStageId)));
        var (_, created, made) = await SubmitAsync(first, new { name = "Petro Marchenko", email = "petro@marchenko.example" });
        Assert.That(created, Is.EqualTo("created"));
        var dealId = Id(made, "deal");

        var (_, moved, _) = await SubmitAsync(second, new { name = "Petro Marchenko", email = "petro@marchenko.example" });
        Assert.That(moved, Is.EqualTo("moved"));
        Assert.That(_crm.Deals().Single(d => d.Id == dealId).StageId, Is.EqualTo(_crm.SecondStageId), "moved from the first stage to the next");
        var (_, notAgain, _) = await SubmitAsync(second, new { name = "Petro Marchenko", email = "petro@marchenko.example", again = "yes" });
        Assert.That(notAgain, Is.EqualTo("found"), "the deal is no longer in the stage the rule moves from");
        Assert.That(_crm.Deals().Single(d => d.Id == dealId).StageId, Is.EqualTo(_crm.SecondStageId));

        var ruled = await ModuleAsync("Newsletter form", Settings(rules: [new FormLogicRule("consent", "not_equals", "yes", Run: false)]));
        var contactsBefore = _crm.Contacts().Count;
        var (status, skipped, why) = await SubmitAsync(ruled, new { name = "No Consent", email = "no@consent.example", consent = "no" });
        Assert.That((status, skipped, why.GetProperty("rule").GetString()), Is.EqualTo(("skipped", "skipped", "consent not_equals yes")));
        Assert.That(_crm.Contacts().Count, Is.EqualTo(contactsBefore), "nothing made");
    }

    [Test]
    public async Task An_open_deal_counts_as_a_duplicate_only_when_the_fields_the_module_names_hold_the_forms_values()
    {
        var field = _crm.DealTextField;
        var settings = Settings();
        var key = await ModuleAsync("Product form", settings with
        {
            Deal = settings.Deal! with { Fields = new Dictionary<string, string> { [field] = "{{product}}" }, DuplicateFields = new Dictionary<string, string> { [field] = "{{product}}" } },
        });
        var (_, first, solar) = await SubmitAsync(key, new { name = "Vasyl Two", email = "vasyl@two.example", product = "Solar" });
        var (_, second, wind) = await SubmitAsync(key, new { name = "Vasyl Two", email = "vasyl@two.example", product = "Wind" });
        var (_, third, again) = await SubmitAsync(key, new { name = "Vasyl Two", email = "vasyl@two.example", product = " solar " });
        Assert.That((first, second, third), Is.EqualTo(("created", "created", "found")), "another product is another deal; the same one is found");
        Assert.That(Id(again, "deal"), Is.EqualTo(Id(solar, "deal")));
        Assert.That(Id(wind, "deal"), Is.Not.EqualTo(Id(solar, "deal")));
    }

    [Test]
    public async Task Update_on_duplicates_overwrites_the_name_of_a_contact_found_and_without_it_only_what_it_lacks_is_added()
    {
        var completing = await ModuleAsync("Newsletter", Settings() with { Deal = null });
        var overwriting = await ModuleAsync("Profile form", Settings() with { Deal = null, UpdateOnDuplicates = true });
        var (_, created, made) = await SubmitAsync(completing, new { name = "Anna Old", email = "anna@names.example" });
        Assert.That(created, Is.EqualTo("created"));

        var (_, found, _) = await SubmitAsync(completing, new { name = "Anna Other", email = "ANNA@names.example", phone = "+380 44 555 0101" });
        Assert.That(found, Is.EqualTo("found"));
        Assert.That(_crm.ContactWith("anna@names.example"), Is.EqualTo(new FormCrm.Contact(Id(made, "contact"), "Anna Old", ["anna@names.example"], ["+380445550101"]))
            .Using<FormCrm.Contact>(SameContact), "the phone it lacked is added, the name kept");

        var (_, updated, _) = await SubmitAsync(overwriting, new { name = "Anna New", email = "anna@names.example" });
        Assert.That(updated, Is.EqualTo("updated"));
        Assert.That(_crm.ContactWith("anna@names.example")!.Name, Is.EqualTo("Anna New"), "overwritten");
        Assert.That(_crm.Contacts().Count(c => c.Emails.Contains("anna@names.example", StringComparer.OrdinalIgnoreCase)), Is.EqualTo(1));
    }

    private static bool SameContact(FormCrm.Contact a, FormCrm.Contact b) =>
        a.Id == b.Id && a.Name == b.Name && a.Emails.SequenceEqual(b.Emails) && a.Phones.SequenceEqual(b.Phones);

    [Test]
    public async Task Nothing_twice_a_post_sent_three_times_an_answer_lost_after_the_crm_made_the_contact_and_ten_submissions_of_one_person_on_two_workers()
    {
        var key = await ModuleAsync("Quote form", Settings());
        // The same POST three times (a browser retrying): one submission.
        var answers = new List<(HttpStatusCode, long)>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await _public.PostAsJsonAsync($"/forms/{key}/submissions", new { name = "Taras Thrice", email = "taras@thrice.example" });
            answers.Add((response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64()));
        }
        Assert.That(answers.Select(a => a.Item1), Is.EqualTo(new[] { HttpStatusCode.Accepted, HttpStatusCode.OK, HttpStatusCode.OK }));
        Assert.That(answers.Select(a => a.Item2).Distinct().Count(), Is.EqualTo(1), "one submission");
        Assert.That((await OutcomeAsync(answers[0].Item2)).Outcome, Is.EqualTo("created"));

        // The CRM makes the contact and its answer never arrives, as when the worker is killed mid-call: the retry finds it.
        _crm.Faults.LoseWriteAnswers(1);
        var (status, outcome, result) = await SubmitAsync(key, new { name = "Iryna Lost", email = "iryna@lost.example" });
        Assert.That((status, outcome), Is.EqualTo(("done", "created")), result.ToString());
        Assert.That(_crm.Contacts().Count(p => p.Emails.Contains("iryna@lost.example")), Is.EqualTo(1), "one contact");
        Assert.That(await _worker.ScalarAsync<int>("SELECT attempts FROM etl.form_submission WHERE email = 'iryna@lost.example'"), Is.EqualTo(1), "one failed attempt, then done");

        // Ten submissions of one person at once, taken by two workers: one contact, one deal.
        await using var second = await InProcessWorker.StartAsync(_worker.ConnectionString, _crm.Settings);
        var dealsBefore = _crm.Deals().Count;
        var posts = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? _public : second.Client)
            .PostAsJsonAsync($"/forms/{key}/submissions", new { name = "Andriy Twin", email = "andriy@twin.example", phone = "+380 67 765 4321", attempt = i })).ToList();
        foreach (var response in await Task.WhenAll(posts)) Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        for (var waited = 0; waited < 300 && await _worker.ScalarAsync<long>("SELECT count(*) FROM etl.form_submission WHERE email = 'andriy@twin.example' AND status = 'queued'") > 0; waited++)
            await Task.Delay(100);
        Assert.That(await _worker.RowsAsync("SELECT concat_ws('|', status, outcome) FROM etl.form_submission WHERE email = 'andriy@twin.example' ORDER BY id"),
            Is.EqualTo(new[] { "done|created" }.Concat(Enumerable.Repeat("done|found", 9))));
        Assert.That(_crm.Contacts().Count(p => p.Emails.Contains("andriy@twin.example")), Is.EqualTo(1), "one contact");
        Assert.That(_crm.Deals().Count, Is.EqualTo(dealsBefore + 1), "one deal");
    }

    [Test]
    public async Task Nothing_lost_the_crm_down_for_a_while_and_a_429_storm_delay_a_submission_which_is_written_once_when_the_crm_is_back()
    {
        var key = await ModuleAsync("Callback form", Settings());
        _crm.Faults.ServerErrorRate = 1;
        using var response = await _public.PostAsJsonAsync($"/forms/{key}/submissions", new { name = "Mykola Patient", phone = "+380 93 111 2233" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), "taken while the CRM is down");
        for (var waited = 0; waited < 100 && await _worker.ScalarAsync<int>("SELECT attempts FROM etl.form_submission WHERE phone = '+380931112233'") < 2; waited++)
            await Task.Delay(100);
        var putOff = await _worker.ScalarAsync<string>("SELECT concat_ws('|', status, last_error) FROM etl.form_submission WHERE phone = '+380931112233'");
        _crm.Faults.Clear();
        Assert.That(putOff, Does.StartWith("queued|").And.Contain(" failed on GET "), "put off, with the CRM's answer");
        _crm.Faults.Add429Burst(3);
        for (var waited = 0; waited < 150 && await _worker.ScalarAsync<string>("SELECT status FROM etl.form_submission WHERE phone = '+380931112233'") == "queued"; waited++)
            await Task.Delay(100);
        Assert.That(await _worker.ScalarAsync<string>("SELECT concat_ws('|', status, outcome) FROM etl.form_submission WHERE phone = '+380931112233'"), Is.EqualTo("done|created"));
        Assert.That(_crm.Contacts().Count(p => p.Phones.Contains("+380931112233")), Is.EqualTo(1));
        Assert.That(_crm.Deals().Count(d => d.Title == "Request from Mykola Patient"), Is.EqualTo(1));
    }

    [Test]
    public async Task In_the_crms_mode_kommos_own_duplicate_control_merges_a_known_contact_and_a_crm_without_one_refuses_the_module()
    {
        var settings = Settings() with { Duplicates = FormDuplicates.Crm };
        if (kind != InstanceKinds.Kommo)
        {
            var refused = Assert.ThrowsAsync<InstanceInputException>(() => ModuleAsync("Complex form", settings));
            Assert.That(refused!.Message, Does.Contain($"duplicates 'crm': {InstanceKinds.DisplayName(kind)} has no duplicate control of its own"));
            return;
        }
        var key = await ModuleAsync("Complex form", settings);
        var (_, first, made) = await SubmitAsync(key, new { name = "Oksana Complex", email = "oksana@complex.example" });
        Assert.That(first, Is.EqualTo("created"), made.ToString());
        Assert.That(made.GetProperty("deal").GetProperty("merged").GetBoolean(), Is.False);

        _crm.SetDuplicateControl(true);
        try
        {
            var (_, second, merged) = await SubmitAsync(key, new { name = "Oksana C.", email = "OKSANA@complex.example" });
            Assert.That(second, Is.EqualTo("found"), merged.ToString());
            Assert.That(merged.GetProperty("deal").GetProperty("merged").GetBoolean(), Is.True, "Kommo merged it");
            Assert.That(_crm.Contacts().Count(p => p.Emails.Contains("oksana@complex.example", StringComparer.OrdinalIgnoreCase)), Is.EqualTo(1));
        }
        finally
        {
            _crm.SetDuplicateControl(false);
        }
        var (_, third, _) = await SubmitAsync(key, new { name = "Oksana Again", email = "oksana@complex.example", again = "1" });
        Assert.That(third, Is.EqualTo("created"), "with Kommo's control off, Kommo adds what it is sent");
        Assert.That(_crm.Contacts().Count(p => p.Emails.Contains("oksana@complex.example", StringComparer.OrdinalIgnoreCase)), Is.EqualTo(2));
    }
}
