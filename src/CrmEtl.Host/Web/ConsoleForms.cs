using System.Text.Json;
using CrmEtl.Host.Forms;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Forms;
using CrmEtl.Storage.Instances;

namespace CrmEtl.Host.Web;

/// <summary>What the console's test submission got: queued (its id, or the one queued before with the same values), or the intake's problems.</summary>
public sealed record FormTestResult(SubmissionAccepted? Accepted, IReadOnlyList<string> Problems);

/// <summary>A CRM record a submission wrote or found, as its result lists it: "contact", its id, its link, and what else it says (found, moved…).</summary>
public sealed record FormResultRecord(string Record, long? Id, string? Link, string? Note);

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

    /// <summary>Adds a module, or changes the company's module of that name, on one of the company's instances; every problem is listed and nothing changes.</summary>
    public async Task<FormModule> SaveAsync(ConsoleSession session, string? name, int? instanceId, string? settingsJson, CancellationToken ct)
    {
        session.RequireAdmin("sets web form modules");
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

    /// <summary>The CRM records in a submission's result (contact, company, deal with their ids and links; tasks; the rule that skipped it).</summary>
    public static IReadOnlyList<FormResultRecord> Records(string? resultJson)
    {
        if (string.IsNullOrWhiteSpace(resultJson)) return [];
        using var document = JsonDocument.Parse(resultJson);
        if (document.RootElement.ValueKind != JsonValueKind.Object) return [];
        var records = new List<FormResultRecord>();
        foreach (var p in document.RootElement.EnumerateObject())
        {
            var record = p.Name.Replace('_', ' ');
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.Object:
                    var v = p.Value;
                    long? id = v.TryGetProperty("id", out var i) && i.TryGetInt64(out var n) ? n : null;
                    var link = v.TryGetProperty("link", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null;
                    var notes = new List<string>();
                    if (v.TryGetProperty("found", out var f) && f.ValueKind == JsonValueKind.True) notes.Add("found");
                    if (v.TryGetProperty("merged", out var m) && m.ValueKind == JsonValueKind.True) notes.Add("merged by the CRM");
                    if (v.TryGetProperty("movedTo", out var to)) notes.Add($"moved to stage {to.GetRawText()}");
                    records.Add(new(record, id, link, notes.Count == 0 ? null : string.Join(", ", notes)));
                    break;
                case JsonValueKind.Number:
                    records.Add(new(record, p.Value.TryGetInt64(out var number) ? number : null, null, null));
                    break;
                case JsonValueKind.String:
                    records.Add(new(record, null, null, p.Value.GetString()));
                    break;
            }
        }
        return records;
    }
}
