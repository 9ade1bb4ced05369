using CrmEtl.Core.Instances;
using CrmEtl.Storage.Instances;

namespace CrmEtl.Host.Instances;

/// <summary>
/// An instance as a person gives it, from the command line or the HTTP API. For an edit, a null
/// field is left as it is. <see cref="Validate"/> lists every problem at once, each naming the field
/// (as an option name, e.g. --time-zone) and what is expected.
/// </summary>
public sealed record InstanceInput(
    string? Name = null, string? Kind = null, string? Url = null, string? Token = null, string? TokenEnv = null,
    string? TimeZone = null, string? Currency = null, string? Company = null, string? Schedule = null,
    string? ClientId = null, string? ClientSecret = null, string? RefreshToken = null, string? Code = null)
{
    /// <param name="forApi">Name the fields as the HTTP API's JSON does (timeZone) instead of as options (--time-zone).</param>
    /// <param name="currentKind">For an edit: the kind of the instance being edited.</param>
    public List<string> Validate(bool isNew, bool forApi = false, string? currentKind = null)
    {
        var problems = new List<string>();
        ValidateInto(problems, isNew, Kind ?? currentKind ?? InstanceKinds.Pipedrive);
        return forApi ? problems.Select(ApiFieldNames).ToList() : problems;
    }

    /// <summary>"--time-zone 'x' is ..." becomes "timeZone 'x' is ...".</summary>
    private static string ApiFieldNames(string message) => System.Text.RegularExpressions.Regex.Replace(message, "--([a-z]+)(?:-([a-z]+))?",
        m => m.Groups[1].Value + (m.Groups[2].Success ? char.ToUpperInvariant(m.Groups[2].Value[0]) + m.Groups[2].Value[1..] : ""));

    private void ValidateInto(List<string> problems, bool isNew, string kind)
    {
        if (isNew && string.IsNullOrWhiteSpace(Name)) problems.Add("--name is required: a unique name, e.g. \"Acme Finland\".");
        else if (Name is not null && (Name.Trim().Length == 0 || Name.Length > 200)) problems.Add("--name must be 1 to 200 characters.");
        if (Kind is not null && !InstanceKinds.All.Contains(Kind)) problems.Add($"--kind '{Kind}' is not one of {string.Join(", ", InstanceKinds.All)}.");
        var example = kind switch
        {
            InstanceKinds.Zoho => "the accounts server of the account's data centre, e.g. https://accounts.zoho.eu",
            InstanceKinds.Kommo => "the account's address, e.g. https://acme.kommo.com (amoCRM: https://acme.amocrm.ru)",
            _ => "the account's base URL, e.g. https://acme.pipedrive.com",
        };
        if (isNew && Url is null) problems.Add($"--url is required: {example}.");
        else if (Url is not null && (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            problems.Add($"--url '{Url}' is not an http(s) URL. Give {example}.");
        var token = !string.IsNullOrEmpty(Token) || !string.IsNullOrEmpty(TokenEnv);
        var oauth = ClientId is not null || ClientSecret is not null || RefreshToken is not null || Code is not null;
        if (Code is not null && kind != InstanceKinds.Kommo) problems.Add("--code (an authorization code) is for Kommo instances.");
        else if (Code is not null && RefreshToken is not null) problems.Add("Give --code (the authorization code from granting access) or --refresh-token, not both.");
        else if (Code is not null && string.IsNullOrWhiteSpace(Code)) problems.Add("--code is empty: give the authorization code Kommo showed (or sent to the redirect URI) when access was granted.");
        switch (kind)
        {
            case InstanceKinds.Zoho:
                if (token) problems.Add("A Zoho instance signs in with OAuth: give --client-id, --client-secret and --refresh-token instead of --token.");
                if (isNew) RequireOAuth(problems, "a Zoho instance", "from Zoho's API console; the refresh token needs the scopes ZohoCRM.modules.READ, settings, users and org");
                break;
            case InstanceKinds.Kommo when token && oauth:
                problems.Add("A Kommo instance signs in with a long-lived token (--token) or with OAuth (--client-id, --client-secret, and --refresh-token or --code), not both.");
                break;
            case InstanceKinds.Kommo when isNew && !token:
                RequireOAuth(problems, "a Kommo instance without a long-lived --token", "from the integration's keys in Kommo, and a refresh token or --code from granting it access");
                break;
            case InstanceKinds.Kommo:
                break;
            default:
                if (!string.IsNullOrEmpty(Token) && !string.IsNullOrEmpty(TokenEnv) || isNew && !token)
                    problems.Add("Give exactly one of --token (stored encrypted) or --token-env (the name of an environment variable holding it).");
                if (oauth) problems.Add("--client-id, --client-secret and --refresh-token are for Zoho and Kommo instances; a Pipedrive instance uses --token.");
                break;
        }
        if (TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            problems.Add($"--time-zone '{TimeZone}' is not a known IANA time zone, e.g. Europe/Helsinki.");
        if (Currency is not null && (Currency.Length != 3 || !Currency.All(char.IsAsciiLetter)))
            problems.Add($"--currency '{Currency}' is not a three-letter ISO currency code, e.g. EUR.");
        if (Schedule is not null && !Quartz.CronExpression.TryParse(Schedule, out _))
            problems.Add($"--schedule '{Schedule}' is not a Quartz cron expression: six fields, seconds minutes hours day-of-month month day-of-week, " +
                "with '?' in one of the day fields, e.g. '0 0 2 * * ?' (02:00 every day) or '0 30 6 ? * MON-FRI' (06:30 on weekdays).");
    }

    private void RequireOAuth(List<string> problems, string what, string where)
    {
        foreach (var (option, value) in new[] { ("--client-id", ClientId), ("--client-secret", ClientSecret), ("--refresh-token", Code ?? RefreshToken) })
            if (string.IsNullOrEmpty(value)) problems.Add($"{option} is required for {what} ({where}).");
    }

    public NewInstance ToNewInstance() => new(
        Name!.Trim(), Kind ?? InstanceKinds.Pipedrive, Url!.TrimEnd('/'), Credentials()!, TimeZone ?? "UTC",
        (Currency ?? "EUR").ToUpperInvariant(), string.IsNullOrWhiteSpace(Company) ? null : Company, Schedule ?? InstanceSchedule.Default);

    /// <summary>The edit of <paramref name="current"/>'s fields; OAuth secrets not given stay as they are.</summary>
    public InstanceEdit ToEdit(InstanceCredentials current) => new(
        Name?.Trim(), Url?.TrimEnd('/'), Credentials(current), TimeZone, Currency?.ToUpperInvariant(), Company, Schedule);

    private InstanceCredentials? Credentials(InstanceCredentials? current = null) =>
        !string.IsNullOrEmpty(Token) ? new InstanceCredentials(Token, null)
        : !string.IsNullOrEmpty(TokenEnv) ? new InstanceCredentials(null, TokenEnv)
        : ClientId is not null || ClientSecret is not null || RefreshToken is not null
            ? InstanceCredentials.OAuth(ClientId ?? current?.ClientId ?? "", ClientSecret ?? current?.ClientSecret ?? "", RefreshToken ?? current?.RefreshToken ?? "")
        : null;
}

/// <summary>What a person sent was not valid; every problem is listed.</summary>
public sealed class InstanceInputException(IReadOnlyList<string> problems) : ArgumentException(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>No instance has that name or id.</summary>
public sealed class InstanceNotFoundException(string message) : ArgumentException(message);
