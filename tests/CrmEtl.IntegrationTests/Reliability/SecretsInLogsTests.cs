using CrmEtl.Host.Cli;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Sandbox.Pipedrive;
using Dapper;
using Npgsql;

namespace CrmEtl.IntegrationTests.Reliability;

/// <summary>
/// The secrets of a Pipedrive and a Zoho CRM instance (API token; client secret, refresh token and the access
/// tokens minted from it) appear nowhere a person or a log collector reads: not in the Debug logs of real
/// crmetl processes syncing through faults, token renewals and revocations, not in command output, not in
/// the run log, and not in the database as plain text.
/// </summary>
[TestFixture]
internal sealed class SecretsInLogsTests
{
    private const string PipedriveToken = "pd-7c1e9a44f0b2d8e6a3c5";

    [Test]
    public async Task No_secret_appears_in_the_logs_of_runs_with_faults_in_command_output_or_in_the_database()
    {
        await using var pipedrive = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions
        {
            Name = "acme", ApiToken = PipedriveToken, Seed = 21, Deals = 200, Activities = 400, Leads = 20,
        });
        await using var zoho = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Deals = 200, Activities = 400, Leads = 40 });
        var org = zoho.Org.Options;
        var connectionString = await PostgresFixture.Databases.CreateAsync("secrets");
        Assert.That((await CrmEtlCommand.RunAsync(connectionString, "migrate")).Exit, Is.EqualTo(ExitCodes.Ok));
        var output = new List<string>();
        async Task CommandAsync(params string[] args)
        {
            var result = await CrmEtlCommand.RunAsync(connectionString, args);
            Assert.That(result.Exit, Is.EqualTo(ExitCodes.Ok), result.Error);
            output.Add(result.Out + result.Error);
        }
        await CommandAsync("instances", "add", "--name", "Acme Sweden", "--url", pipedrive.Sandbox.BaseUrl, "--token", PipedriveToken);
        await CommandAsync("instances", "add", "--kind", "zoho", "--name", "Acme Germany", "--url", zoho.Sandbox.AccountsUrl("eu"),
            "--client-id", org.ClientId, "--client-secret", org.ClientSecret, "--refresh-token", org.RefreshToken);

        // Debug logs of real processes: every retry, renewal and refusal is logged.
        var debug = new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Override:CrmEtl"] = "Verbose", ["Pipedrive:RetryDelay"] = "00:00:00.020", ["Zoho:RetryDelay"] = "00:00:00.020",
        };
        async Task SyncAsync(string instance, int expectedExit)
        {
            await using var process = WorkerProcess.Run(connectionString, debug, "sync", "--instance", instance);
            Assert.That(await process.WaitForExitAsync(TimeSpan.FromSeconds(120)), Is.Not.Null, process.Output);
            Assert.That(process.ExitCode, Is.EqualTo(expectedExit), process.Output);
            output.Add(process.Output);
        }
        pipedrive.Sandbox.Faults.AddServerErrors(3);
        pipedrive.Sandbox.Faults.Add429Burst(2, withHeaders: false);
        pipedrive.Sandbox.Faults.MalformedRate = 0.05;
        await SyncAsync("Acme Sweden", ExitCodes.Ok);
        pipedrive.Sandbox.Faults.Clear();
        pipedrive.Sandbox.Faults.Revoked = true;
        await SyncAsync("Acme Sweden", ExitCodes.AuthFailed);
        pipedrive.Sandbox.Faults.Clear();

        zoho.Sandbox.Faults.AddServerErrors(2);
        await SyncAsync("Acme Germany", ExitCodes.Ok);
        zoho.Org.ExpireAccessTokens();
        await SyncAsync("Acme Germany", ExitCodes.Ok);
        zoho.Org.RevokeRefreshToken();
        await SyncAsync("Acme Germany", ExitCodes.AuthFailed);

        await CommandAsync("instances");
        await CommandAsync("instances", "test", "Acme Sweden");
        await CommandAsync("runs");
        await using var connection = new NpgsqlConnection(connectionString);
        output.Add(string.Join("\n", await connection.QueryAsync<string>("SELECT concat_ws('|', status, error, streams) FROM etl.sync_run")));
        // The whole database as text: secrets are only ever stored encrypted.
        output.Add(string.Join("\n", await connection.QueryAsync<string>(
            "SELECT t::text FROM etl.instance t UNION ALL SELECT t::text FROM etl.oauth_token t UNION ALL SELECT t::text FROM etl.sync_state t")));

        var all = string.Join("\n", output);
        Assert.That(all, Does.Contain("Retrying").IgnoreCase.Or.Contain("retrying"), "the logs were captured at Debug level, faults and all");
        Assert.That(zoho.Org.MintedAccessTokens, Has.Count.GreaterThanOrEqualTo(2), "the second Zoho run renewed its access token");
        var secrets = new List<string> { PipedriveToken, org.ClientSecret, org.RefreshToken };
        secrets.AddRange(zoho.Org.MintedAccessTokens);
        foreach (var secret in secrets)
            Assert.That(all, Does.Not.Contain(secret), $"a secret ({secret[..4]}…) leaked");
    }
}
