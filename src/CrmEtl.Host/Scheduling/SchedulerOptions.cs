using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Scheduling;

/// <summary>The worker's scheduling (configuration section "Scheduler").</summary>
public sealed class SchedulerOptions
{
    public const string SectionName = "Scheduler";

    /// <summary>How often a worker tells the others it is alive; a worker silent for about twice this long is taken for dead and its runs are recovered.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00", ErrorMessage = "Scheduler:CheckinInterval must be between 00:00:00.500 and 00:10:00.")]
    public TimeSpan CheckinInterval { get; set; } = TimeSpan.FromSeconds(7.5);

    /// <summary>A fire later than this counts as missed (the worker was down): it then runs once, at start-up.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Scheduler:MisfireThreshold must be between 00:00:01 and 01:00:00.")]
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a worker brings the schedules in line with the instances (changes made by 'crmetl instances ...' on another machine).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Scheduler:ReconcileEvery must be between 00:00:01 and 01:00:00.")]
    public TimeSpan ReconcileEvery { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Finished runs older than this are deleted from the run history.</summary>
    [Range(1, 3650, ErrorMessage = "Scheduler:RunHistoryDays must be between 1 and 3650.")]
    public int RunHistoryDays { get; set; } = 90;

    /// <summary>Runs executed at once by one worker (each instance still runs alone).</summary>
    [Range(1, 64, ErrorMessage = "Scheduler:MaxConcurrentRuns must be between 1 and 64.")]
    public int MaxConcurrentRuns { get; set; } = 4;
}
