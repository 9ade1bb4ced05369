namespace CrmEtl.Sandbox.Trello;

public sealed class TrelloBoard
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public bool Closed { get; set; }
    /// <summary>Deleted in Trello: every request for it, its lists and their cards answers 404.</summary>
    public bool Deleted { get; set; }
    public List<TrelloList> Lists { get; } = [];
    public string ShortLink => Id[^8..];
}

public sealed class TrelloList
{
    public required string Id { get; init; }
    public required TrelloBoard Board { get; init; }
    public required string Name { get; set; }
    public bool Closed { get; set; }
    public double Pos { get; set; }
    public List<TrelloCard> Cards { get; } = [];
    public bool Gone => Board.Deleted;
}

public sealed class TrelloCard
{
    public required string Id { get; init; }
    public required TrelloList List { get; init; }
    public required string Name { get; init; }
    public string Desc { get; init; } = "";
    public DateTimeOffset? Due { get; init; }
    public string? UrlSource { get; init; }
    public double Pos { get; init; }
    public int IdShort { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public bool Closed { get; set; }
    public string ShortLink => Id[^8..];
}

/// <summary>A member of the sandbox: their key and token, and their boards.</summary>
public sealed class TrelloAccount(TrelloAccountOptions options, string memberId)
{
    public TrelloAccountOptions Options { get; } = options;
    public string MemberId { get; } = memberId;
    public List<TrelloBoard> Boards { get; } = [];
    internal Lock Sync { get; } = new();

    public IEnumerable<TrelloCard> Cards() => Boards.SelectMany(b => b.Lists).SelectMany(l => l.Cards);

    public TrelloBoard Board(string name) =>
        Boards.FirstOrDefault(b => b.Name == name) ?? throw new ArgumentException($"The Trello sandbox has no board '{name}'.", nameof(name));
}
