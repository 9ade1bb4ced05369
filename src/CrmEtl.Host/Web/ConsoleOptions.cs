using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Web;

/// <summary>The web console's sign-in rules (configuration section "Console").</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>Wrong passwords in a row that lock an account.</summary>
    [Range(1, 100, ErrorMessage = "Console:LockoutAfter must be between 1 and 100 wrong passwords.")]
    public int LockoutAfter { get; set; } = 5;

    /// <summary>How long a locked account refuses every sign-in.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Console:LockoutFor must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan LockoutFor { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A session ends after this long without a request.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "Console:SessionIdle must be between 00:01:00 and 30.00:00:00.")]
    public TimeSpan SessionIdle { get; set; } = TimeSpan.FromHours(8);
}
