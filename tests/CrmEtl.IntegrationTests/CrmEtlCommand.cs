using CrmEtl.Host.Cli;

namespace CrmEtl.IntegrationTests;

/// <summary>Runs a crmetl verb in this process against a database, capturing what it prints; tests using it are non-parallelizable.</summary>
internal static class CrmEtlCommand
{
    public static async Task<(int Exit, string Out, string Error)> RunAsync(string connectionString, params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var previous = Environment.GetEnvironmentVariable("CRMETL_PG");
        Environment.SetEnvironmentVariable("CRMETL_PG", connectionString);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var exit = await CrmEtlCli.Build().Parse(args).InvokeAsync();
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Environment.SetEnvironmentVariable("CRMETL_PG", previous);
        }
    }
}
