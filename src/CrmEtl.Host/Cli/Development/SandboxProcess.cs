using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CrmEtl.Host.Cli;

/// <summary>
/// A sandbox CRM run as its own process (`crmetl sandbox`), so that what a benchmark measures of
/// this process (its memory above all) is the sync's and not the generated account's. Driven over
/// HTTP like the real services; data changes go through the sandbox's /_sandbox control endpoints.
/// </summary>
internal sealed partial class SandboxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _control = new() { Timeout = TimeSpan.FromMinutes(10) };

    private SandboxProcess(Process process, string crm, string pipedriveUrl, string? zohoAccounts, string? zohoApi, string? kommoUrl)
    {
        _process = process;
        Crm = crm;
        PipedriveUrl = pipedriveUrl;
        ZohoAccountsUrl = zohoAccounts;
        ZohoApiDomain = zohoApi;
        KommoUrl = kommoUrl;
    }

    /// <summary>pipedrive, zoho or kommo: the CRM the account lives in.</summary>
    public string Crm { get; }
    public string PipedriveUrl { get; }
    public string? ZohoAccountsUrl { get; }
    public string? ZohoApiDomain { get; }

    /// <summary>The Kommo account's base URL (standing for https://SUBDOMAIN.kommo.com).</summary>
    public string? KommoUrl { get; }

    /// <summary>The control endpoint that changes the account's data.</summary>
    private string MutateUrl(string name) => Crm switch
    {
        "zoho" => $"{ZohoApiDomain}/_sandbox/{name}/mutate",
        "kommo" => $"{KommoUrl}/_sandbox/kommo/mutate",
        _ => $"{PipedriveUrl}/_sandbox/{name}/mutate",
    };

    /// <summary>
    /// Starts `crmetl sandbox` with one account named <paramref name="name"/> in <paramref name="crm"/> (a Pipedrive
    /// company, a Zoho org in the EU data centre, or a Kommo account of that subdomain) and waits until it listens.
    /// </summary>
    public static async Task<SandboxProcess> StartAsync(string name, string crm, int seed, int deals, int activities, int leads, CancellationToken ct)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var self = Environment.ProcessPath!;
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(SandboxProcess).Assembly.Location);
        string[] args =
        [
            "sandbox", "--seed", Text(seed), "--deals", Text(deals), "--activities", Text(activities), "--leads", Text(leads),
            "--companies", crm == "pipedrive" ? name : "", "--daily-tokens", Text(long.MaxValue / 2), "--burst", Text(100_000),
            .. crm switch
            {
                "zoho" => new[] { "--zoho-orgs", name, "--daily-credits", Text(long.MaxValue / 2) },
                "kommo" => ["--kommo-accounts", name],
                _ => [],
            },
        ];
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the sandbox process");
        _ = process.StandardError.ReadToEndAsync(ct);
        try
        {
            string? pipedrive = null, accounts = null, api = null, kommo = null;
            while (pipedrive is null || (crm == "zoho" && api is null) || (crm == "kommo" && kommo is null))
            {
                var line = await process.StandardOutput.ReadLineAsync(ct)
                    ?? throw new InvalidOperationException($"the sandbox process ended (exit code {(process.WaitForExit(5_000) ? process.ExitCode : -1)}) before it listened");
                if (PipedriveLine().Match(line) is { Success: true } p) pipedrive = p.Groups[1].Value;
                if (ZohoLine().Match(line) is { Success: true } z) (accounts, api) = (z.Groups[1].Value, z.Groups[2].Value);
                if (KommoLine().Match(line) is { Success: true } k) kommo = k.Groups[1].Value;
            }
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            return new SandboxProcess(process, crm, pipedrive, accounts, api, kommo);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Changes the account as its users would (see MutationPlan: add_deals=…&amp;move_deals=…).</summary>
    public async Task MutateAsync(string name, IReadOnlyDictionary<string, int> changes, CancellationToken ct)
    {
        var query = string.Join('&', changes.Select(c => $"{c.Key}={Text(c.Value)}"));
        using var response = await _control.PostAsync(new Uri($"{MutateUrl(name)}?{query}"), null, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>CPU time the sandbox process has used so far.</summary>
    public TimeSpan Cpu()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>The sandbox process's own peak resident memory, in MB.</summary>
    public long PeakRssMb() => PeakRss.OfProcess(_process.Id);

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^Pipedrive sandbox listening on (\S+)")]
    private static partial Regex PipedriveLine();

    [GeneratedRegex(@"accounts server (\S+) \(API domain (\S+)\)")]
    private static partial Regex ZohoLine();

    [GeneratedRegex(@"^Kommo sandbox account \S+: (\S+)")]
    private static partial Regex KommoLine();
}

/// <summary>Peak resident memory (VmHWM) from /proc, and its reset, so each benchmark scenario reports its own peak.</summary>
internal static class PeakRss
{
    /// <summary>Resets this process's peak to its current resident memory (Linux: clear_refs 5); false where that is not possible.</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static long OfThisProcess() => OfProcess(Environment.ProcessId);

    /// <summary>VmHWM in MB, or 0 where /proc does not tell.</summary>
    public static long OfProcess(int pid)
    {
        var status = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(status)) return 0;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture, out var kb) ? kb / 1024 : 0;
    }
}
