using CrmEtl.Connectors.Trello;
using CrmEtl.Core.Trello;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Trello;

namespace CrmEtl.Host.Trello;

/// <summary>What the connection test found: the member the token belongs to, and their open boards with their lists.</summary>
public sealed record TrelloTestResult(string Member, IReadOnlyList<(TrelloBoardInfo Board, IReadOnlyList<TrelloListInfo> Lists)> Boards);

/// <summary>
/// A company's Trello connection, for 'crmetl trello' and (later) the console: its API key and token checked for shape,
/// stored encrypted, tested by reading the member and their boards; and the client every Trello call goes through.
/// </summary>
public sealed class TrelloConnections(
    TrelloConnectionStore store, InstanceRepository instances, IHttpClientFactory httpClients, ITrelloPace pace, Microsoft.Extensions.Options.IOptions<TrelloOptions> options)
{
    /// <summary>Stores the key and token (replacing the company's earlier ones), then tests them; the outcome is recorded either way.</summary>
    public async Task<TrelloTestResult> ConnectAsync(string company, string? baseUrl, string? key, string? token, string? updatedBy, CancellationToken ct)
    {
        var problems = new List<string>();
        company = company.Trim();
        var companies = (await instances.ListAsync(ct)).Select(i => i.Company ?? i.Name).Distinct().ToList();
        if (!companies.Contains(company, StringComparer.Ordinal))
            problems.Add($"Company '{company}' has no CRM instance, so no deal could make a card; " + (companies.Count == 0 ? "connect a CRM first." : $"companies with CRMs: {string.Join(", ", companies)}."));
        key = key?.Trim();
        token = token?.Trim();
        if (string.IsNullOrEmpty(key) || key.Length != 32 || !key.All(Uri.IsHexDigit))
            problems.Add("The Trello API key is 32 hexadecimal characters: find it at https://trello.com/power-ups/admin (your Power-Up, API key).");
        if (string.IsNullOrEmpty(token) || token.Length < 32 || token.Any(char.IsWhiteSpace))
            problems.Add("Give the token a Trello member granted the key (a long string without spaces, from the authorize page the API key page links to).");
        var url = string.IsNullOrWhiteSpace(baseUrl) ? TrelloAccess.TrelloApi : baseUrl.Trim().TrimEnd('/');
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
            problems.Add($"'{baseUrl}' is not Trello's address: leave --url out for {TrelloAccess.TrelloApi}.");
        if (problems.Count > 0) throw new InstanceInputException(problems);
        await store.SaveAsync(company, new TrelloAccess(url, new TrelloCredentials(key!, token!)), updatedBy, ct);
        return await TestAsync(company, ct);
    }

    /// <summary>Reads the member and their open boards with lists; records connected, unauthorized or error with the reason.</summary>
    public async Task<TrelloTestResult> TestAsync(string company, CancellationToken ct)
    {
        var client = await ClientAsync(company, ct);
        try
        {
            var member = await client.MemberAsync(ct);
            var boards = new List<(TrelloBoardInfo, IReadOnlyList<TrelloListInfo>)>();
            foreach (var board in await client.BoardsAsync(ct)) boards.Add((board, await client.ListsAsync(board.Id, ct)));
            await store.RecordTestAsync(company, "connected", member, null, ct);
            return new TrelloTestResult(member, boards);
        }
        catch (TrelloException e)
        {
            await store.RecordTestAsync(company, e.Kind == TrelloFailure.Unauthorized ? "unauthorized" : "error", null, e.Message, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Where the company's Trello is and its key and token; null when it has not connected Trello.</summary>
    public Task<TrelloAccess?> AccessAsync(string company, CancellationToken ct) => store.AccessAsync(company, ct);

    /// <summary>Records that Trello refused the company's key or token, as the console and 'crmetl trello' show it.</summary>
    public Task RecordRefusedAsync(string company, string error) => store.RecordTestAsync(company, "unauthorized", null, error, CancellationToken.None);

    public async Task<TrelloClient> ClientAsync(string company, CancellationToken ct)
    {
        var access = await store.AccessAsync(company, ct)
            ?? throw new InstanceNotFoundException($"Company '{company}' has not connected Trello: 'crmetl trello connect --company \"{company}\" --key KEY --token-env VAR'.");
        var http = httpClients.CreateClient(TrelloClient.HttpClientName);
        http.BaseAddress = new Uri(access.BaseUrl.TrimEnd('/') + "/");
        return new TrelloClient(http, access.Credentials, options.Value.RequestTimeout, pace);
    }
}
