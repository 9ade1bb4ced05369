using System.CommandLine;
using CrmEtl.Host.Forms;
using CrmEtl.Storage.Forms;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl forms: web form modules (list, set, remove); crmetl submissions: what forms sent and how it went.</summary>
internal static class FormCommands
{
    public static Command Build()
    {
        var command = List(new Command("forms", "List the web form modules: their instance and submission address."));
        command.Subcommands.Add(List(new Command("list", "List the web form modules (the same as 'crmetl forms').")));
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command List(Command command)
    {
        var company = new Option<string?>("--company") { Description = "Only this company's modules." };
        command.Options.Add(company);
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var modules = await host.Services.GetRequiredService<FormModules>().ListAsync(parse.GetValue(company), ct2);
            if (modules.Count == 0) Console.WriteLine("No form modules yet. Add one with 'crmetl forms set --name N --instance I --settings FILE' (docs/FORMS.md).");
            foreach (var m in modules)
                Console.WriteLine($"{m.Company} / {m.Name}: into {m.Instance} ({m.InstanceKind}), duplicates {m.Settings.Duplicates}; submissions: POST /forms/{m.Key}/submissions");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Set()
    {
        var name = new Option<string>("--name") { Description = "The module's name, unique in its company (setting it again changes it; its address stays).", Required = true };
        var instance = new Option<string>("--instance") { Description = "The CRM instance submissions go to (name or id).", Required = true };
        var settings = new Option<FileInfo?>("--settings") { Description = "A JSON file of the module's settings (docs/FORMS.md); without it: a contact from {{name}}, {{email}} and {{phone}}." };
        var command = new Command("set", "Add a web form module, or change one: what a submission creates in the CRM and how duplicates are found.") { name, instance, settings };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var file = parse.GetValue(settings);
            if (file is { Exists: false }) throw new Instances.InstanceInputException([$"--settings: there is no file {file.FullName}."]);
            var values = file is null ? new Core.Forms.FormSettings() : FormModules.Parse(await File.ReadAllTextAsync(file.FullName, ct2));
            var module = await host.Services.GetRequiredService<FormModules>().SaveAsync(parse.GetValue(name)!, parse.GetValue(instance)!, values, ct2);
            Console.WriteLine($"Form module '{module.Name}' of {module.Company} writes to {module.Instance}. Its form posts to /forms/{module.Key}/submissions on the worker's address.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The module's name." };
        var company = new Option<string>("--company") { Description = "The module's company.", Required = true };
        var command = new Command("remove", "Remove a form module and its submissions; its address answers 404 from then on.") { name, company };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var modules = host.Services.GetRequiredService<FormModules>();
            var module = await modules.FindAsync(parse.GetValue(company)!, parse.GetValue(name)!, ct2);
            await host.Services.GetRequiredService<FormStore>().RemoveAsync(module.Id, ct2);
            Console.WriteLine($"Form module '{module.Name}' of {module.Company} is removed.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>crmetl submissions: the latest submissions with their outcome.</summary>
    public static Command Submissions()
    {
        var company = new Option<string?>("--company") { Description = "Only this company's submissions." };
        var limit = new Option<int>("--limit") { Description = "How many, newest first.", DefaultValueFactory = _ => 50 };
        var command = new Command("submissions", "List the latest web form submissions and how each went (queued, created, found, moved, skipped, or the error).") { company, limit };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var rows = await host.Services.GetRequiredService<FormStore>().SubmissionsAsync(parse.GetValue(company), null, Math.Clamp(parse.GetValue(limit), 1, 1000), ct2);
            if (rows.Count == 0) Console.WriteLine("No submissions yet.");
            foreach (var s in rows)
                Console.WriteLine($"{s.Id}  {s.ReceivedAt:yyyy-MM-dd HH:mm:ss} UTC  {s.Module}  {s.Email ?? s.Phone}  {s.Status}" +
                    (s.Outcome is { } o ? $": {o}" : "") + (s.Result is { } r ? $" {r}" : "") + (s.LastError is { } e ? $"  error ({s.Attempts} attempts): {e}" : ""));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
