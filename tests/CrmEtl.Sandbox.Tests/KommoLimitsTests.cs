using CrmEtl.Sandbox.Kommo;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// Kommo's limits (error-codes.md, 'Другие ответы') in the sandbox, on a clock that stands still until moved, so
/// that "in one second" is exact: 7 requests a second per integration, 429 beyond, repeated excess blocking the
/// account with 403 for a while; 402 for an account whose subscription ended.
/// </summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and clock
public sealed class KommoLimitsTests
{
    /// <summary>A sandbox of two small accounts, each with a long-lived token, on a clock of its own.</summary>
    private sealed record Limited(KommoSandbox Sandbox, KommoSteppedClock Clock) : IAsyncDisposable
    {
        public static async Task<Limited> StartAsync()
        {
            var clock = new KommoSteppedClock();
            return new Limited(await KommoSandbox.StartAsync(new KommoSandboxOptions
            {
                Accounts =
                [
                    new KommoAccountOptions { Subdomain = "acme", Deals = 30, Activities = 30, LongLivedTokenLifetime = TimeSpan.FromDays(7) },
                    new KommoAccountOptions { Subdomain = "globex", Seed = 2, Deals = 30, Activities = 30, ClientId = "globex-client", LongLivedTokenLifetime = TimeSpan.FromDays(7) },
                ],
                Clock = clock, AsOf = clock.GetUtcNow(),
                RefusalsBeforeBlock = 3, RefusalWindow = TimeSpan.FromMinutes(1), BlockFor = TimeSpan.FromMinutes(10),
            }), clock);
        }

        public KommoApi Api(string subdomain) => new(Sandbox.BaseUrl(subdomain), Sandbox.Account(subdomain).LongLivedToken);

        public ValueTask DisposeAsync() => Sandbox.DisposeAsync();
    }

    private static async Task<int> StatusAsync(KommoApi api) => (await api.SendAsync("/api/v4/leads?limit=1", "leads.json")).Status;

    [Test]
    public async Task Seven_requests_in_a_second_are_answered_and_the_eighth_gets_429()
    {
        await using var kommo = await Limited.StartAsync();
        using var acme = kommo.Api("acme");
        using var globex = kommo.Api("globex");

        for (var i = 0; i < 7; i++) Assert.That(await StatusAsync(acme), Is.EqualTo(200), $"request {i + 1}");
        var eighth = await acme.SendAsync("/api/v4/leads?limit=1", "leads.json");

        Assert.That((eighth.Status, eighth.Body!["detail"]!.GetValue<string>()), Is.EqualTo((429, "Превышено допустимое количество запросов в секунду")));
        Assert.That(await StatusAsync(globex), Is.EqualTo(200), "another account's integration has its own 7");
        kommo.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await StatusAsync(acme), Is.EqualTo(200), "the next second");
        Assert.That(kommo.Sandbox.RateLimited, Is.EqualTo(1));
    }

    [Test]
    public async Task Repeated_excess_blocks_the_account_with_403_until_the_block_ends()
    {
        await using var kommo = await Limited.StartAsync();
        using var acme = kommo.Api("acme");
        using var globex = kommo.Api("globex");

        var statuses = new List<int>();
        for (var i = 0; i < 11; i++) statuses.Add(await StatusAsync(acme));
        kommo.Clock.Advance(TimeSpan.FromSeconds(5));
        var blocked = await acme.SendAsync("/api/v4/account", "account.json");

        Assert.That(statuses, Is.EqualTo(Enumerable.Repeat(200, 7).Concat([429, 429, 429, 403])));
        Assert.That((blocked.Status, blocked.Body!["detail"]!.GetValue<string>()),
            Is.EqualTo((403, "Аккаунт заблокирован, за неоднократное превышение количества запросов в секунду")), "still blocked at a calm pace");
        Assert.That(await StatusAsync(globex), Is.EqualTo(200), "other accounts are not blocked");
        kommo.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That(await StatusAsync(acme), Is.EqualTo(200), "the block ends");
    }

    [Test]
    public async Task An_unpaid_account_answers_402_to_every_request_until_paid()
    {
        await using var kommo = await Limited.StartAsync();
        using var acme = kommo.Api("acme");

        kommo.Sandbox.Account("acme").Unpaid = true;
        var leads = await acme.SendAsync("/api/v4/leads", "leads.json");
        var account = await acme.SendAsync("/api/v4/account", "account.json");
        kommo.Sandbox.Account("acme").Unpaid = false;

        Assert.That((leads.Status, leads.Body!["detail"]!.GetValue<string>()), Is.EqualTo((402, "Подписка закончилась")));
        Assert.That(account.Status, Is.EqualTo(402));
        Assert.That(await StatusAsync(acme), Is.EqualTo(200));
    }

    [Test]
    public async Task A_429_burst_from_the_fault_switches_is_answered_as_kommo_answers_its_limit()
    {
        await using var kommo = await Limited.StartAsync();
        using var acme = kommo.Api("acme");

        kommo.Sandbox.Faults.Add429Burst(2);

        Assert.That(new[] { await StatusAsync(acme), await StatusAsync(acme), await StatusAsync(acme) }, Is.EqualTo(new[] { 429, 429, 200 }));
    }
}
