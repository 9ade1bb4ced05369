using System.Net.Mail;

namespace CrmEtl.Core.Customers;

/// <summary>
/// The e-mails a card is asked for, as the replica's lookup keeps them (trimmed, lower-case), or every reason they
/// cannot be used: none, too many, or one that is not an e-mail address.
/// </summary>
public static class CustomerEmails
{
    /// <summary>A helpdesk customer has a few addresses; more than this is not a customer but a query.</summary>
    public const int Max = 20;

    public static (IReadOnlyList<string> Emails, IReadOnlyList<string> Problems) Normalize(IEnumerable<string?> given)
    {
        var emails = new List<string>();
        var problems = new List<string>();
        var sent = given.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e!.Trim()).ToList();
        if (sent.Count == 0)
            problems.Add("Give the customer's e-mail: email=someone@example.com (repeat email= for each of their addresses).");
        if (sent.Count > Max)
            problems.Add($"{sent.Count} e-mails were given; a card is for one customer: give at most {Max}.");
        foreach (var email in sent.Take(Max + 1))
        {
            if (IsAddress(email)) emails.Add(email.ToLowerInvariant());
            else problems.Add($"'{Shorten(email)}' is not an e-mail address (like someone@example.com).");
        }
        return (emails.Distinct(StringComparer.Ordinal).ToList(), problems);
    }

    public static bool IsAddress(string email) =>
        email.Length <= 254 && !email.Any(char.IsWhiteSpace) && email.Count(c => c == '@') == 1
        && MailAddress.TryCreate(email, out var address) && address.Address == email && address.Host.Contains('.', StringComparison.Ordinal);

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
