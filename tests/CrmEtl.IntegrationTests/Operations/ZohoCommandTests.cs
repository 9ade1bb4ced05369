using CrmEtl.Host.Cli;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>A Zoho org connected from the command line, as the README shows it.</summary>
[NonParallelizable]
public sealed class ZohoCommandTests
{
    [Test]
    public async Task An_admin_adds_tests_syncs_and_re_authorises_a_zoho_instance_from_the_command_line()
    {
        await using var world = await ZohoWorld.StartAsync();
        var org = world.Org.Options;
        var connectionString = await PostgresFixture.Databases.CreateAsync("zoho");
        Assert.That((await CrmEtlCommand.RunAsync(connectionString, "migrate")).Exit, Is.EqualTo(ExitCodes.Ok));
        var accounts = world.Sandbox.AccountsUrl("eu");

        var bad = await CrmEtlCommand.RunAsync(connectionString, "instances", "add", "--kind", "zoho", "--name", "Acme Germany", "--url", accounts, "--token", "t");
        Assert.That(bad.Exit, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(bad.Error, Does.Contain("signs in with OAuth").And.Contain("--client-id is required").And.Contain("--refresh-token is required"));

        var add = await CrmEtlCommand.RunAsync(connectionString, "instances", "add", "--kind", "zoho", "--name", "Acme Germany", "--url", accounts,
            "--client-id", org.ClientId, "--client-secret", org.ClientSecret, "--refresh-token", org.RefreshToken, "--time-zone", "Europe/Berlin");
        Assert.That(add.Exit, Is.EqualTo(ExitCodes.Ok), add.Error);
        Assert.That(add.Out, Does.Contain($"client {org.ClientId}").And.Not.Contain(org.ClientSecret).And.Not.Contain(org.RefreshToken));

        var test = await CrmEtlCommand.RunAsync(connectionString, "instances", "test", "Acme Germany");
        Assert.That(test.Exit, Is.EqualTo(ExitCodes.Ok), test.Error);
        Assert.That(test.Out, Does.StartWith("connected:").And.Contain("Closed Won"));

        var sync = await CrmEtlCommand.RunAsync(connectionString, "sync", "--instance", "Acme Germany");
        Assert.That(sync.Exit, Is.EqualTo(ExitCodes.Ok), sync.Out + sync.Error);

        world.Org.RevokeRefreshToken();
        world.Org.ExpireAccessTokens();
        var revoked = await CrmEtlCommand.RunAsync(connectionString, "sync", "--instance", "Acme Germany");
        Assert.That(revoked.Exit, Is.EqualTo(ExitCodes.AuthFailed));
        Assert.That(revoked.Out + revoked.Error, Does.Contain("Re-authorise"));

        world.Org.RestoreRefreshToken();
        var edit = await CrmEtlCommand.RunAsync(connectionString, "instances", "edit", "Acme Germany", "--refresh-token", org.RefreshToken);
        Assert.That(edit.Exit, Is.EqualTo(ExitCodes.Ok), edit.Error);
        var again = await CrmEtlCommand.RunAsync(connectionString, "sync", "--instance", "Acme Germany");
        Assert.That(again.Exit, Is.EqualTo(ExitCodes.Ok), again.Out + again.Error);
        var list = await CrmEtlCommand.RunAsync(connectionString, "instances");
        Assert.That(list.Out, Does.Contain("Acme Germany").And.Contain("zoho").And.Not.Contain(org.RefreshToken).And.Not.Contain(org.ClientSecret));
    }
}
