using System.Security.Cryptography;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace CrmEtl.Host.Web;

/// <summary>What a sign-in attempt came to.</summary>
public sealed record SignInResult(ConsoleUser? User, string? Problem)
{
    public bool Succeeded => User is not null;
}

/// <summary>
/// Console users for 'crmetl users' and the console's Users page alike: passwords hashed with ASP.NET Core Identity's
/// PasswordHasher, wrong passwords counted and the account locked after Console:LockoutAfter of them in a row.
/// </summary>
public sealed class ConsoleAccounts(ConsoleUserStore users, IOptions<ConsoleOptions> options, TimeProvider clock)
{
    public const int MinimumPasswordLength = 12;
    private static readonly PasswordHasher<ConsoleUser> Hasher = new();
    private const string WrongCredentials = "The e-mail or the password is wrong.";

    /// <summary>Adds a user; without a password one is made up (16 characters) and returned, to be handed over once.</summary>
    public async Task<(ConsoleUser User, string Password)> AddAsync(string email, string company, string role, string? password, CancellationToken cancellationToken)
    {
        var problems = Validate(email, company, role, password);
        if (problems.Count > 0) throw new InstanceInputException(problems);
        password ??= NewPassword();
        var user = await users.AddAsync(email, company, role, Hasher.HashPassword(null!, password), cancellationToken);
        return (user, password);
    }

    public async Task<string> ResetPasswordAsync(ConsoleUser user, string? password, CancellationToken cancellationToken)
    {
        if (password is not null && PasswordProblem(password) is { } problem) throw new InstanceInputException([problem]);
        password ??= NewPassword();
        await users.SetPasswordAsync(user.Id, Hasher.HashPassword(user, password), cancellationToken);
        return password;
    }

    public async Task<SignInResult> SignInAsync(string? email, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password)) return new SignInResult(null, "Enter your e-mail and your password.");
        var user = await users.FindAsync(email, cancellationToken);
        if (user is null)
        {
            // The same work as for a real user, so that the answer's timing does not tell which e-mails exist.
            Hasher.VerifyHashedPassword(null!, DummyHash, password);
            return new SignInResult(null, WrongCredentials);
        }
        if (user.LockedUntil is { } until && DateTime.SpecifyKind(until, DateTimeKind.Utc) > clock.GetUtcNow().UtcDateTime)
            return new SignInResult(null, $"Too many wrong passwords: this account is locked until {DateTime.SpecifyKind(until, DateTimeKind.Utc):yyyy-MM-dd HH:mm} UTC. An admin can set a new password ('crmetl users password {user.Email}').");
        if (Hasher.VerifyHashedPassword(user, user.PasswordHash, password) == PasswordVerificationResult.Failed)
        {
            await users.RecordFailureAsync(user.Id, options.Value.LockoutAfter, options.Value.LockoutFor, cancellationToken);
            var left = options.Value.LockoutAfter - user.FailedSignIns - 1;
            return new SignInResult(null, left > 0 ? WrongCredentials
                : $"Too many wrong passwords: this account is locked for {options.Value.LockoutFor.TotalMinutes:0} minutes.");
        }
        await users.RecordSuccessAsync(user.Id, cancellationToken);
        return new SignInResult(user, null);
    }

    /// <summary>The users of the signed-in user's company.</summary>
    public async Task<IReadOnlyList<ConsoleUser>> ListAsync(ConsoleSession session, CancellationToken cancellationToken) =>
        await users.ListAsync(session.Company, cancellationToken);

    /// <summary>An admin adds a user to their own company; the password made up for them is shown once.</summary>
    public async Task<(ConsoleUser User, string Password)> AddAsync(ConsoleSession session, string email, string role, CancellationToken cancellationToken)
    {
        Admin(session);
        return await AddAsync(email, session.Company, role, null, cancellationToken);
    }

    public async Task RemoveAsync(ConsoleSession session, int userId, CancellationToken cancellationToken)
    {
        Admin(session);
        var user = await users.FindAsync(userId, cancellationToken);
        if (user is null || user.Company != session.Company) throw new InstanceNotFoundException("There is no such user.");
        if (user.Id == session.UserId) throw new InstanceInputException(["You cannot remove yourself; another admin of the company can."]);
        await users.RemoveAsync(user.Id, cancellationToken);
    }

    private static void Admin(ConsoleSession session)
    {
        if (!session.IsAdmin) throw new ConsoleForbiddenException($"{session.Email} is a viewer: only an admin of {session.Company} manages its users.");
    }

    public static List<string> Validate(string? email, string? company, string? role, string? password)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(email) || !System.Net.Mail.MailAddress.TryCreate(email.Trim(), out var address) || address.Address != email.Trim())
            problems.Add($"'{email}' is not an e-mail address, e.g. anna@example.com.");
        if (string.IsNullOrWhiteSpace(company))
            problems.Add("Name the user's company (the company of its instances: their --company, or the instance's name when it has none).");
        if (!ConsoleRoles.All.Contains(role ?? ""))
            problems.Add($"The role '{role}' is not one of {string.Join(", ", ConsoleRoles.All)}: an admin changes the company's instances and configuration, a viewer only looks.");
        if (password is not null && PasswordProblem(password) is { } problem) problems.Add(problem);
        return problems;
    }

    private static string? PasswordProblem(string password) => password.Length < MinimumPasswordLength
        ? $"A password needs at least {MinimumPasswordLength} characters (leave it out and one is made up)."
        : null;

    private static string NewPassword() => RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 16);

    private static readonly string DummyHash = Hasher.HashPassword(null!, "no user has this password");
}
