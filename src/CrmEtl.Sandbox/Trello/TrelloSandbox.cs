using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Trello;

/// <summary>
/// A loopback HTTP server that behaves like Trello for what CrmEtl uses (boards, lists, cards; key and token; the rate
/// limits and their 429 bodies), with fault switches and control endpoints under /_sandbox/trello.
/// </summary>
public sealed class TrelloSandbox : IAsyncDisposable
{
    private readonly SandboxServer _server;
    private readonly TrelloEndpoints _endpoints;
    private readonly TrelloRateLimits _limits;

    private TrelloSandbox(SandboxServer server, TrelloEndpoints endpoints, TrelloRateLimits limits, IReadOnlyList<TrelloAccount> accounts, Faults faults)
    {
        _server = server;
        _endpoints = endpoints;
        _limits = limits;
        Accounts = accounts;
        Faults = faults;
    }

    /// <summary>Give a client {BaseUrl}/1 as Trello's https://api.trello.com/1.</summary>
    public string BaseUrl => _server.BaseUrl;
    public IReadOnlyList<TrelloAccount> Accounts { get; }
    public Faults Faults { get; }

    /// <summary>429s answered so far.</summary>
    public int RateLimited => _limits.Refused;

    public TrelloAccount Account(string member) =>
        Accounts.FirstOrDefault(a => a.Options.Member == member) ?? throw new ArgumentException($"The Trello sandbox has no member '{member}'.", nameof(member));

    public IReadOnlyDictionary<string, int> CallsTo(string member) =>
        _endpoints.Calls.Where(kv => kv.Key.Member == member).ToDictionary(kv => kv.Key.Operation, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>A copy of the member's open cards, for assertions (taken under the member's lock).</summary>
    public IReadOnlyList<TrelloCard> Cards(string member)
    {
        var account = Account(member);
        lock (account.Sync) return account.Cards().Where(c => !c.Closed && !c.List.Gone).ToList();
    }

    /// <summary>Deletes a board as its owner would in Trello: the board, its lists and cards answer 404 from now on.</summary>
    public void DeleteBoard(string member, string boardId)
    {
        var account = Account(member);
        lock (account.Sync) (account.Boards.FirstOrDefault(b => b.Id == boardId) ?? throw new ArgumentException($"No board {boardId}.", nameof(boardId))).Deleted = true;
    }

    /// <summary>Archives a list: it is still found, but takes no new card.</summary>
    public void CloseList(string member, string listId)
    {
        var account = Account(member);
        lock (account.Sync) (account.Boards.SelectMany(b => b.Lists).FirstOrDefault(l => l.Id == listId) ?? throw new ArgumentException($"No list {listId}.", nameof(listId))).Closed = true;
    }

    public static async Task<TrelloSandbox> StartAsync(TrelloSandboxOptions options, CancellationToken cancellationToken = default)
    {
        var accounts = options.Accounts.Select(Build).ToList();
        var faults = new Faults();
        var limits = new TrelloRateLimits(options.TokenLimit, options.KeyLimit, options.Window);
        var endpoints = new TrelloEndpoints(accounts, faults, limits, options.Clock);
        TrelloSandbox? sandbox = null;
        var server = await SandboxServer.StartAsync(options.Port, app =>
        {
            MapControl(app, () => sandbox!);
            endpoints.Map(app);
        }, cancellationToken);
        sandbox = new TrelloSandbox(server, endpoints, limits, accounts, faults);
        return sandbox;
    }

    private static TrelloAccount Build(TrelloAccountOptions options)
    {
        var account = new TrelloAccount(options, TrelloEndpoints.NewId());
        foreach (var b in options.Boards)
        {
            var board = new TrelloBoard { Id = TrelloEndpoints.NewId(), Name = b.Name };
            board.Lists.AddRange(b.Lists.Select((name, i) => new TrelloList { Id = TrelloEndpoints.NewId(), Board = board, Name = name, Pos = (i + 1) * 16384 }));
            account.Boards.Add(board);
        }
        return account;
    }

    private static void MapControl(IEndpointRouteBuilder app, Func<TrelloSandbox> sandbox)
    {
        app.MapGet("/_sandbox/trello/members", () => Results.Json(sandbox().Accounts.Select(a => new
        {
            member = a.Options.Member, key = a.Options.Key, token = a.Options.Token,
            boards = a.Boards.Where(b => !b.Deleted).Select(b => new { id = b.Id, name = b.Name, lists = b.Lists.Select(l => new { id = l.Id, name = l.Name, cards = l.Cards.Count }) }),
        })));
        app.MapPost("/_sandbox/trello/{member}/boards/{id}/delete", (string member, string id) => { sandbox().DeleteBoard(member, id); return Results.Json(new { deleted = id }); });
        app.MapPost("/_sandbox/trello/faults", (HttpRequest request) =>
        {
            SandboxControl.SetFaults(sandbox().Faults, request);
            if (SandboxControl.Int(request, "lose_answers") > 0) sandbox().Faults.LoseWriteAnswers(SandboxControl.Int(request, "lose_answers"));
            if (SandboxControl.Int(request, "server_errors") > 0) sandbox().Faults.AddServerErrors(SandboxControl.Int(request, "server_errors"));
            return Results.Json(new { ok = true });
        });
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
