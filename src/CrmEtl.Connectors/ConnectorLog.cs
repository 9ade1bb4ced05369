using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors;

/// <summary>What the connectors log, under event ids 1000–1999 that operators can alert on (docs/OPERATIONS.md lists them all).</summary>
internal static partial class ConnectorLog
{
    [LoggerMessage(EventId = 1001, EventName = "CrmRetrying", Level = LogLevel.Warning, Message = "{Problem}; retrying (attempt {Attempt}) in {DelaySeconds:0.0} s")]
    public static partial void Retrying(ILogger logger, string problem, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 1002, EventName = "FullResync", Level = LogLevel.Information, Message = "Full resync: the last complete {Stream} pass was at {LastPass} (never, if empty)")]
    public static partial void FullResync(ILogger logger, string stream, DateTimeOffset? lastPass);

    [LoggerMessage(EventId = 1101, EventName = "PipedriveBurstLimit", Level = LogLevel.Information, Message = "Pipedrive burst limit reached; waiting {DelaySeconds:0.0} s")]
    public static partial void PipedriveBurstLimit(ILogger logger, double delaySeconds);

    [LoggerMessage(EventId = 1201, EventName = "ZohoTooManyRequests", Level = LogLevel.Information, Message = "Zoho: too many requests ({Reason}); waiting {DelaySeconds:0.0} s")]
    public static partial void ZohoTooManyRequests(ILogger logger, string reason, double delaySeconds);

    [LoggerMessage(EventId = 1202, EventName = "ZohoWindowReanchored", Level = LogLevel.Information, Message = "Zoho {Module}: {Read} records read in this If-Modified-Since window; re-anchoring it on {LastModified:O}")]
    public static partial void ZohoWindowReanchored(ILogger logger, string module, int read, DateTimeOffset lastModified);

    [LoggerMessage(EventId = 1203, EventName = "ZohoHistoryFieldsRefused", Level = LogLevel.Information, Message = "Zoho's DealHistory module refused the fields asked for ({Reason}); reading it with Stage, Modified_Time and the deal only")]
    public static partial void ZohoHistoryFieldsRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 1204, EventName = "ZohoHistoryFallback", Level = LogLevel.Information, Message = "Zoho's DealHistory module is not available ({Reason}); reading Stage_History per changed deal instead")]
    public static partial void ZohoHistoryFallback(ILogger logger, string reason);

    [LoggerMessage(EventId = 1205, EventName = "ZohoModuleSkipped", Level = LogLevel.Information, Message = "Zoho module {Module} is skipped: {Reason}")]
    public static partial void ZohoModuleSkipped(ILogger logger, string module, string reason);

    [LoggerMessage(EventId = 1301, EventName = "KommoTooManyRequests", Level = LogLevel.Information, Message = "Kommo answered 429 Too Many Requests ({Count} in this call); waiting before trying again")]
    public static partial void KommoTooManyRequests(ILogger logger, int count);
}
