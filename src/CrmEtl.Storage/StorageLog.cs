using Microsoft.Extensions.Logging;

namespace CrmEtl.Storage;

/// <summary>What the storage logs, under event ids 4000–4999 that operators can alert on (docs/OPERATIONS.md lists them all).</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 4001, EventName = "MigrationApplied", Level = LogLevel.Information, Message = "Applied migration {Migration}")]
    public static partial void MigrationApplied(ILogger logger, string migration);

    [LoggerMessage(EventId = 4101, EventName = "AnalyticsStep", Level = LogLevel.Debug, Message = "Analytics of {Instance}: {Step} ({Rows} rows) in {Milliseconds:0} ms")]
    public static partial void AnalyticsStep(ILogger logger, string instance, string step, int rows, double milliseconds);

    [LoggerMessage(EventId = 4102, EventName = "AnalyticsBuilt", Level = LogLevel.Information, Message = "Analytics of {Instance} built: {Deals} deals, {Passes} funnel passes, {Activities} activities, {Leads} leads, {Problems} problems in {Seconds:0.0} s")]
    public static partial void AnalyticsBuilt(ILogger logger, string instance, long deals, long passes, long activities, long leads, int problems, double seconds);
}
