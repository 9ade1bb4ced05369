using CrmEtl.Core.Instances;
using CrmEtl.Host.Cli;
using CrmEtl.Host.Hosting;
using CrmEtl.Sandbox.Trello;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.IntegrationTests.Trello;

/// <summary>'crmetl trello': a company connects its Trello account against the Trello sandbox, on a real database.</summary>
[NonParallelizable] // runs crmetl in this process, with an environment variable for the token
public sealed class TrelloConnectionTests
{
    private const string TokenVariable = "CRMETL_TEST_TRELLO_TOKEN";
    private TrelloSandbox _trello = null!;
    private string _database = "";

    private TrelloAccountOptions Account => _trello.Accounts[0].Options;
    private string Url => _trello.BaseUrl + "/1";

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _trello = await TrelloSandbox.StartAsync(new TrelloSandboxOptions());
        _database = await PostgresFixture.Databases.CreateAsync("trello");
        using var host = CrmEtlHost.Build(_database, minimumLevel: LogEventLevel.Warning);
        await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
        await host.Services.GetRequiredService<InstanceRepository>().AddAsync(
            new NewInstance("Acme Finland", InstanceKinds.Pipedrive, "http://127.0.0.1:9", new InstanceCredentials("unused-token", null), "Europe/Helsinki", "EUR", "Acme Group"), CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        Environment.SetEnvironmentVariable(TokenVariable, null);
        await _trello.DisposeAsync();
    }

    private static Task<(int Exit, string Out, string Error)> RunAsync(string database, string token, params string[] args)
    {
        Environment.SetEnvironmentVariable(TokenVariable, token);
        return CrmEtlCommand.RunAsync(database, args);
    }

    [Test]
    public async Task A_company_connects_trello_sees_its_boards_and_lists_and_the_key_and_token_are_stored_encrypted()
    {
        var connected = await RunAsync(_database, Account.Token, "trello", "connect", "--company", "Acme Group", "--key", Account.Key, "--token-env", TokenVariable, "--url", Url);
        Assert.That(connected.Exit, Is.EqualTo(ExitCodes.Ok), connected.Error);
        var inspections = _trello.Accounts[0].Board("Site inspections");
        Assert.That(connected.Out, Does.Contain($"Connected to Trello as {Account.Member}: 3 open boards.")
            .And.Contain($"  Site inspections ({inspections.Id}): Offer needed ({inspections.Lists[0].Id}), Scheduled ({inspections.Lists[1].Id}), Done ({inspections.Lists[2].Id})"));

        var shown = await RunAsync(_database, "", "trello", "--company", "Acme Group");
        Assert.That(shown.Out, Does.Contain($"Acme Group: Trello at {Url}, key ****cdef, token ****cdef, connected as {Account.Member}"));
        await using var connection = new NpgsqlConnection(_database);
        var stored = await connection.QuerySingleAsync<(string Key, string Token)>("SELECT api_key, token FROM etl.trello_connection");
        Assert.That(stored.Key + stored.Token, Does.Not.Contain(Account.Key).And.Not.Contain(Account.Token), "encrypted at rest");

        var test = await RunAsync(_database, "", "trello", "test", "--company", "Acme Group");
        Assert.That((test.Exit, test.Out), Is.EqualTo((ExitCodes.Ok, connected.Out)));
        Assert.That(_trello.CallsTo(Account.Member).Keys, Is.EquivalentTo(new[] { "GET /1/members/{member}", "GET /1/members/{member}/boards", "GET /1/boards/{id}/lists" }));
    }

    [Test]
    public async Task A_wrong_token_is_refused_by_trello_and_recorded_and_bad_input_is_named_before_anything_is_stored()
    {
        var database = await PostgresFixture.Databases.CreateAsync("trello-bad");
        using (var host = CrmEtlHost.Build(database, minimumLevel: LogEventLevel.Warning))
        {
            await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
            await host.Services.GetRequiredService<InstanceRepository>().AddAsync(
                new NewInstance("Globex", InstanceKinds.Pipedrive, "http://127.0.0.1:9", new InstanceCredentials("unused-token", null), "UTC", "USD"), CancellationToken.None);
        }
        var bad = await RunAsync(database, "short", "trello", "connect", "--company", "Nobody", "--key", "not-a-key", "--token-env", TokenVariable, "--url", Url);
        Assert.That(bad.Exit, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(bad.Error, Does.Contain("Company 'Nobody' has no CRM instance").And.Contain("companies with CRMs: Globex")
            .And.Contain("The Trello API key is 32 hexadecimal characters").And.Contain("Give the token a Trello member granted the key"));
        var none = await RunAsync(database, "", "trello", "--company", "Globex");
        Assert.That(none.Out, Does.Contain("Globex has not connected Trello."));

        var wrong = await RunAsync(database, "another-token-0123456789abcdef0123456789", "trello", "connect", "--company", "Globex", "--key", Account.Key, "--token-env", TokenVariable, "--url", Url);
        Assert.That(wrong.Exit, Is.EqualTo(ExitCodes.AuthFailed));
        Assert.That(wrong.Error, Does.Contain("Trello refused the key or token (invalid token)"));
        var shown = await RunAsync(database, "", "trello", "--company", "Globex");
        Assert.That(shown.Out, Does.Contain("unauthorized").And.Contain("Trello refused the key or token (invalid token)"));
    }
}
