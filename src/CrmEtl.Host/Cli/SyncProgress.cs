using CrmEtl.Core.Sync;
using Spectre.Console;

namespace CrmEtl.Host.Cli;

/// <summary>
/// A live view of a running sync on a terminal: one line per stream with rows read and written,
/// calls and tokens. The totals of a CRM are unknown until the end, so the bars are indeterminate.
/// </summary>
internal static class SyncProgress
{
    public static bool IsSupported =>
        !Console.IsOutputRedirected && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public static async Task<T> ShowAsync<T>(string instance, RunStats stats, Task<T> run)
    {
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new SpinnerColumn())
            .StartAsync(async display =>
            {
                var lines = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                while (true)
                {
                    foreach (var (stream, s) in stats.Streams.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        if (!lines.TryGetValue(stream, out var line))
                            lines[stream] = line = display.AddTask(stream).IsIndeterminate();
                        line.Description = Markup.Escape($"{instance} · {stream}: {s.Read:N0} read, {s.Written:N0} written, {s.Calls:N0} calls, {s.Tokens:N0} tokens");
                    }
                    if (run.IsCompleted) break;
                    await Task.WhenAny(run, Task.Delay(250));
                }
                foreach (var line in lines.Values) line.StopTask();
                result = await run;
            });
        return result;
    }
}
