using System.Text.RegularExpressions;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Cli;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Trello;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace CrmEtl.IntegrationTests.Trello;

/// <summary>'crmetl rules' on a synced Pipedrive sandbox account and the Trello sandbox: one rule per board, history kept.</summary>
[NonParallelizable] // runs crmetl in this process, with an environment variable for the token
public sealed class TrelloRuleTests
{
    private const string TokenVariable = "CRMETL_TEST_TRELLO_TOKEN";
    private TrelloSandbox _trello = null!;
    private PipedriveSandbox _crm = null!;
    private string _database = "";

    private PipedriveCompany Crm => _crm.Companies[0];

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _trello = await TrelloSandbox.StartAsync(new TrelloSandboxOptions());
        _crm = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [new PipedriveCompanyOptions { Name = "acme", ApiToken = "rules-token-1234", Seed = 21, Deals = 40, Activities = 40, Leads = 4 }],
            Clock = CrmEtl.Testing.TestClock.Clock, AsOf = CrmEtl.Testing.TestClock.Now,
        });
        _database = await PostgresFixture.Databases.CreateAsync("rules");
        using (var host = CrmEtlHost.Build(_database, minimumLevel: LogEventLevel.Warning))
        {
            await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
            await host.Services.GetRequiredService<InstanceRepository>().AddAsync(
                new NewInstance("Acme", InstanceKinds.Pipedrive, _crm.BaseUrl, new InstanceCredentials("rules-token-1234", null), "Europe/Helsinki", "EUR", "Acme Group"), CancellationToken.None);
            var synced = await host.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Full, CancellationToken.None);
            Assert.That(synced.Status, Is.EqualTo(RunStatus.Succeeded), synced.Error);
        }
        var account = _trello.Accounts[0].Options;
        Environment.SetEnvironmentVariable(TokenVariable, account.Token);
        var connected = await CrmEtlCommand.RunAsync(_database, "trello", "connect", "--company", "Acme Group", "--key", account.Key, "--token-env", TokenVariable, "--url", _trello.BaseUrl + "/1");
        Assert.That(connected.Exit, Is.EqualTo(ExitCodes.Ok), connected.Error);
    }

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        Environment.SetEnvironmentVariable(TokenVariable, null);
        await _trello.DisposeAsync();
        await _crm.DisposeAsync();
    }

    private Task<(int Exit, string Out, string Error)> RunAsync(params string[] args) => CrmEtlCommand.RunAsync(_database, args);

    private static int RuleId(string output) => int.Parse(Regex.Match(output, @"Rule (\d+):").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public async Task A_new_rule_on_a_board_replaces_the_old_one_which_stays_in_the_history_and_boards_keep_their_own_rules()
    {
        var stage = Crm.Stages.Where(s => s.PipelineId == Crm.Pipelines[0].Id).OrderBy(s => s.OrderNr).ToList()[1];
        var moved = await RunAsync("rules", "set", "--instance", "Acme", "--board", "Site inspections", "--list", "offer needed", "--kind", "moved_to",
            "--stage", stage.Name, "--pipeline", Crm.Pipelines[0].Name);
        Assert.That(moved.Exit, Is.EqualTo(ExitCodes.Ok), moved.Error);
        Assert.That(moved.Out, Does.Contain($"when a deal arrives at {stage.Name} in Acme, a card on \"Site inspections\" / \"Offer needed\". Deals already there make no card."));
        var added = await RunAsync("rules", "set", "--instance", "Acme", "--board", "Site inspections", "--list", "Scheduled", "--kind", "added");
        Assert.That(added.Out, Does.Contain($"It replaces rule {RuleId(moved.Out)} on that board (when a deal arrives at {stage.Name}), which no longer makes cards."));
        var won = await RunAsync("rules", "set", "--instance", "Acme", "--board", "Accounting", "--list", "Invoices to send", "--kind", "won_or_lost", "--outcome", "won");
        Assert.That(won.Out, Does.Contain("when a deal is won in Acme").And.Not.Contain("replaces"));

        var active = (await RunAsync("rules", "--company", "Acme Group")).Out;
        Assert.That(active, Does.Contain($"{RuleId(added.Out)}  Acme: when a deal is added, a card on \"Site inspections\" / \"Scheduled\"")
            .And.Contain($"{RuleId(won.Out)}  Acme: when a deal is won, a card on \"Accounting\" / \"Invoices to send\"").And.Not.Contain("ENDED"));
        var history = (await RunAsync("rules", "--history")).Out;
        Assert.That(history, Does.Contain($"{RuleId(moved.Out)}  Acme: when a deal arrives at {stage.Name}").And.Contain($"(replaced by rule {RuleId(added.Out)})"));

        var removed = await RunAsync("rules", "remove", RuleId(won.Out).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(removed.Out, Does.Contain($"Rule {RuleId(won.Out)} is removed."));
        Assert.That((await RunAsync("rules", "--history")).Out, Does.Contain("(removed)"));
    }

    [Test]
    public async Task A_rule_naming_what_does_not_exist_is_refused_with_what_there_is()
    {
        var board = await RunAsync("rules", "set", "--instance", "Acme", "--board", "Marketing", "--list", "x", "--kind", "added");
        Assert.That(board.Exit, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(board.Error, Does.Contain("The Trello account has no open board 'Marketing'; its boards: Site inspections, Accounting, Design."));
        var list = await RunAsync("rules", "set", "--instance", "Acme", "--board", "Design", "--list", "Archive", "--kind", "added");
        Assert.That(list.Error, Does.Contain("The board 'Design' has no open list 'Archive'; its lists: Briefs, In progress, Delivered."));
        var stage = await RunAsync("rules", "set", "--instance", "Acme", "--board", "Design", "--list", "Briefs", "--kind", "moved_to", "--stage", "Nowhere");
        Assert.That(stage.Error, Does.Contain("Acme has no stage 'Nowhere'; its stages: " + Crm.Pipelines[0].Name + ": "));
        var kind = await RunAsync("rules", "set", "--instance", "Acme", "--board", "Design", "--list", "Briefs", "--kind", "updated", "--outcome", "won");
        Assert.That(kind.Error, Does.Contain("The kind 'updated' is not one of added, won_or_lost, moved_to").And.Contain("--outcome goes with --kind won_or_lost only."));
        var instance = await RunAsync("rules", "set", "--instance", "Nope", "--board", "Design", "--list", "Briefs", "--kind", "added");
        Assert.That(instance.Error, Does.Contain("There is no instance 'Nope'"));
        Assert.That((await RunAsync("rules", "remove", "999")).Error, Does.Contain("There is no active rule 999"));
    }
}
