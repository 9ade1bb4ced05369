namespace CrmEtl.Sandbox.Trello;

/// <summary>A Trello board of the sandbox's member, with its lists (open, in this order).</summary>
public sealed record TrelloBoardOptions(string Name, IReadOnlyList<string> Lists);

/// <summary>
/// One Trello member with an API key (a Power-Up's) and a token the member granted, and the boards they see. Trello limits
/// requests per key and per token in 10-second windows.
/// </summary>
public sealed record TrelloAccountOptions
{
    public string Member { get; init; } = "acme-ops";
    /// <summary>32 hex characters in the real service.</summary>
    public string Key { get; init; } = "0123456789abcdef0123456789abcdef";
    public string Token { get; init; } = "sandbox-trello-token-acme-0123456789abcdef";
    /// <summary>Tokens other members granted the same key (the key's limit is shared by all of them).</summary>
    public IReadOnlyList<string> OtherTokens { get; init; } = [];
    public IReadOnlyList<TrelloBoardOptions> Boards { get; init; } =
    [
        new("Site inspections", ["Offer needed", "Scheduled", "Done"]),
        new("Accounting", ["Invoices to send", "Paid"]),
        new("Design", ["Briefs", "In progress", "Delivered"]),
    ];
}

public sealed record TrelloSandboxOptions
{
    public IReadOnlyList<TrelloAccountOptions> Accounts { get; init; } = [new TrelloAccountOptions()];
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }
    /// <summary>Requests per 10 s per token (Trello: 100) and per key (300).</summary>
    public int TokenLimit { get; init; } = 100;
    public int KeyLimit { get; init; } = 300;
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Stamps cards' dateLastActivity; the rate windows run on the real clock.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
