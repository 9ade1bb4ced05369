using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Forms;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Storage.Forms;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Forms;

/// <summary>POST /forms/{key}/submissions over real HTTP into a real PostgreSQL: what is queued, once, and what is refused, naming why.</summary>
[NonParallelizable] // its tests share one worker and count its rows
public sealed class FormIntakeTests
{
    private InProcessWorker _worker = null!;
    private FormModule _module = null!;
    private readonly HttpClient _public = new();

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("forms"), new() { ["Forms:SubmissionsPerMinute"] = "8" });
        _public.BaseAddress = _worker.Client.BaseAddress;
        // No CRM is asked while a submission is taken: the instance's address is never called here.
        await _worker.Services.GetRequiredService<InstanceRepository>().AddAsync(
            new NewInstance("Acme", InstanceKinds.Kommo, "http://127.0.0.1:9", new InstanceCredentials("unused-token", null)), CancellationToken.None);
    }

    /// <summary>Each test posts to a module of its own: the allowance of submissions a minute is per module and address.</summary>
    [SetUp]
    public async Task ModuleAsync() =>
        _module = await _worker.Services.GetRequiredService<FormModules>().SaveAsync(TestContext.CurrentContext.Test.Name[..40], "Acme", new FormSettings(), CancellationToken.None);

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        _public.Dispose();
        await _worker.DisposeAsync();
    }

    private string Address(string? key = null) => $"/forms/{key ?? _module.Key}/submissions";

    private Task<long> RowsAsync() => _worker.ScalarAsync<long>("SELECT count(*) FROM etl.form_submission");

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadAsync(HttpResponseMessage response) =>
        (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);

    [Test]
    public async Task A_submission_is_queued_at_once_with_its_email_and_phone_normalised_and_a_repeated_post_queues_nothing_new()
    {
        var body = new { name = "Olena Koval", email = "  Olena.Koval@Example.COM ", phone = "040 555 0101", budget = "1500" };
        var (status, first) = await ReadAsync(await _public.PostAsJsonAsync(Address(), body));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted), first.ToString());
        Assert.That((first.GetProperty("status").GetString(), first.GetProperty("repeated").GetBoolean()), Is.EqualTo(("queued", false)));
        var id = first.GetProperty("id").GetInt64();
        Assert.That(await _worker.ScalarAsync<string>("SELECT concat_ws('|', email, phone, status, fields->>'budget') FROM etl.form_submission WHERE id = @id", new { id }),
            Is.EqualTo("olena.koval@example.com|+358405550101|queued|1500"), "the e-mail trimmed and lower-case, the phone in E.164 (the module's region FI)");

        var (again, second) = await ReadAsync(await _public.PostAsJsonAsync(Address(), body));
        Assert.That((again, second.GetProperty("id").GetInt64(), second.GetProperty("repeated").GetBoolean()), Is.EqualTo((HttpStatusCode.OK, id, true)), "a retried POST");

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "Taras", ["phone"] = "+380 44 123 4567" });
        using var keyed = new HttpRequestMessage(HttpMethod.Post, Address()) { Content = form };
        keyed.Headers.Add(FormEndpoints.IdempotencyHeader, "order-42");
        var (formStatus, fromForm) = await ReadAsync(await _public.SendAsync(keyed));
        Assert.That(formStatus, Is.EqualTo(HttpStatusCode.Accepted), fromForm.ToString());
        using var sameKey = new HttpRequestMessage(HttpMethod.Post, Address()) { Content = JsonContent.Create(new { phone = "+380 44 765 4321" }) };
        sameKey.Headers.Add(FormEndpoints.IdempotencyHeader, "order-42");
        var (_, keyedAgain) = await ReadAsync(await _public.SendAsync(sameKey));
        Assert.That(keyedAgain.GetProperty("id").GetInt64(), Is.EqualTo(fromForm.GetProperty("id").GetInt64()), "the key sent decides, whatever the body");
        Assert.That(await _worker.ScalarAsync<string>("SELECT phone FROM etl.form_submission WHERE idempotency_key = 'order-42'"), Is.EqualTo("+380441234567"));

        var listed = await _worker.Services.GetRequiredService<FormStore>().SubmissionsAsync("Acme", _module.Id, 10, CancellationToken.None);
        Assert.That(listed.Select(s => (s.Module, s.Status)).Distinct(), Is.EqualTo(new[] { (_module.Name, "queued") }));
    }

    [Test]
    public async Task Bad_submissions_get_a_clear_4xx_naming_what_is_wrong_and_nothing_is_queued()
    {
        var before = await RowsAsync();
        async Task<string> RefusedAsync(HttpStatusCode expected, HttpRequestMessage request)
        {
            using var response = await _public.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(expected), text);
            return JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
        }
        HttpRequestMessage Post(object body, string? key = null) => new(HttpMethod.Post, Address(key)) { Content = JsonContent.Create(body) };

        Assert.That(await RefusedAsync(HttpStatusCode.NotFound, Post(new { email = "a@example.com" }, "no-such-module")), Does.Contain("There is no form module with this key"));
        Assert.That(await RefusedAsync(HttpStatusCode.BadRequest, Post(new { name = "Nobody" })), Does.Contain("Give an e-mail address or a phone number"));
        Assert.That(await RefusedAsync(HttpStatusCode.BadRequest, Post(new { email = "not-an-address", phone = "call me" })),
            Does.Contain("'not-an-address' is not an e-mail address").And.Contain("'call me' is not a phone number"));
        Assert.That(await RefusedAsync(HttpStatusCode.BadRequest, Post(new { phone = "+358 1" })), Does.Contain("'+358 1' is not a").And.Contain("phone number"));
        Assert.That(await RefusedAsync(HttpStatusCode.BadRequest, Post(new { email = "a@example.com", extra = new { nested = true } })), Does.Contain("'extra' is not a plain value"));
        Assert.That(await RefusedAsync(HttpStatusCode.RequestEntityTooLarge, Post(new { email = "a@example.com", note = new string('x', 1024 * 1024) })), Does.Contain("larger than 64 KB"));
        Assert.That(await RefusedAsync(HttpStatusCode.UnsupportedMediaType, new HttpRequestMessage(HttpMethod.Post, Address()) { Content = new StringContent("email=a@example.com") }),
            Does.Contain("application/json or application/x-www-form-urlencoded"));
        Assert.That(await RefusedAsync(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Post, Address()) { Content = new StringContent("{\"email\":", System.Text.Encoding.UTF8, "application/json") }),
            Does.Contain("not valid JSON"));
        Assert.That(await RowsAsync(), Is.EqualTo(before), "nothing queued");
    }

    [Test]
    public async Task A_flood_from_one_address_is_refused_with_429_after_the_minutes_allowance()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await _public.PostAsJsonAsync(Address(), new { email = $"flood{i}@example.com" });
            statuses.Add(response.StatusCode);
        }
        Assert.That(statuses.Count(s => s == HttpStatusCode.TooManyRequests), Is.GreaterThanOrEqualTo(4), string.Join(",", statuses));
        Assert.That(await _worker.ScalarAsync<long>("SELECT count(*) FROM etl.form_submission WHERE email LIKE 'flood%'"), Is.EqualTo(statuses.Count(s => s == HttpStatusCode.Accepted)));
    }

    [Test]
    public async Task The_api_adds_lists_and_removes_modules_naming_every_problem_of_bad_settings()
    {
        using var added = await _worker.Client.PostAsJsonAsync("/api/forms", new
        {
            name = "Api form", instance = "Acme",
            settings = new { defaultRegion = "UA", deal = new { name = "Lead {{name}}", budget = "{{budget}}" }, move = new { fromStageId = 1, toStageId = 2 } },
        });
        var body = JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement;
        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        var path = body.GetProperty("submissionPath").GetString()!;
        using var submitted = await _public.PostAsJsonAsync(path, new { phone = "044 123 4567" });
        Assert.That(submitted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), "its address takes submissions");
        var listed = JsonDocument.Parse(await _worker.Client.GetStringAsync("/api/forms?company=Acme")).RootElement;
        Assert.That(listed.EnumerateArray().Select(m => m.GetProperty("name").GetString()), Does.Contain("Api form"));
        var submissions = JsonDocument.Parse(await _worker.Client.GetStringAsync($"/api/forms/submissions?module={body.GetProperty("id").GetInt32()}")).RootElement;
        Assert.That(submissions.EnumerateArray().Select(x => (x.GetProperty("phone").GetString(), x.GetProperty("status").GetString())), Is.EqualTo(new[] { ("+380441234567", "queued") }));

        using var bad = await _worker.Client.PostAsJsonAsync("/api/forms", new
        {
            name = "Bad form", instance = "Nowhere",
            settings = new { duplicates = "maybe", defaultRegion = "XX", rules = new[] { new { field = "x", @operator = "bigger", value = "1", run = false } } },
        });
        var problems = await bad.Content.ReadAsStringAsync();
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), problems);
        Assert.That(problems, Does.Contain("There is no instance 'Nowhere'").And.Contain("duplicates 'maybe' is not one of ours, crm, none")
            .And.Contain("defaultRegion 'XX'").And.Contain("operator 'bigger' is not one of"));

        await _worker.Services.GetRequiredService<InstanceRepository>().AddAsync(
            new NewInstance("Acme Sweden", InstanceKinds.Pipedrive, "http://127.0.0.1:9", new InstanceCredentials("unused-token", null)), CancellationToken.None);
        using var noControl = await _worker.Client.PostAsJsonAsync("/api/forms", new { name = "Swedish form", instance = "Acme Sweden", settings = new { duplicates = "crm", deal = new { name = "Web" } } });
        var refusal = await noControl.Content.ReadAsStringAsync();
        Assert.That(noControl.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), refusal);
        Assert.That(refusal, Does.Contain("duplicates 'crm': Pipedrive has no duplicate control of its own"));

        using var removed = await _worker.Client.DeleteAsync($"/api/forms/{body.GetProperty("id").GetInt32()}");
        Assert.That(removed.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using var gone = await _public.PostAsJsonAsync(path, new { phone = "044 123 4567" });
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a removed module's address answers 404");
    }
}
