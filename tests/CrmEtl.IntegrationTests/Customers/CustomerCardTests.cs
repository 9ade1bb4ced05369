using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrmEtl.Core.Configuration;
using CrmEtl.Core.Customers;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Metrics;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Customers;
using CrmEtl.Host.Sync;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Storage.Configuration;
using CrmEtl.Storage.Customers;
using CrmEtl.Storage.Instances;
using CrmEtl.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Customers;

/// <summary>
/// The customer card over real HTTP, from a replica synced from each CRM's sandbox: customers added to the account
/// with exactly the e-mails, deals and activities of each case, then one full sync.
/// </summary>
[TestFixture(InstanceKinds.Pipedrive)]
[Parallelizable] // each CRM's fixture has its own sandbox, database and worker; its tests share them, one at a time
[TestFixture(InstanceKinds.Zoho)]
[TestFixture(InstanceKinds.Kommo)]
public sealed class CustomerCardTests(string kind)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;
    private PipedriveSandbox? _pipedrive;
    private ZohoSandbox? _zoho;
    private KommoSandbox? _kommo;
    private InProcessWorker _worker = null!;
    private string _zone = "";
    private DateOnly _localToday;
    private DateTimeOffset _now;
    private AddedCustomer _ann = null!, _nodeal = null!;
    private List<AddedCustomer> _team = [];
    private string _secret = "";

    private bool Zoho => kind == InstanceKinds.Zoho;
    private bool Kommo => kind == InstanceKinds.Kommo;
    private PipedriveCompany Data => Zoho ? _zoho!.Orgs[0].Data : Kommo ? _kommo!.Accounts[0].Data : _pipedrive!.Companies[0];
    private Sandbox.Faults Faults => Zoho ? _zoho!.Faults : Kommo ? _kommo!.Faults : _pipedrive!.Faults;

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _now = TestClock.Clock.GetUtcNow();
        // A zone whose date differs from UTC's now: an all-day activity due there today is not due today by UTC's date.
        _zone = _now.UtcDateTime.Hour >= 10 ? "Pacific/Kiritimati" : "Pacific/Pago_Pago";
        _localToday = LocalDates.Of(_now, _zone);
        Assert.That(_localToday, Is.Not.EqualTo(DateOnly.FromDateTime(_now.UtcDateTime)), "the zone's date must differ from UTC's");

        string baseUrl;
        InstanceCredentials credentials;
        if (Zoho)
        {
            _zoho = await ZohoSandbox.StartAsync(new ZohoSandboxOptions { Orgs = [ZohoWorld.DefaultOrg with { Deals = 150, Activities = 300, Leads = 20 }], Clock = TestClock.Clock, AsOf = TestClock.Now });
            var org = _zoho.Orgs[0].Options;
            (baseUrl, credentials) = (_zoho.AccountsUrl("eu"), InstanceCredentials.OAuth(org.ClientId, org.ClientSecret, org.RefreshToken));
        }
        else if (Kommo)
        {
            _kommo = await KommoSandbox.StartAsync(new KommoSandboxOptions { Accounts = [KommoWorld.DefaultAccount with { Deals = 150, Activities = 300 }], Clock = TestClock.Clock, AsOf = TestClock.Now });
            var account = _kommo.Accounts[0];
            (baseUrl, credentials) = (account.BaseUrl, InstanceCredentials.OAuth(account.Options.ClientId, account.Options.ClientSecret, account.Options.RefreshToken!));
        }
        else
        {
            _pipedrive = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
            {
                Companies = [new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 3, Deals = 150, Activities = 300, Leads = 20 }],
                Clock = TestClock.Clock, AsOf = TestClock.Now,
            });
            (baseUrl, credentials) = (_pipedrive.BaseUrl, new InstanceCredentials("good-token", null));
        }

        var utcNow = _now.UtcDateTime;
        var expiredAt = utcNow.AddHours(-2);
        _ann = Add(new CustomerCase("Ann", "Virta", ["ann.virta@kivi.example", "Ann.Home@Example.org", "ann@third.example"], ["+358 40 111 2222", "+358 9 333 4444"],
            [
                new CaseDeal("Kivi licence", 1200m, "EUR", utcNow.AddDays(-1), Stage: 2, Activities:
                [
                    new CaseActivity("Call back about the quote", "call", DateOnly.FromDateTime(expiredAt), TimeOnly.FromDateTime(expiredAt)),
                    new CaseActivity("Prepare the contract", "task", _localToday),
                    new CaseActivity("Old call, done", "call", DateOnly.FromDateTime(expiredAt.AddDays(-1)), TimeOnly.FromDateTime(expiredAt), Done: true),
                ]),
                new CaseDeal("Kivi support", 500m, "USD", utcNow.AddDays(-2), Status: "won", Activities:
                [
                    new CaseActivity("Kick-off meeting", "meeting", _localToday),
                    new CaseActivity("Deleted call", "call", DateOnly.FromDateTime(expiredAt), TimeOnly.FromDateTime(expiredAt), Deleted: true),
                ]),
                new CaseDeal("Kivi pilot", 10_000m, "SEK", utcNow.AddDays(-3), Status: "lost", Activities:
                [
                    new CaseActivity("Follow-up e-mail", "email", _localToday.AddDays(3)),
                ]),
                new CaseDeal("Kivi hardware", 1_000_000m, "JPY", utcNow.AddDays(-10)),
                new CaseDeal("Kivi mistake", 99m, "EUR", utcNow.AddMinutes(-5), Deleted: true),
            ], Organization: "Kivi Software Oy"));
        _team =
        [
            Add(new CustomerCase("Pekka", "One", ["team@nordic.example", "pekka@nordic.example"], Deals: [new CaseDeal("Nordic pilot", 100m, "EUR", utcNow.AddDays(-5))])),
            Add(new CustomerCase("Liisa", "Two", ["Team@Nordic.example"], Deals:
                [new CaseDeal("Nordic licence", 200m, "EUR", utcNow.AddDays(-4)), new CaseDeal("Nordic support", 300m, "GBP", utcNow.AddDays(-1))])),
            Add(new CustomerCase("Oskar", "Three", [" team@nordic.example"], Deals: [new CaseDeal("Nordic upgrade", 50m, "EUR", utcNow.AddDays(-6))])),
        ];
        _nodeal = Add(new CustomerCase("Sofia", "Nodeal", ["sofia@nodeal.example"]));

        _worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("card"));
        await _worker.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance("Acme", kind, baseUrl, credentials, TimeZone: _zone), CancellationToken.None);
        var outcome = await _worker.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Full, CancellationToken.None);
        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        await _worker.Services.GetRequiredService<ConfigurationStore>().SaveRatesAsync("Acme",
            [new ExchangeRateRow("USD", "EUR", new DateOnly(2020, 1, 1), 0.9m), new ExchangeRateRow("SEK", "EUR", new DateOnly(2020, 1, 1), 0.09m)], CancellationToken.None);
        (_, _secret) = await _worker.Services.GetRequiredService<WidgetKeyStore>().CreateAsync("Acme", "Helpdesk", [], [], "test", CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        await _worker.DisposeAsync();
        if (_pipedrive is not null) await _pipedrive.DisposeAsync();
        if (_zoho is not null) await _zoho.DisposeAsync();
        if (_kommo is not null) await _kommo.DisposeAsync();
    }

    private AddedCustomer Add(CustomerCase c) =>
        Zoho ? _zoho!.AddCustomer(_zoho.Orgs[0].Options.Name, c) : Kommo ? _kommo!.AddCustomer("acme", c) : _pipedrive!.AddCustomer("acme", c);

    private long ContactId(AddedCustomer c) => Zoho ? _zoho!.Orgs[0].ContactId(c.Person) : Kommo ? _kommo!.Accounts[0].ContactId(c.Person.Id) : c.Person.Id;
    private long DealId(SbDeal d) => Zoho ? _zoho!.Orgs[0].DealId(d) : Kommo ? _kommo!.Accounts[0].LeadId(d) : d.Id;
    private string ContactLink(AddedCustomer c) => Zoho
        ? $"{_zoho!.AccountsUrl("eu").TrimEnd('/')}/crm/org{_zoho.Orgs[0].OrgId}/tab/Contacts/{ContactId(c)}"
        : Kommo ? $"{_kommo!.Accounts[0].BaseUrl.TrimEnd('/')}/contacts/detail/{ContactId(c)}"
        : $"https://acme.pipedrive.com/person/{c.Person.Id}";
    private string DealLink(SbDeal d) => Zoho
        ? $"{_zoho!.AccountsUrl("eu").TrimEnd('/')}/crm/org{_zoho.Orgs[0].OrgId}/tab/Potentials/{DealId(d)}"
        : Kommo ? $"{_kommo!.Accounts[0].BaseUrl.TrimEnd('/')}/leads/detail/{DealId(d)}"
        : $"https://acme.pipedrive.com/deal/{d.Id}";

    private Task<CustomerCard> CardAsync(params string[] emails) => CardAsync(false, emails);

    private Task<CustomerCard> FreshCardAsync(params string[] emails) => CardAsync(true, emails);

    private async Task<CustomerCard> CardAsync(bool fresh, string[] emails)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/customers/card?" + string.Join('&', emails.Select(e => "email=" + Uri.EscapeDataString(e))) + (fresh ? "&fresh=true" : ""));
        request.Headers.Add("X-Widget-Key", _secret);
        using var response = await _worker.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<CustomerCard>(Json))!;
    }

    [Test]
    public async Task One_contact_with_several_emails_shows_the_same_card_for_each_of_them()
    {
        // Zoho keeps two e-mails a contact (Email, Secondary_Email).
        var emails = Zoho ? new[] { "ann.virta@kivi.example", " ANN.HOME@example.org " } : ["ann.virta@kivi.example", " ANN.HOME@example.org ", "ann@third.example"];
        foreach (var email in emails)
        {
            var card = await CardAsync(email);
            Assert.That(card.Contacts.Select(c => (c.Id, c.Name, c.Organization, c.Link)), Is.EqualTo(new[] { (ContactId(_ann), "Ann Virta", (string?)"Kivi Software Oy", (string?)ContactLink(_ann)) }), email);
            Assert.That(card.Contacts[0].Phones.Select(p => p.Value), Is.EqualTo(new[] { "+358 40 111 2222", "+358 9 333 4444" }), email);
            Assert.That(card.LatestDeals.Select(d => d.Title), Is.EqualTo(new[] { "Kivi licence", "Kivi support", "Kivi pilot" }), email + ": the three latest, the deleted one left out");
            Assert.That(card.DealCount, Is.EqualTo(4), email);
        }
    }

    [Test]
    public async Task Latest_deals_show_their_stage_link_and_the_colour_of_their_most_critical_activity()
    {
        var card = await CardAsync("ann.virta@kivi.example");
        var zone = TimeZoneInfo.FindSystemTimeZoneById(_zone);
        var expired = _ann.Activities.First(a => a.Subject == "Call back about the quote");
        var expiredLocal = TimeZoneInfo.ConvertTime(new DateTimeOffset(expired.DueDate.ToDateTime(expired.DueTime!.Value), TimeSpan.Zero), zone);
        var deals = _ann.Deals.Take(3).ToList();
        var stages = Data.Stages.Where(s => s.PipelineId == Data.Pipelines[0].Id).OrderBy(s => s.OrderNr).ToList();
        Assert.That(card.LatestDeals.Select(d => (d.Id, d.Link, d.Status, d.Circle, d.Activity?.Subject, d.Activity?.Deadline)), Is.EqualTo(new (long, string?, string, string?, string?, string?)[]
        {
            (DealId(deals[0]), DealLink(deals[0]), "open", "red", "Call back about the quote", expiredLocal.ToString("HH:mm yyyy-MM-dd", Inv)),
            (DealId(deals[1]), DealLink(deals[1]), "won", "green", "Kick-off meeting", _localToday.ToString("yyyy-MM-dd", Inv)),
            (DealId(deals[2]), DealLink(deals[2]), "lost", "grey", "Follow-up e-mail", _localToday.AddDays(3).ToString("yyyy-MM-dd", Inv)),
        }));
        Assert.That(card.LatestDeals[0].Stage, Is.EqualTo(stages[2].Name));
        Assert.That(card.LatestDeals[0].Pipeline, Is.EqualTo(Data.Pipelines[0].Name));
        // Zoho's won deals are in Closed Won, Kommo's in its status 142; Pipedrive's keep the stage they were won in.
        Assert.That(card.LatestDeals[1].Stage, Is.EqualTo(Zoho ? "Closed Won" : Kommo ? "Closed - won" : stages[0].Name));
    }

    [Test]
    public async Task The_budget_adds_every_currency_and_converts_with_the_companys_rates_naming_a_missing_one()
    {
        var budget = (await CardAsync("ann.virta@kivi.example")).Budget;
        if (Kommo)
        {
            // A Kommo lead's price is in the account's currency (the sandbox converted each case's value into EUR when it added it).
            var prices = _ann.Deals.Take(4).Sum(d => KommoPrice(d));
            Assert.That(budget.Currencies.Select(l => (l.Currency, l.Amount, l.Rate, l.Converted)), Is.EqualTo(new (string, decimal, decimal?, decimal?)[] { ("EUR", prices, 1m, prices) }));
            Assert.That((budget.ReportingCurrency, budget.Total, budget.Complete), Is.EqualTo(("EUR", prices, true)));
            return;
        }
        Assert.That(budget.Currencies.Select(l => (l.Currency, l.Amount, l.Rate, l.Converted)), Is.EqualTo(new (string, decimal, decimal?, decimal?)[]
        {
            ("EUR", 1200m, 1m, 1200m), ("JPY", 1_000_000m, null, null), ("SEK", 10_000m, 0.09m, 900m), ("USD", 500m, 0.9m, 450m),
        }));
        Assert.That((budget.ReportingCurrency, budget.Total, budget.Complete, budget.MissingRates), Is.EqualTo(("EUR", 2550m, false, (IReadOnlyList<string>)["JPY"])));
    }

    [Test]
    public async Task Several_contacts_sharing_an_email_all_show_with_the_latest_deals_and_budget_of_them_all()
    {
        var card = await CardAsync("team@nordic.example");
        Assert.That(card.Contacts.Select(c => c.Name), Is.EqualTo(new[] { "Liisa Two", "Oskar Three", "Pekka One" }));
        Assert.That(card.LatestDeals.Select(d => d.Title), Is.EqualTo(new[] { "Nordic support", "Nordic licence", "Nordic pilot" }));
        Assert.That(card.DealCount, Is.EqualTo(4));
        if (Kommo) Assert.That(card.Budget.Currencies.Select(l => (l.Currency, l.Amount)), Is.EqualTo(new[] { ("EUR", _team.SelectMany(t => t.Deals).Sum(KommoPrice)) }));
        else
        {
            Assert.That(card.Budget.Currencies.Select(l => (l.Currency, l.Amount)), Is.EqualTo(new[] { ("EUR", 350m), ("GBP", 300m) }));
            Assert.That(card.Budget.MissingRates, Is.EqualTo(new[] { "GBP" }));
        }
        Assert.That(card.LatestDeals.All(d => d.Circle is null), "deals without planned activities have no circle");

        var two = await CardAsync("pekka@nordic.example", "sofia@nodeal.example");
        Assert.That(two.Contacts.Select(c => c.Name), Is.EqualTo(new[] { "Pekka One", "Sofia Nodeal" }), "a helpdesk customer with two e-mails");
    }

    [Test]
    public async Task A_contact_without_deals_shows_with_a_link_to_create_one_and_an_unknown_email_shows_nobody()
    {
        var card = await CardAsync("sofia@nodeal.example");
        Assert.That(card.Contacts.Select(c => (c.Name, c.Link)), Is.EqualTo(new[] { ("Sofia Nodeal", (string?)ContactLink(_nodeal)) }));
        Assert.That(card.Contacts[0].NewDealLink, Does.StartWith(Zoho ? ContactLink(_nodeal)[..ContactLink(_nodeal).IndexOf("/tab/", StringComparison.Ordinal)]
            : Kommo ? _kommo!.Accounts[0].BaseUrl.TrimEnd('/') + "/leads/add/" : ContactLink(_nodeal)));
        Assert.That((card.LatestDeals.Count, card.DealCount, card.Budget.Total), Is.EqualTo((0, 0, 0m)));

        var nobody = await CardAsync("nobody@nowhere.example");
        Assert.That((nobody.Contacts.Count, nobody.LatestDeals.Count), Is.EqualTo((0, 0)));
        Assert.That(nobody.Sources.Select(s => (s.Instance, s.From)), Is.EqualTo(new[] { ("Acme", "replica") }));
        Assert.That(nobody.Sources[0].AgeSeconds, Is.GreaterThanOrEqualTo(0).And.LessThan(600), "the replica's age");
    }

    private IReadOnlyDictionary<string, int> Calls() => Zoho ? _zoho!.CallsTo(_zoho.Orgs[0].Options.Name) : Kommo ? _kommo!.CallsTo("acme") : _pipedrive!.CallsTo("acme");

    private void ResetCalls()
    {
        if (Zoho) _zoho!.ResetCallCounts();
        else if (Kommo) _kommo!.ResetCallCounts();
        else _pipedrive!.ResetCallCounts();
    }

    /// <summary>What the Kommo sandbox shows as a case deal's price: its value in the account's currency, as its lead lists it.</summary>
    private decimal KommoPrice(SbDeal deal) => _kommo!.Accounts[0].PriceOf(deal);

    private async Task<int> SpentTodayAsync()
    {
        await using var connection = await _worker.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().OpenConnectionAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<int?>(connection, "SELECT sum(spent)::int FROM etl.card_budget") ?? 0;
    }

    [Test]
    public async Task A_fresh_card_reads_the_customer_from_the_crm_first_keeps_it_a_while_and_spends_only_its_calls()
    {
        var expiredAt = _now.UtcDateTime.AddHours(-1);
        var late = Add(new CustomerCase("Lauri", "Late", ["lauri@late.example"], ["+358 44 000 1111"], [
            new CaseDeal("Late licence", 700m, "EUR", _now.UtcDateTime.AddHours(-3), Activities: [new CaseActivity("Call Lauri", "call", DateOnly.FromDateTime(expiredAt), TimeOnly.FromDateTime(expiredAt))]),
            new CaseDeal("Late support", 300m, "USD", _now.UtcDateTime.AddHours(-2)),
        ]));
        var stale = await CardAsync("lauri@late.example");
        Assert.That((stale.Contacts.Count, stale.Sources[0].From), Is.EqualTo((0, "replica")), "added after the sync: not in the replica");

        ResetCalls();
        var spentBefore = await SpentTodayAsync();
        var fresh = await FreshCardAsync("Lauri@Late.example");
        Assert.That(fresh.Contacts.Select(c => (c.Id, c.Name, c.Link)), Is.EqualTo(new[] { (ContactId(late), "Lauri Late", (string?)ContactLink(late)) }), fresh.Sources[0].Note);
        Assert.That(fresh.LatestDeals.Select(d => (d.Title, d.Link, d.Circle)), Is.EqualTo(new[] { ("Late support", (string?)DealLink(late.Deals[1]), (string?)null), ("Late licence", DealLink(late.Deals[0]), "red") }));
        Assert.That(fresh.LatestDeals[1].Stage, Is.EqualTo(Data.Stages.Where(s => s.PipelineId == Data.Pipelines[0].Id).OrderBy(s => s.OrderNr).First().Name), "stage names from the replica");
        Assert.That((fresh.Budget.Total, fresh.DealCount), Is.EqualTo((Kommo ? late.Deals.Sum(KommoPrice) : 970m, 2)));
        Assert.That((fresh.Sources[0].From, fresh.Sources[0].AgeSeconds, fresh.Sources[0].Note), Is.EqualTo(("crm", (double?)0, (string?)null)));
        var calls = Calls();
        var expected = Zoho
            ? new Dictionary<string, int> { ["GET /crm/v8/{module}/search"] = 1, ["GET /crm/v8/{module}/{id}/{related}"] = 3 }
            : Kommo ? new Dictionary<string, int> { ["GET /api/v4/contacts"] = 1, ["GET /api/v4/leads"] = 1, ["GET /api/v4/tasks"] = 1, ["GET /api/v4/account"] = 1 }
            : new Dictionary<string, int> { ["v2 GET /persons/search"] = 1, ["v2 GET /persons"] = 1, ["v2 GET /deals"] = 1, ["v2 GET /activities"] = 2 };
        Assert.That(calls.Where(c => c.Value > 0).OrderBy(c => c.Key, StringComparer.Ordinal), Is.EqualTo(expected.OrderBy(c => c.Key, StringComparer.Ordinal)));
        Assert.That(await SpentTodayAsync() - spentBefore, Is.EqualTo(Zoho || Kommo ? 4 : 20 + 10 + 10 + 2 * 10), "the calls' cost, the unused reserve given back");

        ResetCalls();
        var kept = await FreshCardAsync("lauri@late.example");
        Assert.That((kept.Contacts.Count, kept.LatestDeals.Count, kept.Sources[0].From, Calls().Values.Sum()), Is.EqualTo((1, 2, "crm", 0)), "kept a while: no call");
        var replica = await CardAsync("lauri@late.example");
        Assert.That(replica.Contacts.Select(c => c.Name), Is.EqualTo(new[] { "Lauri Late" }), "the contact went into the replica");
    }

    [Test]
    public async Task A_fresh_card_falls_back_to_the_replica_saying_why_when_the_crm_fails_or_the_budget_share_is_spent()
    {
        var faults = Faults;
        faults.AddServerErrors(1000);
        CustomerCard down;
        try { down = await FreshCardAsync("sofia@nodeal.example"); }
        finally { faults.Clear(); }
        Assert.That(down.Contacts.Select(c => c.Name), Is.EqualTo(new[] { "Sofia Nodeal" }), "the replica's card");
        Assert.That(down.Sources[0].From, Is.EqualTo("replica"));
        // Pipedrive's 5xx are retried with back-off until Customers:FreshTimeout (3 s) is up: the agent waits no longer.
        Assert.That(down.Sources[0].Note, Does.Match(@"^Acme did not answer (now \(|within 3 s)").And.Match(@"showing the replica as of \d+ (s|min) ago\.$"));

        await using var connection = await _worker.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().OpenConnectionAsync();
        // Today's and tomorrow's (UTC) shares spent: the pinned runs at 23:59 may cross midnight before the card is asked for.
        var today = DateOnly.FromDateTime(_worker.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime);
        await Dapper.SqlMapper.ExecuteAsync(connection, """
            INSERT INTO etl.card_budget (instance_id, day, spent) SELECT i.id, d.day, 1000000 FROM etl.instance i, (VALUES (@today), (@tomorrow)) d (day)
            ON CONFLICT (instance_id, day) DO UPDATE SET spent = 1000000
            """, new { today, tomorrow = today.AddDays(1) });
        try
        {
            ResetCalls();
            var spent = await FreshCardAsync("team@nordic.example");
            Assert.That(spent.Contacts.Count, Is.EqualTo(3));
            Assert.That(spent.Sources[0].Note, Does.StartWith($"Acme: today's share of the API budget for fresh cards ({(Zoho ? 250 : Kommo ? 2500 : 1500)} units) is spent: showing the replica as of"));
            // (The CRM's web address, not read while it was down, is read now: it is not part of the customer.)
            Assert.That(Calls().Keys.Where(k => !k.EndsWith("/users/me", StringComparison.Ordinal) && !k.EndsWith("/crm/v8/org", StringComparison.Ordinal) && !k.EndsWith("/api/v4/account", StringComparison.Ordinal)),
                Is.Empty, "nothing asked of the CRM");
        }
        finally
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "DELETE FROM etl.card_budget");
        }
    }

    private async Task<HttpResponseMessage> AddAsync(object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/customers") { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Widget-Key", _secret);
        return await _worker.Client.SendAsync(request);
    }

    private int PeopleWith(string email)
    {
        // Read when no request is in flight.
        return Data.Persons.Count(p => !p.IsDeleted && p.Emails.Any(e => string.Equals(e.Value, email, StringComparison.OrdinalIgnoreCase)));
    }

    [Test]
    public async Task Adding_a_contact_creates_it_once_links_it_and_the_card_shows_it_at_once()
    {
        using var first = await AddAsync(new { name = "Eero Uusi", emails = new[] { "eero@uusi.example" }, phones = new[] { "+358 40 555 0101" } });
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created), await first.Content.ReadAsStringAsync());
        var added = (await first.Content.ReadFromJsonAsync<AddContactResult>(Json))!;
        Assert.That(PeopleWith("eero@uusi.example"), Is.EqualTo(1));
        Assert.That(added.Link, Does.EndWith("/" + added.ContactId).And.StartWith(Zoho ? _zoho!.AccountsUrl("eu").TrimEnd('/') + "/crm/org"
            : Kommo ? _kommo!.Accounts[0].BaseUrl.TrimEnd('/') + "/contacts/detail/" : "https://acme.pipedrive.com/person/"));
        Assert.That(first.Headers.Location?.ToString(), Is.EqualTo(added.Link));
        Assert.That((await CardAsync("eero@uusi.example")).Contacts.Select(c => (c.Id, c.Name, c.Phones[0].Value)), Is.EqualTo(new[] { (added.ContactId, "Eero Uusi", "+358 40 555 0101") }),
            "the card shows the new contact before any sync");

        using var again = await AddAsync(new { name = "Eero Uusi", emails = new[] { " EERO@uusi.example" } });
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a second press finds the contact");
        var second = (await again.Content.ReadFromJsonAsync<AddContactResult>(Json))!;
        Assert.That((second.Created, second.ContactId, PeopleWith("eero@uusi.example")), Is.EqualTo((false, added.ContactId, 1)));
        Assert.That(second.Message, Does.Contain("already has a contact with eero@uusi.example"));
    }

    [Test]
    public async Task Ten_presses_at_once_and_an_answer_lost_after_the_crm_created_the_contact_still_make_one_contact()
    {
        var presses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => AddAsync(new { name = "Twin Press", emails = new[] { "twin@press.example" } })));
        Assert.That(presses.Select(p => p.StatusCode).Order(), Is.EqualTo(Enumerable.Repeat(HttpStatusCode.OK, 9).Prepend(HttpStatusCode.Created).Order()));
        Assert.That(PeopleWith("twin@press.example"), Is.EqualTo(1));

        // The CRM creates the contact, and the answer never arrives (as when the worker is killed mid-call).
        var faults = Faults;
        faults.LoseWriteAnswers(1);
        using var lost = await AddAsync(new { name = "Lost Answer", emails = new[] { "lost@answer.example" } });
        Assert.That(lost.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway), await lost.Content.ReadAsStringAsync());
        Assert.That(await lost.Content.ReadAsStringAsync(), Does.Contain("press again"));
        Assert.That(PeopleWith("lost@answer.example"), Is.EqualTo(1), "the CRM did create it");
        using var retry = await AddAsync(new { name = "Lost Answer", emails = new[] { "lost@answer.example" } });
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK), await retry.Content.ReadAsStringAsync());
        Assert.That(PeopleWith("lost@answer.example"), Is.EqualTo(1), "found in the CRM, not created again");
        Assert.That((await CardAsync("lost@answer.example")).Contacts.Select(c => c.Name), Is.EqualTo(new[] { "Lost Answer" }));
    }

    [Test]
    public async Task A_bad_contact_is_refused_with_every_problem_named_and_nothing_is_created()
    {
        using var response = await AddAsync(new { name = " ", emails = new[] { "not-an-address", "ok@bad.example" }, phones = new[] { "call me" } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain("Give the contact's name.").And.Contain("'not-an-address' is not an e-mail address").And.Contain("'call me' is not a phone number"));
        Assert.That(PeopleWith("ok@bad.example"), Is.Zero);

        if (!Zoho) return;
        // A refresh token granted before adding contacts existed: Zoho refuses the write for its scope.
        var org = _zoho!.Orgs[0];
        org.Scopes = ZohoScopes.All.Where(s => s != ZohoScopes.ContactsCreate).ToList();
        try
        {
            using var refused = await AddAsync(new { name = "No Scope", emails = new[] { "noscope@bad.example" } });
            var text = await refused.Content.ReadAsStringAsync();
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway), text);
            Assert.That(text, Does.Contain("refused CrmEtl's access, so the contact was not added").And.Contain("lacks the scope ZohoCRM.modules.contacts.CREATE")
                .And.Not.Contain("press again ("));
            Assert.That(PeopleWith("noscope@bad.example"), Is.Zero);
        }
        finally
        {
            org.Scopes = ZohoScopes.All;
        }
    }

    [Test]
    public async Task The_widget_in_a_helpdesks_frame_shows_circles_tooltips_and_links_and_adds_a_contact_once()
    {
        await using var browser = await WebConsole.ConsoleBrowser.OpenAsync(_worker.Client.BaseAddress!);
        var widget = $"{_worker.Client.BaseAddress}widget/customer?key={Uri.EscapeDataString(_secret)}&agent=42";
        // The helpdesk's ticket page, served from another origin on loopback, frames the widget.
        await using var helpdesk = await HelpdeskPage.StartAsync();
        async Task OpenTicketAsync(string email)
        {
            helpdesk.Html = $"<html><body><h1>Ticket</h1><iframe id=card style='width:420px;height:420px' src='{widget}&email={Uri.EscapeDataString(email)}'></iframe></body></html>";
            await browser.Page.GotoAsync(helpdesk.Address + "/ticket");
        }
        await OpenTicketAsync("ann.virta@kivi.example");
        var frame = browser.Page.FrameLocator("#card");

        var zone = TimeZoneInfo.FindSystemTimeZoneById(_zone);
        var expired = _ann.Activities.First(a => a.Subject == "Call back about the quote");
        var expiredAt = TimeZoneInfo.ConvertTime(new DateTimeOffset(expired.DueDate.ToDateTime(expired.DueTime!.Value), TimeSpan.Zero), zone).ToString("HH:mm yyyy-MM-dd", Inv);
        var circles = frame.Locator(".widget-deal .circle");
        await Microsoft.Playwright.Assertions.Expect(circles).ToHaveCountAsync(3);
        Assert.That(await circles.EvaluateAllAsync<string[]>("cs => cs.map(c => c.className + '|' + c.title)"), Is.EqualTo(new[]
        {
            $"circle circle-red|Call back about the quote — {expiredAt} (expired)",
            $"circle circle-green|Kick-off meeting — {_localToday.ToString("yyyy-MM-dd", Inv)} (today)",
            $"circle circle-grey|Follow-up e-mail — {_localToday.AddDays(3).ToString("yyyy-MM-dd", Inv)}",
        }));
        Assert.That(await frame.Locator(".widget-deal a").EvaluateAllAsync<string[]>("links => links.map(a => a.textContent + '|' + a.href)"),
            Is.EqualTo(_ann.Deals.Take(3).Select(d => $"{d.Title}|{DealLink(d)}")));
        Assert.That(await frame.Locator(".widget-contact a").GetAttributeAsync("href"), Is.EqualTo(ContactLink(_ann)));
        Assert.That(await frame.Locator(".widget-budget").InnerTextAsync(), Kommo
            ? Does.Contain($"{_ann.Deals.Take(4).Sum(KommoPrice).ToString("N0", Inv)} EUR") // Kommo: one currency, the account's
            : Does.Contain("≈ 2,550 EUR").And.Contain("no rate for JPY"));
        if (kind == InstanceKinds.Pipedrive) await browser.ScreenshotAsync("widget", Path.Combine(Repository.Root, "docs", "widget-customer.png"));

        // A customer the CRM does not know: the agent adds them, twice in a hurry; the CRM gets one contact, the card shows it.
        await OpenTicketAsync("newbie@widget.example");
        await frame.GetByLabel("Name").FillAsync("Nina Newbie");
        await frame.GetByLabel("Phone").FillAsync("+358 50 123 4567");
        await frame.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Add to the CRM" }).DblClickAsync();
        await Microsoft.Playwright.Assertions.Expect(frame.Locator(".widget-contact a")).ToHaveTextAsync("Nina Newbie");
        Assert.That(await frame.Locator(".widget-note").InnerTextAsync(), Does.Contain("Nina Newbie was added to Acme").Or.Contain("already has a contact"));
        Assert.That(PeopleWith("newbie@widget.example"), Is.EqualTo(1));
        Assert.That(await frame.Locator(".widget-deals, .widget-empty").InnerTextAsync(), Does.Contain("No deals yet"));
        Assert.That(browser.ScriptErrors, Is.Empty);
    }
}
