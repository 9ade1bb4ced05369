using CrmEtl.Host.Cli;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>A Kommo account connected from the command line with the authorization code of granting access, as the README shows it.</summary>
[NonParallelizable]
public sealed class KommoCommandTests
{
    [Test]
    public async Task An_admin_adds_a_kommo_instance_with_an_authorization_code_which_works_once()
    {
        await using var world = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Deals = 80, Activities = 100 });
        var account = world.Account.Options;
        var connectionString = await PostgresFixture.Databases.CreateAsync("kommo");
        Assert.That((await CrmEtlCommand.RunAsync(connectionString, "migrate")).Exit, Is.EqualTo(ExitCodes.Ok));
        string[] Add(string name, params string[] more) =>
            ["instances", "add", "--kind", "kommo", "--name", name, "--url", world.Account.BaseUrl, "--client-id", account.ClientId, "--client-secret", account.ClientSecret, .. more];

        var both = await CrmEtlCommand.RunAsync(connectionString, Add("Acme Ukraine", "--code", "x", "--refresh-token", "y"));
        Assert.That((both.Exit, both.Error), Is.EqualTo((ExitCodes.BadInput, "Give --code (the authorization code from granting access) or --refresh-token, not both." + Environment.NewLine)));

        var wrong = await CrmEtlCommand.RunAsync(connectionString, Add("Acme Ukraine", "--code", "def50200-not-a-code"));
        Assert.That(wrong.Exit, Is.EqualTo(ExitCodes.AuthFailed), wrong.Out + wrong.Error);
        Assert.That(wrong.Error, Does.StartWith("Kommo refused the authorization code (400").And.Contain("A code works once and for 20 minutes"));
        Assert.That((await CrmEtlCommand.RunAsync(connectionString, "instances")).Out, Does.Not.Contain("Acme Ukraine"), "nothing stored");

        var code = world.Sandbox.MintAuthorizationCode(account.Subdomain);
        var added = await CrmEtlCommand.RunAsync(connectionString, Add("Acme Ukraine", "--code", code, "--time-zone", "Europe/Kyiv", "--currency", "UAH"));
        Assert.That(added.Exit, Is.EqualTo(ExitCodes.Ok), added.Error);
        Assert.That(added.Out, Does.Contain("Added instance").And.Not.Contain(code));
        var sync = await CrmEtlCommand.RunAsync(connectionString, "sync", "--instance", "Acme Ukraine");
        Assert.That(sync.Exit, Is.EqualTo(ExitCodes.Ok), sync.Out + sync.Error);
        Assert.That(world.Account.SpentRefreshTokenReuses, Is.Zero);

        var again = await CrmEtlCommand.RunAsync(connectionString, Add("Acme Ukraine 2", "--code", code));
        Assert.That(again.Exit, Is.EqualTo(ExitCodes.AuthFailed), "a code works once");
        var edit = await CrmEtlCommand.RunAsync(connectionString, "instances", "edit", "Acme Ukraine", "--code", world.Sandbox.MintAuthorizationCode(account.Subdomain));
        Assert.That(edit.Exit, Is.EqualTo(ExitCodes.Ok), "re-authorised with a new code, the integration's keys kept: " + edit.Error);
        var after = await CrmEtlCommand.RunAsync(connectionString, "sync", "--instance", "Acme Ukraine");
        Assert.That(after.Exit, Is.EqualTo(ExitCodes.Ok), after.Out + after.Error);
    }
}
