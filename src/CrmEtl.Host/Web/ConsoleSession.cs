using System.Globalization;
using System.Security.Claims;
using CrmEtl.Storage.Users;

namespace CrmEtl.Host.Web;

/// <summary>Who is signed in to the console, as the session cookie says: the user, the company and whether they may change things.</summary>
public sealed record ConsoleSession(int UserId, string Email, string Company, string Role, Guid SecurityStamp)
{
    public const string CompanyClaim = "crmetl:company";
    public const string StampClaim = "crmetl:stamp";

    public bool IsAdmin => Role == ConsoleRoles.Admin;

    /// <summary>Refuses a viewer what only an admin does, e.g. <c>RequireAdmin("sets Trello rules")</c>.</summary>
    public void RequireAdmin(string what)
    {
        if (!IsAdmin) throw new ConsoleForbiddenException($"{Email} is a viewer: only an admin of {Company} {what}.");
    }

    public static ClaimsPrincipal PrincipalOf(ConsoleUser user, string authenticationType) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)),
        new Claim(ClaimTypes.Name, user.Email),
        new Claim(ClaimTypes.Role, user.Role),
        new Claim(CompanyClaim, user.Company),
        new Claim(StampClaim, user.SecurityStamp.ToString()),
    ], authenticationType));

    /// <summary>The session of a signed-in principal; null for anyone else.</summary>
    public static ConsoleSession? Of(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true) return null;
        return int.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), CultureInfo.InvariantCulture, out var id)
            && principal.FindFirstValue(CompanyClaim) is { } company
            && Guid.TryParse(principal.FindFirstValue(StampClaim), out var stamp)
            ? new ConsoleSession(id, principal.FindFirstValue(ClaimTypes.Name) ?? "", company, principal.FindFirstValue(ClaimTypes.Role) ?? ConsoleRoles.Viewer, stamp)
            : null;
    }
}

/// <summary>A console user tried what their role or company does not allow.</summary>
public sealed class ConsoleForbiddenException(string message) : InvalidOperationException(message);
