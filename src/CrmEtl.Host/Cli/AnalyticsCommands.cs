using System.CommandLine;
using System.Globalization;
using CrmEtl.Storage.Analytics;
using CsvHelper;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl bi-user create, crmetl export: getting the numbers to BI tools and spreadsheets.</summary>
internal static class AnalyticsCommands
{
    public static Command BiUser()
    {
        var name = new Argument<string>("name") { Description = "The role's name, e.g. metabase." };
        var passwordEnv = new Option<string>("--password-env") { Description = "An environment variable holding the password (kept out of shell history).", Required = true };
        var create = new Command("create", "Create a read-only login role that can read the analytics schema and nothing else.") { name, passwordEnv };
        create.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var variable = parse.GetValue(passwordEnv)!;
            var password = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(password)) throw new ArgumentException($"The environment variable {variable} is not set; set it to the role's password.");
            await host.Services.GetRequiredService<AnalyticsAccess>().CreateBiUserAsync(parse.GetValue(name)!, password, ct2);
            Console.WriteLine($"Role '{parse.GetValue(name)}' can now log in and read the analytics schema (SELECT only; no access to etl, crm or config).");
            return ExitCodes.Ok;
        }, ct));
        return new Command("bi-user", "Manage read-only roles for BI tools.") { create };
    }

    public static Command Export()
    {
        var view = new Option<string>("--view") { Description = "An analytics view, e.g. win_rate, kpi_by_month, sales_volume.", Required = true };
        var from = new Option<string?>("--from") { Description = "First date (yyyy-MM-dd) on the view's date column." };
        var to = new Option<string?>("--to") { Description = "Last date (yyyy-MM-dd), inclusive." };
        var instances = new Option<string[]>("--instance") { Description = "Only these instances (repeat for several).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out") { Description = "The CSV file to write (default: standard output)." };
        var command = new Command("export", "Write an analytics view to CSV for a period and instance(s).") { view, from, to, instances, output };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var path = parse.GetValue(output);
            await using var stream = path is null ? Console.OpenStandardOutput() : File.Create(path);
            using var csv = CsvWriter.Create(stream, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture }, true);
            var rows = await host.Services.GetRequiredService<AnalyticsAccess>().ExportAsync(
                parse.GetValue(view)!, Date(parse.GetValue(from), "--from"), Date(parse.GetValue(to), "--to"), parse.GetValue(instances) ?? [],
                row => csv.WriteRecord(row), ct2);
            csv.Flush();
            if (path is not null) Console.WriteLine($"Wrote {rows} rows to {Path.GetFullPath(path)}.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static DateOnly? Date(string? text, string option) =>
        text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
        : throw new ArgumentException($"{option} '{text}' is not a date as yyyy-MM-dd.");
}
