using Microsoft.Extensions.Logging;

namespace CrmEtl.Host.Scheduling;

/// <summary>What the schedules log, under event ids 3000–3099 that operators can alert on (docs/OPERATIONS.md lists them all).</summary>
internal static partial class SchedulingLog
{
    [LoggerMessage(EventId = 3001, EventName = "Scheduled", Level = LogLevel.Information, Message = "Scheduled {Instance}: '{Schedule}' in {TimeZone}")]
    public static partial void Scheduled(ILogger logger, string instance, string schedule, string timeZone);

    [LoggerMessage(EventId = 3002, EventName = "RunsPruned", Level = LogLevel.Information, Message = "Deleted {Count} runs older than {Days} days from the run history")]
    public static partial void RunsPruned(ILogger logger, int count, int days);

    [LoggerMessage(EventId = 3003, EventName = "ReconcileFailed", Level = LogLevel.Warning, Message = "Could not bring the schedules up to date: {Reason}")]
    public static partial void ReconcileFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3004, EventName = "RunFiredAgain", Level = LogLevel.Warning, Message = "Run {RunId} was queued with nothing to take it up; fired for it again")]
    public static partial void RunFiredAgain(ILogger logger, long runId);
}
