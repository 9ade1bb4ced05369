using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Host.Sync;

/// <summary>What a run logs, under event ids 2000–2999 that operators can alert on (docs/OPERATIONS.md lists them all).</summary>
internal static partial class SyncLog
{
    [LoggerMessage(EventId = 2001, EventName = "RunStarted", Level = LogLevel.Information, Message = "Sync of {Instance} started ({Mode})")]
    public static partial void RunStarted(ILogger logger, string instance, SyncMode mode);

    [LoggerMessage(EventId = 2002, EventName = "RunResumed", Level = LogLevel.Information, Message = "Sync of {Instance} resumed ({Mode}): the worker running it stopped")]
    public static partial void RunResumed(ILogger logger, string instance, SyncMode mode);

    [LoggerMessage(EventId = 2003, EventName = "RunSucceeded", Level = LogLevel.Information, Message = "Sync of {Instance} ended succeeded: {Read} rows read, {Written} written, {Calls} calls, {Tokens} tokens in {Seconds:0.0} s")]
    public static partial void RunSucceeded(ILogger logger, string instance, long read, long written, int calls, int tokens, double seconds);

    /// <summary>Failed, auth_failed, budget_exhausted or cancelled: the one to alert on.</summary>
    [LoggerMessage(EventId = 2004, EventName = "RunNotSucceeded", Level = LogLevel.Warning, Message = "Sync of {Instance} ended {Status}: {Error} ({Read} rows read, {Written} written, {Calls} calls, {Tokens} tokens in {Seconds:0.0} s)")]
    public static partial void RunNotSucceeded(ILogger logger, string instance, string status, string? error, long read, long written, int calls, int tokens, double seconds);

    [LoggerMessage(EventId = 2005, EventName = "RunRequeued", Level = LogLevel.Information, Message = "Sync of {Instance} stopped for shutdown after {Read} rows read, {Written} written; queued for the next worker")]
    public static partial void RunRequeued(ILogger logger, string instance, long read, long written);

    [LoggerMessage(EventId = 2006, EventName = "ProgressNotRecorded", Level = LogLevel.Warning, Message = "Could not record the run's progress: {Reason}")]
    public static partial void ProgressNotRecorded(ILogger logger, string reason);

    /// <summary>A defect or a dead database, with its stack trace.</summary>
    [LoggerMessage(EventId = 2007, EventName = "RunFailedUnexpectedly", Level = LogLevel.Error, Message = "The run failed")]
    public static partial void RunFailedUnexpectedly(ILogger logger, Exception exception);
}
