using System.Diagnostics;
using CrmEtl.Host.Cli;
using CrmEtl.Testing;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>The worker the Dockerfile publishes: the same crmetl, without the sandbox CRMs, the demo and the benchmarks.</summary>
[Parallelizable] // publishes into a directory of its own
public sealed class ProductionBuildTests
{
    [Test]
    public async Task The_worker_published_for_the_image_has_no_sandboxes_demo_or_benchmarks_and_still_migrates_a_database()
    {
        var repository = Repository.Root;
        Assert.That(await File.ReadAllTextAsync(Path.Combine(repository, "Dockerfile")), Does.Contain("dotnet publish src/CrmEtl.Host/CrmEtl.Host.csproj -c Release -p:DevTools=false"),
            "the image is published as this test publishes it");
        var scratch = Directory.CreateTempSubdirectory("crmetl-production-").FullName;
        try
        {
            var app = Path.Combine(scratch, "app");
            // Its own artifacts folder: the build beside the tests is left as it is.
            var publish = await RunAsync("dotnet", repository, null, "publish", "src/CrmEtl.Host/CrmEtl.Host.csproj", "-c", "Release", "-p:DevTools=false",
                "-o", app, "--artifacts-path", Path.Combine(scratch, "artifacts"), "-nologo", "-v", "quiet");
            Assert.That(publish.Exit, Is.Zero, publish.Output);

            Assert.That(Path.Combine(app, "crmetl.dll"), Does.Exist);
            Assert.That(Directory.GetFiles(app, "CrmEtl.*.dll").Select(Path.GetFileName), Is.EquivalentTo(new[] { "CrmEtl.Core.dll", "CrmEtl.Connectors.dll", "CrmEtl.Storage.dll" }));
            var help = await RunAsync("dotnet", app, null, "crmetl.dll", "--help");
            Assert.That(help.Exit, Is.Zero, help.Output);
            Assert.That(help.Output, Does.Contain("worker").And.Contain("instances").And.Contain("sync"));
            Assert.That(help.Output, Does.Not.Contain("demo").And.Not.Contain("sandbox").And.Not.Contain("bench"));
            Assert.That((await RunAsync("dotnet", app, null, "crmetl.dll", "demo")).Exit, Is.Not.Zero, "no demo verb");

            var migrate = await RunAsync("dotnet", app, await PostgresFixture.Databases.CreateAsync("production"), "crmetl.dll", "migrate");
            Assert.That(migrate.Exit, Is.EqualTo(ExitCodes.Ok), migrate.Output);
            Assert.That(migrate.Output, Does.Contain("The schema is up to date."));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string directory, string? database, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (database is not null) start.Environment["CRMETL_PG"] = database;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
