using System.Text.Json;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Configuration;
using CrmEtl.Storage.Forms;
using CrmEtl.Storage.Instances;
using PhoneNumbers;

namespace CrmEtl.Host.Forms;

/// <summary>Form modules as an admin sets them (command line, API, console): checked, then saved under the instance's company.</summary>
public sealed class FormModules(FormStore store, InstanceRepository instances, ConfigurationStore configuration, IEnumerable<ICrmForms> crms)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip };

    private static readonly JsonSerializerOptions Written = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        // Read by a person in a text area (which escapes it for HTML): "Запит від {{name}}" and "+358" as they are, not \uXXXX.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Adds the module, or changes the company's module of that name.</summary>
    public Task<FormModule> SaveAsync(string name, string instanceName, FormSettings settings, CancellationToken ct) => SaveAsync(name, instanceName, settings, [], ct);

    /// <summary>The same with the settings as JSON (the console's text area): a JSON mistake is listed with every other problem.</summary>
    public Task<FormModule> SaveAsync(string name, string instanceName, string settingsJson, CancellationToken ct)
    {
        try
        {
            return SaveAsync(name, instanceName, Parse(settingsJson), [], ct);
        }
        catch (InstanceInputException e)
        {
            return SaveAsync(name, instanceName, null, e.Problems, ct);
        }
    }

    private async Task<FormModule> SaveAsync(string name, string instanceName, FormSettings? settings, IReadOnlyList<string> settingsProblems, CancellationToken ct)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) problems.Add("Give the module a name of 1 to 200 characters, e.g. \"Contact form\".");
        var instance = int.TryParse(instanceName, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? await instances.FindAsync(id, ct) : await instances.FindAsync(instanceName, ct);
        if (instance is null) problems.Add($"There is no instance '{instanceName}'. List them with 'crmetl instances'.");
        problems.AddRange(settingsProblems);
        if (settings is not null) problems.AddRange(Check(settings));
        var crm = instance is null ? null : crms.FirstOrDefault(c => c.Kind == instance.Kind);
        if (instance is not null && crm is null) problems.Add(CannotWrite(instance.Kind));
        if (crm is { OwnDuplicateControl: false } && settings?.Duplicates == FormDuplicates.Crm)
            problems.Add($"duplicates 'crm': {InstanceKinds.DisplayName(crm.Kind)} has no duplicate control of its own for integrations; use 'ours' (CrmEtl searches it by e-mail and phone).");
        if (problems.Count > 0) throw new InstanceInputException(problems);
        var company = await configuration.CompanyOfAsync(instance!.Name, ct) ?? instance.Name;
        return await store.SaveAsync(company, name.Trim(), instance.Id, settings!, ct);
    }

    /// <summary>Whether web forms write to this CRM today.</summary>
    public bool Writes(string kind) => crms.Any(c => c.Kind == kind);

    /// <summary>Why a module on an instance of this CRM is refused, naming the CRMs forms write to.</summary>
    public string CannotWrite(string kind) =>
        $"Web forms cannot write to a {InstanceKinds.DisplayName(kind)} instance yet (today: {string.Join(", ", crms.Select(c => InstanceKinds.DisplayName(c.Kind)))}).";

    /// <summary>Settings as JSON to edit: indented, the settings left unset omitted.</summary>
    public static string Format(FormSettings settings) => JsonSerializer.Serialize(settings, Written);

    /// <summary>Settings read from JSON (comments and trailing commas allowed), or what is wrong with them.</summary>
    public static FormSettings Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<FormSettings>(json, Json) ?? throw new InstanceInputException(["The settings are empty: give a JSON object (see docs/FORMS.md)."]);
        }
        catch (JsonException e)
        {
            throw new InstanceInputException([$"The settings are not valid JSON for a form module: {e.Message} (see docs/FORMS.md)."]);
        }
    }

    /// <summary>What is wrong with the settings, each naming the setting and what it takes.</summary>
    public static IEnumerable<string> Check(FormSettings s)
    {
        if (!FormDuplicates.All.Contains(s.Duplicates)) yield return $"duplicates '{s.Duplicates}' is not one of {string.Join(", ", FormDuplicates.All)}.";
        if (!PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(s.DefaultRegion))
            yield return $"defaultRegion '{s.DefaultRegion}' is not a region code phone numbers know (two capital letters, e.g. FI, DE, UA).";
        foreach (var rule in s.Rules)
        {
            if (!FormValues.Operators.Contains(rule.Operator)) yield return $"rule on '{rule.Field}': operator '{rule.Operator}' is not one of {string.Join(", ", FormValues.Operators)}.";
            if (string.IsNullOrWhiteSpace(rule.Field)) yield return "a rule names no field: give the form parameter it looks at.";
        }
        if (s.Move is not null && s.Deal is null) yield return "move is set, but there is no deal: a move rule acts on the deal a submission finds.";
        if (s.Duplicates == FormDuplicates.Crm && s.Deal is null) yield return "duplicates 'crm' adds a deal with its contact through the CRM's own duplicate control: set deal.";
        foreach (var task in new[] { s.Contact.Task, s.Deal?.Task, s.Company?.Task }.OfType<FormTaskSettings>())
            if (string.IsNullOrWhiteSpace(task.Text) || task.DueInHours is < 0 or > 24 * 365) yield return "a task needs a text, and dueInHours between 0 and 8760.";
    }

    public Task<IReadOnlyList<FormModule>> ListAsync(string? company, CancellationToken ct) => store.ListAsync(company, ct);

    public async Task<FormModule> FindAsync(string company, string name, CancellationToken ct) =>
        await store.FindByNameAsync(company, name, ct) ?? throw new InstanceNotFoundException($"{company} has no form module '{name}'. List them with 'crmetl forms'.");
}
