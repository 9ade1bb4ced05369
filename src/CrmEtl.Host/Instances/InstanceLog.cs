using Microsoft.Extensions.Logging;

namespace CrmEtl.Host.Instances;

/// <summary>What changes to instances log, under event ids 3100–3199 (docs/OPERATIONS.md lists them all).</summary>
internal static partial class InstanceLog
{
    [LoggerMessage(EventId = 3101, EventName = "InstanceChanged", Level = LogLevel.Information, Message = "Instance {Instance} {Change}")]
    public static partial void Changed(ILogger logger, string instance, string change);
}
