namespace CrmEtl.Core.Trello;

/// <summary>A Trello API key (a Power-Up's) and the token a member granted it.</summary>
public sealed record TrelloCredentials(string Key, string Token);

/// <summary>Where a company's Trello is (https://api.trello.com/1, or a sandbox's /1) and its credentials.</summary>
public sealed record TrelloAccess(string BaseUrl, TrelloCredentials Credentials)
{
    public const string TrelloApi = "https://api.trello.com/1";
}

public sealed record TrelloBoardInfo(string Id, string Name, bool Closed, string? Url);

public sealed record TrelloListInfo(string Id, string Name, bool Closed);

public sealed record TrelloCardInfo(string Id, string Name, string Desc, string IdList, string? Url, string? ShortUrl);

/// <summary>A card to create: name, description, due date and the link attached to it (urlSource).</summary>
public sealed record NewTrelloCard(string IdList, string Name, string Desc, DateTimeOffset? Due, string? UrlSource);

/// <summary>Trello did not do what was asked; <see cref="Kind"/> says whether trying again later can help.</summary>
public sealed class TrelloException(TrelloFailure kind, string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
{
    public TrelloFailure Kind { get; } = kind;

    /// <summary>For <see cref="TrelloFailure.RateLimited"/>: how long to wait before the next request.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Worth trying again later: Trello was busy, failed or did not answer.</summary>
    public bool Transient => Kind is TrelloFailure.RateLimited or TrelloFailure.Unavailable or TrelloFailure.NoAnswer;
}

public enum TrelloFailure
{
    /// <summary>429: too many requests for the token or the key; wait and send again.</summary>
    RateLimited,
    /// <summary>5xx.</summary>
    Unavailable,
    /// <summary>No answer, or an unreadable one: the request may or may not have been done.</summary>
    NoAnswer,
    /// <summary>401: the key or the token is wrong or revoked.</summary>
    Unauthorized,
    /// <summary>404: the board or list is gone.</summary>
    NotFound,
    /// <summary>400: Trello refused a value.</summary>
    Refused,
}

/// <summary>Keeps calls made with a key and token within Trello's limits: every call waits its turn; a 429 pauses them all for the wait it asks.</summary>
public interface ITrelloPace
{
    Task WaitTurnAsync(TrelloCredentials credentials, CancellationToken ct);

    void Pause(TrelloCredentials credentials, TimeSpan wait);
}
