using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Forms;

/// <summary>Web forms (configuration section "Forms"): what a submission may be, and how often one address may post.</summary>
public sealed class FormOptions
{
    public const string SectionName = "Forms";

    /// <summary>Submissions one client address may post to one module per minute; more get 429.</summary>
    [Range(1, 100_000, ErrorMessage = "Forms:SubmissionsPerMinute is how many submissions one address may post to one module per minute, e.g. 20.")]
    public int SubmissionsPerMinute { get; set; } = 20;

    /// <summary>The largest body a submission may have.</summary>
    [Range(1_024, 1_048_576, ErrorMessage = "Forms:MaxBodyBytes is the largest submission body in bytes, between 1024 and 1048576 (e.g. 65536).")]
    public int MaxBodyBytes { get; set; } = 64 * 1024;
}
