using System.Text.RegularExpressions;

namespace CrmEtl.Core.Forms;

/// <summary>How duplicates are controlled: by CrmEtl (the CRM searched by e-mail and phone), by the CRM's own rules, or not at all.</summary>
public static class FormDuplicates
{
    public const string Ours = "ours", Crm = "crm", None = "none";
    public static readonly IReadOnlyList<string> All = [Ours, Crm, None];
}

/// <summary>
/// What a submission of a form module creates in its instance's CRM, as the admin set it. Texts may hold macros:
/// <c>{{email}}</c>, <c>{{phone}}</c>, <c>{{name}}</c>, <c>{{budget}}</c> or any form parameter, replaced by the submitted values.
/// Ids (users, pipelines, stages, task types, fields) are the CRM's own.
/// </summary>
public sealed record FormSettings
{
    /// <summary>The region of phone numbers given without a country code (ISO 3166 alpha-2, e.g. FI).</summary>
    public string DefaultRegion { get; init; } = "FI";
    public FormContactSettings Contact { get; init; } = new();
    /// <summary>The deal each submission makes (or finds); null: none.</summary>
    public FormDealSettings? Deal { get; init; }
    /// <summary>The company the contact belongs to; null: none.</summary>
    public FormCompanySettings? Company { get; init; }
    /// <summary><see cref="FormDuplicates"/>: ours (the default), crm or none.</summary>
    public string Duplicates { get; init; } = FormDuplicates.Ours;
    /// <summary>A contact or company found by e-mail or phone is overwritten with the form's values; false: only what it lacks is added.</summary>
    public bool UpdateOnDuplicates { get; init; }
    /// <summary>An open deal found in <see cref="FormMoveRule.FromStageId"/> is moved to its next stage instead of making a new one.</summary>
    public FormMoveRule? Move { get; init; }
    /// <summary>Rules on the form's values that switch the module on or off for a submission, the first that matches deciding.</summary>
    public IReadOnlyList<FormLogicRule> Rules { get; init; } = [];
}

public sealed record FormContactSettings
{
    public string Name { get; init; } = "{{name}}";
    /// <summary>Where the submission's e-mail and phone come from: macros over the form's parameters.</summary>
    public string Email { get; init; } = "{{email}}";
    public string Phone { get; init; } = "{{phone}}";
    public long? ResponsibleUserId { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Note { get; init; }
    /// <summary>CRM field id → value (a macro).</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    public FormTaskSettings? Task { get; init; }
}

public sealed record FormDealSettings
{
    public string Name { get; init; } = "Request from {{name}}";
    public long? PipelineId { get; init; }
    public long? StageId { get; init; }
    /// <summary>The deal's value, a macro (e.g. {{budget}}); a value that is not a number leaves the deal without one.</summary>
    public string? Budget { get; init; }
    public long? ResponsibleUserId { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Note { get; init; }
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    public FormTaskSettings? Task { get; init; }
    /// <summary>Where an open deal of the contact or company counts as a duplicate: these pipelines (empty: all).</summary>
    public IReadOnlyList<long> DuplicatePipelines { get; init; } = [];
    /// <summary>... and these stages (empty: all open ones).</summary>
    public IReadOnlyList<long> DuplicateStages { get; init; } = [];
    /// <summary>... and whose fields hold these values: deal field id → value (a macro), compared trimmed and case-insensitively.</summary>
    public IReadOnlyDictionary<string, string> DuplicateFields { get; init; } = new Dictionary<string, string>();
}

public sealed record FormCompanySettings
{
    public string Name { get; init; } = "{{company}}";
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Note { get; init; }
    /// <summary>Extra phones of the company, as macros.</summary>
    public IReadOnlyList<string> Phones { get; init; } = [];
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    public FormTaskSettings? Task { get; init; }
}

/// <param name="DueInHours">The task is due this long after the submission.</param>
public sealed record FormTaskSettings(string Text, long? TypeId = null, int DueInHours = 24, long? ResponsibleUserId = null);

/// <summary>A second form moves an open deal found in <paramref name="FromStageId"/> to <paramref name="ToStageId"/>.</summary>
public sealed record FormMoveRule(long FromStageId, long ToStageId);

/// <summary>
/// When <paramref name="Field"/> <paramref name="Operator"/> <paramref name="Value"/> (equals, not_equals, contains, empty,
/// not_empty; case-insensitive), the module runs (<paramref name="Run"/> true) or skips the submission.
/// </summary>
public sealed record FormLogicRule(string Field, string Operator, string? Value, bool Run);

/// <summary>Macros and logic rules over a submission's values.</summary>
public static partial class FormValues
{
    /// <summary><paramref name="text"/> with every {{name}} replaced by the value of that parameter (empty when the form has none).</summary>
    public static string Expand(string? text, IReadOnlyDictionary<string, string> values) =>
        text is null ? "" : Macro().Replace(text, m => values.TryGetValue(m.Groups[1].Value.Trim(), out var v) ? v : "").Trim();

    /// <summary>Whether the module runs for these values: the first matching rule decides; with none matching, it runs.</summary>
    public static (bool Run, FormLogicRule? Because) Decide(IReadOnlyList<FormLogicRule> rules, IReadOnlyDictionary<string, string> values)
    {
        foreach (var rule in rules)
        {
            var value = values.TryGetValue(rule.Field, out var v) ? v.Trim() : "";
            var matches = rule.Operator switch
            {
                "equals" => string.Equals(value, rule.Value?.Trim(), StringComparison.OrdinalIgnoreCase),
                "not_equals" => !string.Equals(value, rule.Value?.Trim(), StringComparison.OrdinalIgnoreCase),
                "contains" => rule.Value is { Length: > 0 } part && value.Contains(part.Trim(), StringComparison.OrdinalIgnoreCase),
                "empty" => value.Length == 0,
                "not_empty" => value.Length > 0,
                _ => false,
            };
            if (matches) return (rule.Run, rule);
        }
        return (true, null);
    }

    public static readonly IReadOnlyList<string> Operators = ["equals", "not_equals", "contains", "empty", "not_empty"];

    [GeneratedRegex(@"\{\{\s*([^{}]+?)\s*\}\}")]
    private static partial Regex Macro();
}
