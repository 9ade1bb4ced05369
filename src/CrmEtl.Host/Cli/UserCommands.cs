using System.CommandLine;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Web;
using CrmEtl.Storage.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl users: who signs in to the web console (list, add, password, remove).</summary>
internal static class UserCommands
{
    public static Command Build()
    {
        var company = new Option<string?>("--company") { Description = "Only this company's users." };
        var command = new Command("users", "List the web console's users; add one, set a password or remove one.") { company };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var all = await host.Services.GetRequiredService<ConsoleUserStore>().ListAsync(parse.GetValue(company), ct2);
            if (all.Count == 0) Console.WriteLine("No console users yet. Add one with 'crmetl users add --email E --company G'.");
            foreach (var u in all)
                Console.WriteLine($"{u.Email}  {u.Company}  {u.Role}" + (u.LastSignIn is { } last ? $"  last signed in {last:yyyy-MM-dd HH:mm} UTC" : "  never signed in")
                    + (u.LockedUntil is { } locked && locked > host.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime ? $"  locked until {locked:HH:mm} UTC" : ""));
            return ExitCodes.Ok;
        }, ct));
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Password());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static readonly Option<bool> PasswordStdin = new("--password-stdin") { Description = "Read the password from standard input instead of making one up (at least 12 characters)." };

    private static Command Add()
    {
        var email = new Option<string>("--email") { Description = "The user's e-mail: what they sign in with.", Required = true };
        var company = new Option<string>("--company") { Description = "The company whose instances and configuration they see (an instance's --company, or its name).", Required = true };
        var role = new Option<string>("--role") { Description = "admin changes the company's instances and configuration; viewer only looks.", DefaultValueFactory = _ => ConsoleRoles.Admin };
        var command = new Command("add", "Add a console user; prints the password made up for them, unless --password-stdin.") { email, company, role, PasswordStdin };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var (user, password) = await host.Services.GetRequiredService<ConsoleAccounts>().AddAsync(
                parse.GetValue(email)!, parse.GetValue(company)!, parse.GetValue(role)!, ReadPassword(parse), ct2);
            Console.WriteLine($"Added {user.Email} ({user.Role} of {user.Company}).");
            if (!parse.GetValue(PasswordStdin)) Console.WriteLine($"Password: {password}  (shown once; hand it over safely)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Password()
    {
        var email = new Argument<string>("email") { Description = "The user's e-mail." };
        var command = new Command("password", "Set a new password (made up unless --password-stdin); ends the user's sessions and lifts a lockout.") { email, PasswordStdin };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var user = await FindAsync(host, parse.GetValue(email)!, ct2);
            var password = await host.Services.GetRequiredService<ConsoleAccounts>().ResetPasswordAsync(user, ReadPassword(parse), ct2);
            Console.WriteLine($"New password set for {user.Email}; their sessions are signed out.");
            if (!parse.GetValue(PasswordStdin)) Console.WriteLine($"Password: {password}  (shown once; hand it over safely)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var email = new Argument<string>("email") { Description = "The user's e-mail." };
        var command = new Command("remove", "Remove a console user; their sessions end at their next request.") { email };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var user = await FindAsync(host, parse.GetValue(email)!, ct2);
            await host.Services.GetRequiredService<ConsoleUserStore>().RemoveAsync(user.Id, ct2);
            Console.WriteLine($"Removed {user.Email}.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static async Task<ConsoleUser> FindAsync(IHost host, string email, CancellationToken ct) =>
        await host.Services.GetRequiredService<ConsoleUserStore>().FindAsync(email, ct)
        ?? throw new InstanceNotFoundException($"There is no console user '{ConsoleUserStore.Normalize(email)}' ('crmetl users' lists them).");

    private static string? ReadPassword(ParseResult parse) => parse.GetValue(PasswordStdin) ? Console.In.ReadLine()?.TrimEnd('\r', '\n') ?? "" : null;
}
