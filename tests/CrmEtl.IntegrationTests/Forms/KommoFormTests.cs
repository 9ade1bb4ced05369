using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Forms;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Forms;

/// <summary>Web form submissions written to the Kommo sandbox by a worker over real HTTP, queued in a real PostgreSQL.</summary>
[NonParallelizable] // its tests share one worker and one account
public sealed class KommoFormTests
{
    private KommoWorld _world = null!;
    private InProcessWorker _worker = null!;
    private readonly HttpClient _public = new();
    private long _pipeline, _first, _second;

    private KommoAccount Account => _world.Account;

    /// <summary>Quick passes and short waits after a CRM failure, so that a retried submission is done within seconds.</summary>
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Forms:PollEvery"] = "00:00:00.200", ["Forms:RetryDelay"] = "00:00:00.200", ["Kommo:RetryDelay"] = "00:00:00.020", ["Kommo:MaxAttempts"] = "2",
    };

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _world = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Deals = 60, Activities = 60 });
        _worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("kommo-forms"), _world.Settings(Fast));
        _public.BaseAddress = _worker.Client.BaseAddress;
        await _worker.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance("Acme Ukraine", InstanceKinds.Kommo, Account.BaseUrl,
            InstanceCredentials.OAuth(Account.Options.ClientId, Account.Options.ClientSecret, Account.Options.RefreshToken!)), CancellationToken.None);
        var pipeline = Account.Data.Pipelines[0];
        var stages = Account.Data.Stages.Where(s => s.PipelineId == pipeline.Id).OrderBy(s => s.OrderNr).ToList();
        (_pipeline, _first, _second) = (Account.PipelineId(pipeline.Id), Account.StatusId(stages[0].Id), Account.StatusId(stages[1].Id));
    }

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        _public.Dispose();
        await _worker.DisposeAsync();
        await _world.DisposeAsync();
    }

    private FormSettings Settings(FormMoveRule? move = null, IReadOnlyList<FormLogicRule>? rules = null) => new()
    {
        DefaultRegion = "UA",
        Contact = new FormContactSettings { Tags = ["web form"] },
        Deal = new FormDealSettings
        {
            Name = "Request from {{name}}", PipelineId = _pipeline, StageId = _first, Budget = "{{budget}}",
            Task = new FormTaskSettings("Call {{name}} back about {{product}}", DueInHours: 4),
        },
        Move = move,
        Rules = rules ?? [],
    };

    private async Task<string> ModuleAsync(string name, FormSettings settings) =>
        (await _worker.Services.GetRequiredService<FormModules>().SaveAsync(name, "Acme Ukraine", settings, CancellationToken.None)).Key;

    /// <summary>Posts the form and waits for the worker to write it: the submission's status, outcome and result.</summary>
    private async Task<(string Status, string? Outcome, JsonElement Result)> SubmitAsync(string key, object form)
    {
        using var response = await _public.PostAsJsonAsync($"/forms/{key}/submissions", form);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), body.ToString());
        var id = body.GetProperty("id").GetInt64();
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

    private SbPerson? ContactWith(string email) =>
        Account.Contacts().SingleOrDefault(p => p.Emails.Any(e => string.Equals(e.Value, email, StringComparison.OrdinalIgnoreCase)));

    [Test]
    public async Task A_new_person_makes_a_contact_a_lead_with_its_budget_and_a_task_and_the_same_phone_again_finds_the_open_lead()
    {
        var key = await ModuleAsync("Contact form", Settings());
        var leadsBefore = Account.Leads().Count;

        var (status, outcome, result) = await SubmitAsync(key, new { name = "Olena Koval", email = "olena@koval.example", phone = "050 123 4567", budget = "15 000", product = "solar panels" });

        Assert.That((status, outcome), Is.EqualTo(("done", "created")), result.ToString());
        var contact = ContactWith("olena@koval.example");
        Assert.That(contact, Is.Not.Null, "the contact is in Kommo");
        Assert.That((contact!.Name, contact.Phones.Select(p => p.Value)), Is.EqualTo(("Olena Koval", new[] { "+380501234567" })));
        var leadId = result.GetProperty("deal").GetProperty("id").GetInt64();
        var lead = Account.Leads().Single(l => l.Id == leadId);
        Assert.That((lead.Deal.Title, Account.PriceOf(lead.Deal), lead.PipelineId, lead.StatusId, Account.Leads().Count(l => l.Deal.PersonId == contact.Id)),
            Is.EqualTo(("Request from Olena Koval", 15_000L, _pipeline, _first, 1)));
        Assert.That(result.GetProperty("deal").GetProperty("link").GetString(), Is.EqualTo($"{Account.BaseUrl.TrimEnd('/')}/leads/detail/{leadId}"));
        Assert.That(Account.Tasks().Where(t => t.EntityType == "leads" && t.EntityId == leadId).Select(t => t.Activity.Subject),
            Is.EqualTo(new[] { "Call Olena Koval back about solar panels" }));

        // The same person from another address, with the phone as her colleague typed it: no second lead.
        var (_, again, found) = await SubmitAsync(key, new { name = "Olena K.", email = "olena.work@firm.example", phone = "+380 50 123 45 67", budget = "900" });
        Assert.That(again, Is.EqualTo("found"), found.ToString());
        Assert.That(found.GetProperty("deal").GetProperty("id").GetInt64(), Is.EqualTo(leadId));
        Assert.That(Account.Leads().Count, Is.EqualTo(leadsBefore + 1), "one lead in all");
        Assert.That(ContactWith("olena@koval.example")!.Emails.Select(e => e.Value), Is.EquivalentTo(new[] { "olena@koval.example", "olena.work@firm.example" }),
            "the e-mail it lacked is added; the name is left as it was (update on duplicates is off)");
        Assert.That(ContactWith("olena@koval.example")!.Name, Is.EqualTo("Olena Koval"));
    }

    [Test]
    public async Task A_second_form_moves_the_open_lead_only_from_the_configured_stage_and_a_logic_rule_skips_the_module()
    {
        var first = await ModuleAsync("Request form", Settings());
        var second = await ModuleAsync("Offer form", Settings(new FormMoveRule(_first, _second)));
        var (_, created, made) = await SubmitAsync(first, new { name = "Petro Marchenko", email = "petro@marchenko.example" });
        Assert.That(created, Is.EqualTo("created"));
        var leadId = made.GetProperty("deal").GetProperty("id").GetInt64();

        var (_, moved, _) = await SubmitAsync(second, new { name = "Petro Marchenko", email = "petro@marchenko.example" });
        Assert.That(moved, Is.EqualTo("moved"));
        Assert.That(Account.Leads().Single(l => l.Id == leadId).StatusId, Is.EqualTo(_second), "moved from the first stage to the next");
        var (_, notAgain, _) = await SubmitAsync(second, new { name = "Petro Marchenko", email = "petro@marchenko.example", again = "yes" });
        Assert.That(notAgain, Is.EqualTo("found"), "the lead is no longer in the stage the rule moves from");
        Assert.That(Account.Leads().Single(l => l.Id == leadId).StatusId, Is.EqualTo(_second));

        var ruled = await ModuleAsync("Newsletter form", Settings(rules: [new FormLogicRule("consent", "not_equals", "yes", Run: false)]));
        var contactsBefore = Account.Contacts().Count;
        var (status, skipped, why) = await SubmitAsync(ruled, new { name = "No Consent", email = "no@consent.example", consent = "no" });
        Assert.That((status, skipped, why.GetProperty("rule").GetString()), Is.EqualTo(("skipped", "skipped", "consent not_equals yes")));
        Assert.That(Account.Contacts().Count, Is.EqualTo(contactsBefore), "nothing made");
    }

    [Test]
    public async Task Nothing_twice_an_answer_lost_after_kommo_made_the_contact_and_ten_submissions_of_one_person_at_once_on_two_workers()
    {
        var key = await ModuleAsync("Quote form", Settings());
        // Kommo makes the contact and its answer never arrives, as when the worker is killed mid-call: the retry finds it.
        _world.Sandbox.Faults.LoseWriteAnswers(1);
        var (status, outcome, result) = await SubmitAsync(key, new { name = "Iryna Lost", email = "iryna@lost.example" });
        Assert.That((status, outcome), Is.EqualTo(("done", "created")), result.ToString());
        Assert.That(Account.Contacts().Count(p => p.Emails.Any(e => e.Value == "iryna@lost.example")), Is.EqualTo(1), "one contact");
        Assert.That(await _worker.ScalarAsync<int>("SELECT attempts FROM etl.form_submission WHERE email = 'iryna@lost.example'"), Is.EqualTo(1), "one failed attempt, then done");

        // Ten submissions of one person at once, taken by two workers: one contact, one lead.
        await using var second = await InProcessWorker.StartAsync(_worker.ConnectionString, _world.Settings(Fast));
        var leadsBefore = Account.Leads().Count;
        var posts = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? _public : second.Client)
            .PostAsJsonAsync($"/forms/{key}/submissions", new { name = "Andriy Twin", email = "andriy@twin.example", phone = "+380 67 765 4321", attempt = i })).ToList();
        foreach (var response in await Task.WhenAll(posts)) Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        for (var waited = 0; waited < 300 && await _worker.ScalarAsync<long>("SELECT count(*) FROM etl.form_submission WHERE email = 'andriy@twin.example' AND status = 'queued'") > 0; waited++)
            await Task.Delay(100);
        Assert.That(await _worker.RowsAsync("SELECT concat_ws('|', status, outcome) FROM etl.form_submission WHERE email = 'andriy@twin.example' ORDER BY id"),
            Is.EqualTo(new[] { "done|created" }.Concat(Enumerable.Repeat("done|found", 9))));
        Assert.That(Account.Contacts().Count(p => p.Emails.Any(e => e.Value == "andriy@twin.example")), Is.EqualTo(1), "one contact");
        Assert.That(Account.Leads().Count, Is.EqualTo(leadsBefore + 1), "one lead");
    }

    [Test]
    public async Task Nothing_lost_kommo_down_for_a_while_delays_a_submission_which_is_written_once_it_is_back()
    {
        var key = await ModuleAsync("Callback form", Settings());
        _world.Sandbox.Faults.ServerErrorRate = 1;
        using var response = await _public.PostAsJsonAsync($"/forms/{key}/submissions", new { name = "Mykola Patient", phone = "+380 93 111 2233" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), "taken while Kommo is down");
        for (var waited = 0; waited < 100 && await _worker.ScalarAsync<int>("SELECT attempts FROM etl.form_submission WHERE phone = '+380931112233'") < 2; waited++)
            await Task.Delay(100);
        Assert.That(await _worker.ScalarAsync<string>("SELECT concat_ws('|', status, last_error) FROM etl.form_submission WHERE phone = '+380931112233'"),
            Does.StartWith("queued|Kommo failed on GET"), "put off, with Kommo's answer");
        _world.Sandbox.Faults.Clear();
        for (var waited = 0; waited < 100 && await _worker.ScalarAsync<string>("SELECT status FROM etl.form_submission WHERE phone = '+380931112233'") == "queued"; waited++)
            await Task.Delay(100);
        Assert.That(await _worker.ScalarAsync<string>("SELECT concat_ws('|', status, outcome) FROM etl.form_submission WHERE phone = '+380931112233'"), Is.EqualTo("done|created"));
        Assert.That(Account.Contacts().Count(p => p.Phones.Any(ph => ph.Value == "+380931112233")), Is.EqualTo(1));
    }

    [Test]
    public async Task In_the_crms_mode_kommos_own_duplicate_control_merges_a_known_contact_through_leads_complex_when_it_is_on()
    {
        var key = await ModuleAsync("Complex form", Settings() with { Duplicates = FormDuplicates.Crm });
        var (_, first, made) = await SubmitAsync(key, new { name = "Oksana Complex", email = "oksana@complex.example" });
        Assert.That(first, Is.EqualTo("created"), made.ToString());
        Assert.That(made.GetProperty("deal").GetProperty("merged").GetBoolean(), Is.False);

        _world.Sandbox.SetDuplicateControl("acme", true);
        try
        {
            var (_, second, merged) = await SubmitAsync(key, new { name = "Oksana C.", email = "OKSANA@complex.example" });
            Assert.That(second, Is.EqualTo("found"), merged.ToString());
            Assert.That(merged.GetProperty("deal").GetProperty("merged").GetBoolean(), Is.True, "Kommo merged it");
            Assert.That(Account.Contacts().Count(p => p.Emails.Any(e => string.Equals(e.Value, "oksana@complex.example", StringComparison.OrdinalIgnoreCase))), Is.EqualTo(1));
        }
        finally
        {
            _world.Sandbox.SetDuplicateControl("acme", false);
        }
        var (_, third, _) = await SubmitAsync(key, new { name = "Oksana Again", email = "oksana@complex.example", again = "1" });
        Assert.That(third, Is.EqualTo("created"), "with Kommo's control off, Kommo adds what it is sent");
        Assert.That(Account.Contacts().Count(p => p.Emails.Any(e => string.Equals(e.Value, "oksana@complex.example", StringComparison.OrdinalIgnoreCase))), Is.EqualTo(2));
    }
}
