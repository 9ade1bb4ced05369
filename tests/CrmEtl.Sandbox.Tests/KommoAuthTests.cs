using System.Text;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Kommo;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// The Kommo sandbox's OAuth 2 as oauth.md and step-by-step.md describe it, on a clock the tests move: codes and
/// refresh tokens work once, access tokens live 24 hours, refresh tokens 3 months, long-lived tokens as long as asked,
/// and a revoked integration gets 401 until access is granted again.
/// </summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and clock
public sealed class KommoAuthTests
{
    /// <summary>A sandbox of two small accounts on a clock of its own, with the calls these tests make.</summary>
    private sealed class Kommo : IAsyncDisposable
    {
        public KommoSteppedClock Clock { get; } = new();
        public KommoSandbox Sandbox { get; private set; } = null!;
        public KommoAccount Account => Sandbox.Accounts[0];
        private KommoAccountOptions Options => Account.Options;

        public static async Task<Kommo> StartAsync()
        {
            var kommo = new Kommo();
            kommo.Sandbox = await KommoSandbox.StartAsync(new KommoSandboxOptions
            {
                Accounts =
                [
                    new KommoAccountOptions { Subdomain = "acme", Deals = 40, Activities = 40 },
                    new KommoAccountOptions { Subdomain = "globex", Seed = 2, Deals = 40, Activities = 40, ClientId = "globex-client", ClientSecret = "globex-secret", RefreshToken = null },
                ],
                Clock = kommo.Clock, AsOf = kommo.Clock.GetUtcNow(), RequestsPerSecond = int.MaxValue,
            });
            return kommo;
        }

        public KommoApi Api(string? token = null, string subdomain = "acme") => new(Sandbox.BaseUrl(subdomain), token);

        public Dictionary<string, string> Grant(string grantType, string value) => new()
        {
            ["client_id"] = Options.ClientId, ["client_secret"] = Options.ClientSecret, ["grant_type"] = grantType,
            [grantType == "authorization_code" ? "code" : "refresh_token"] = value, ["redirect_uri"] = Options.RedirectUri,
        };

        public async Task<(string Access, string Refresh)> ExchangeCodeAsync()
        {
            using var api = Api();
            var answer = await api.TokenAsync(Grant("authorization_code", Sandbox.MintAuthorizationCode("acme")));
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body?.ToJsonString());
            return (answer.Body!["access_token"]!.GetValue<string>(), answer.Body!["refresh_token"]!.GetValue<string>());
        }

        public ValueTask DisposeAsync() => Sandbox.DisposeAsync();
    }

    private static async Task<int> StatusAsync(KommoApi api) => (await api.SendAsync("/api/v4/account", "account.json")).Status;

    [Test]
    public async Task An_authorization_code_is_exchanged_once_for_a_24_hour_jwt_bearer_token_and_a_refresh_token()
    {
        await using var kommo = await Kommo.StartAsync();
        using var api = kommo.Api();
        var code = kommo.Sandbox.MintAuthorizationCode("acme");
        var token = (await api.TokenAsync(kommo.Grant("authorization_code", code))).Body!;
        var again = await api.TokenAsync(kommo.Grant("authorization_code", code));
        var byForm = await api.TokenAsync(kommo.Grant("authorization_code", kommo.Sandbox.MintAuthorizationCode("acme")), form: true);

        Assert.That((token["token_type"]!.GetValue<string>(), token["expires_in"]!.GetValue<int>()), Is.EqualTo(("Bearer", 86400)));
        var parts = token["access_token"]!.GetValue<string>().Split('.');
        Assert.That(parts, Has.Length.EqualTo(3).And.All.Match("^[A-Za-z0-9_-]+$"), "a JWT: three base64url parts");
        var claims = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(parts[1].Replace('-', '+').Replace('_', '/').PadRight((parts[1].Length + 3) / 4 * 4, '='))))!;
        Assert.That(claims["exp"]!.GetValue<long>(), Is.EqualTo(token["server_time"]!.GetValue<long>() + 86400));
        Assert.That((claims["account_id"]!.GetValue<long>(), claims["aud"]!.GetValue<string>()), Is.EqualTo((kommo.Account.AccountId, kommo.Account.Options.ClientId)));
        Assert.That((again.Status, again.Body!["hint"]!.GetValue<string>()), Is.EqualTo((400, "Authorization code has been revoked")), "a code works once");
        Assert.That(byForm.Status, Is.EqualTo(200), "a form body works as well as JSON");
        using var authorized = kommo.Api(token["access_token"]!.GetValue<string>());
        Assert.That(await StatusAsync(authorized), Is.EqualTo(200));
    }

    [Test]
    public async Task A_refresh_token_works_once_and_sending_it_again_is_refused_and_counted()
    {
        await using var kommo = await Kommo.StartAsync();
        var first = await kommo.ExchangeCodeAsync();
        using var api = kommo.Api();

        var second = await api.TokenAsync(kommo.Grant("refresh_token", first.Refresh));
        var reused = await api.TokenAsync(kommo.Grant("refresh_token", first.Refresh));
        var third = await api.TokenAsync(kommo.Grant("refresh_token", second.Body!["refresh_token"]!.GetValue<string>()));

        Assert.That(second.Status, Is.EqualTo(200));
        Assert.That(second.Body!["refresh_token"]!.GetValue<string>(), Is.Not.EqualTo(first.Refresh), "rotated");
        Assert.That((reused.Status, reused.Body!["hint"]!.GetValue<string>()), Is.EqualTo((400, "Token has been revoked")));
        Assert.That(third.Status, Is.EqualTo(200), "the newest refresh token works");
        Assert.That((kommo.Account.RefreshesMade, kommo.Account.SpentRefreshTokenReuses), Is.EqualTo((2, 1)));
    }

    [Test]
    public async Task The_configured_refresh_token_is_spent_even_when_the_answer_to_its_exchange_is_lost()
    {
        await using var kommo = await Kommo.StartAsync();
        using var api = kommo.Api();
        kommo.Sandbox.Faults.LoseWriteAnswers(1);

        Assert.ThrowsAsync<HttpRequestException>(async () => await api.TokenAsync(kommo.Grant("refresh_token", kommo.Account.Options.RefreshToken!)));
        var retried = await api.TokenAsync(kommo.Grant("refresh_token", kommo.Account.Options.RefreshToken!));

        Assert.That((retried.Status, retried.Body!["hint"]!.GetValue<string>()), Is.EqualTo((400, "Token has been revoked")),
            "the exchange happened before the answer was lost: the pair it made is the only one that works now");
        Assert.That((kommo.Account.RefreshesMade, kommo.Account.SpentRefreshTokenReuses), Is.EqualTo((1, 1)));
    }

    [Test]
    public async Task Access_tokens_expire_after_24_hours_of_the_clock_and_refresh_tokens_after_3_months()
    {
        await using var kommo = await Kommo.StartAsync();
        var pair = await kommo.ExchangeCodeAsync();
        using var api = kommo.Api(pair.Access);

        kommo.Clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.That(await StatusAsync(api), Is.EqualTo(200));
        kommo.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await StatusAsync(api), Is.EqualTo(401), "24 hours after it was issued");
        var renewed = await api.TokenAsync(kommo.Grant("refresh_token", pair.Refresh));
        Assert.That(renewed.Status, Is.EqualTo(200), "an expired access token is renewed with its refresh token");

        kommo.Clock.Advance(TimeSpan.FromDays(93));
        var late = await api.TokenAsync(kommo.Grant("refresh_token", renewed.Body!["refresh_token"]!.GetValue<string>()));
        Assert.That((late.Status, late.Body!["hint"]!.GetValue<string>()), Is.EqualTo((400, "Token has expired")));
    }

    [Test]
    public async Task A_long_lived_token_works_without_refreshing_until_its_lifetime_ends()
    {
        await using var kommo = await Kommo.StartAsync();
        using var api = kommo.Api(kommo.Sandbox.MintLongLivedToken("acme", TimeSpan.FromDays(2)));

        kommo.Clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromSeconds(1));
        Assert.That(await StatusAsync(api), Is.EqualTo(200), "well past an access token's 24 hours");
        kommo.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await StatusAsync(api), Is.EqualTo(401));
        Assert.Throws<ArgumentOutOfRangeException>(() => kommo.Sandbox.MintLongLivedToken("acme", TimeSpan.FromHours(1)), "at least a day");
    }

    [Test]
    public async Task A_revoked_integration_gets_401_everywhere_until_access_is_granted_again()
    {
        await using var kommo = await Kommo.StartAsync();
        var pair = await kommo.ExchangeCodeAsync();
        using var api = kommo.Api(pair.Access);

        kommo.Sandbox.RevokeIntegration("acme");

        foreach (var (url, schema) in new[] { ("/api/v4/account", "account.json"), ("/api/v4/leads", "leads.json"), ("/api/v4/events", "events.json") })
            Assert.That((await api.SendAsync(url, schema)).Status, Is.EqualTo(401), url);
        Assert.That((await api.TokenAsync(kommo.Grant("refresh_token", pair.Refresh))).Status, Is.EqualTo(400), "its refresh token died with it");
        api.AccessToken = (await kommo.ExchangeCodeAsync()).Access;
        Assert.That(await StatusAsync(api), Is.EqualTo(200), "a new code grants access again");
    }

    [Test]
    public async Task Wrong_credentials_are_refused_with_400_and_a_token_of_one_account_means_nothing_to_another()
    {
        await using var kommo = await Kommo.StartAsync();
        using var api = kommo.Api();
        var code = kommo.Sandbox.MintAuthorizationCode("acme");

        var wrongSecret = await api.TokenAsync(new Dictionary<string, string>(kommo.Grant("authorization_code", code)) { ["client_secret"] = "guess" });
        var wrongRedirect = await api.TokenAsync(new Dictionary<string, string>(kommo.Grant("authorization_code", code)) { ["redirect_uri"] = "https://crmetl.example/other" });
        var wrongGrant = await api.TokenAsync(new Dictionary<string, string>(kommo.Grant("authorization_code", code)) { ["grant_type"] = "password" });
        var right = await api.TokenAsync(kommo.Grant("authorization_code", code));
        using var globex = kommo.Api(right.Body!["access_token"]!.GetValue<string>(), "globex");

        Assert.That(new[] { wrongSecret.Status, wrongRedirect.Status, wrongGrant.Status }, Is.All.EqualTo(400));
        Assert.That(right.Status, Is.EqualTo(200), "refusals do not spend the code");
        Assert.That(await StatusAsync(globex), Is.EqualTo(401));
        Assert.That((await globex.SendAsync("/api/v4/leads", "leads.json")).Status, Is.EqualTo(401));
    }
}
