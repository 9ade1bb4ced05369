using CrmEtl.Host.Forms;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Forms;
using CrmEtl.Storage.Instances;

namespace CrmEtl.Host.Web;

/// <summary>What the console's test submission got: queued (its id, or the one queued before with the same values), or the intake's problems.</summary>
public sealed record FormTestResult(SubmissionAccepted? Accepted, IReadOnlyList<string> Problems);

/// <summary>
/// The console's web forms page: the company's form modules and their submissions, as 'crmetl forms' and 'crmetl
/// submissions' give them; adding, changing and removing modules and test submissions are an admin's.
/// </summary>
public sealed class ConsoleForms(FormModules modules, FormStore store, FormIntake intake, InstanceRepository instances)
{
    /// <summary>What a new module's settings start from (docs/FORMS.md has every setting).</summary>
    public const string ExampleSettings = """
        {
          // Every setting is optional; docs/FORMS.md lists them all. Texts take {{email}}, {{phone}}, {{name}} or any form parameter.
          "defaultRegion": "FI",
          "contact": { "name": "{{name}}", "email": "{{email}}", "phone": "{{phone}}", "tags": ["web form"] },
          "deal": { "name": "Request from {{name}}", "budget": "{{budget}}" },
          "duplicates": "ours"
        }
        """;

    public Task<IReadOnlyList<FormModule>> ModulesAsync(ConsoleSession session, CancellationToken ct) => modules.ListAsync(session.Company, ct);

    /// <summary>The company's submissions by module and status.</summary>
    public async Task<IReadOnlyDictionary<int, IReadOnlyDictionary<string, long>>> CountsAsync(ConsoleSession session, CancellationToken ct) =>
        (await store.CountsAsync(session.Company, ct)).GroupBy(c => c.ModuleId)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, long>)g.ToDictionary(c => c.Status, c => c.Count));

    /// <summary>The company's module; another company's is answered like a missing one.</summary>
    public async Task<FormModule> ModuleAsync(ConsoleSession session, int id, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } module && module.Company == session.Company
            ? module : throw new InstanceNotFoundException($"There is no form module {id}.");

    public async Task<IReadOnlyList<FormSubmissionRow>> SubmissionsAsync(ConsoleSession session, int moduleId, CancellationToken ct) =>
        await store.SubmissionsAsync(session.Company, (await ModuleAsync(session, moduleId, ct)).Id, 50, ct);

    /// <summary>Whether web forms write to this CRM, and else why not (the reason FormModules refuses such a module with).</summary>
    public string? CannotWrite(string kind) => modules.Writes(kind) ? null : modules.CannotWrite(kind);

    /// <summary>
    /// Adds a module (<paramref name="adding"/>: refused when the company has one of that name, which the admin would
    /// overwrite unawares), or changes the company's module of that name, on one of the company's instances; every
    /// problem is listed and nothing changes.
    /// </summary>
    public async Task<FormModule> SaveAsync(ConsoleSession session, bool adding, string? name, int? instanceId, string? settingsJson, CancellationToken ct)
    {
        session.RequireAdmin("sets web form modules");
        if (adding && !string.IsNullOrWhiteSpace(name) && await store.FindByNameAsync(session.Company, name.Trim(), ct) is not null)
            throw new InstanceInputException([$"{session.Company} has a module '{name.Trim()}' already: edit it there, or give this one another name."]);
        // Another company's instance is answered like a missing one: its existence is none of this user's business.
        if (instanceId is { } id && await instances.FindAsync(id, ct) is { } instance && !ConsoleInstances.BelongsTo(instance, session))
            throw new InstanceNotFoundException($"There is no instance {id}.");
        if (instanceId is null) throw new InstanceInputException(["Choose the instance the module writes to."]);
        return await modules.SaveAsync(name ?? "", instanceId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), settingsJson ?? "", ct);
    }

    public async Task RemoveAsync(ConsoleSession session, int id, string typedName, CancellationToken ct)
    {
        session.RequireAdmin("removes web form modules");
        var module = await ModuleAsync(session, id, ct);
        if (typedName.Trim() != module.Name) throw new InstanceInputException([$"Type the module's name, '{module.Name}', to confirm."]);
        await store.RemoveAsync(module.Id, ct);
    }

    /// <summary>
    /// A test submission, taken by the same intake as a form's POST (its checks, its idempotency key, its allowance a
    /// minute): the name, e-mail and phone given, and <c>key=value</c> lines for the other parameters.
    /// </summary>
    public async Task<FormTestResult> TestAsync(ConsoleSession session, int moduleId, string? name, string? email, string? phone, string? parameters, CancellationToken ct)
    {
        session.RequireAdmin("sends test submissions");
        var module = await ModuleAsync(session, moduleId, ct);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        var lines = (parameters ?? "").Split('\n', StringSplitOptions.TrimEntries);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var equals = lines[i].IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) problems.Add($"Line {i + 1} of the other parameters, '{lines[i]}', is not key=value.");
            else fields[lines[i][..equals].Trim()] = lines[i][(equals + 1)..].Trim();
        }
        if (problems.Count > 0) return new(null, problems);
        foreach (var (key, value) in new[] { ("name", name), ("email", email), ("phone", phone) })
            if (!string.IsNullOrWhiteSpace(value)) fields[key] = value;
        try
        {
            return new(await intake.AcceptAsync(module.Key, fields, null, "console " + session.Email, ct), []);
        }
        catch (FormRequestException e)
        {
            return new(null, e.Problems);
        }
    }
}
