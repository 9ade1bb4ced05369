using System.Collections.Concurrent;
using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using CrmEtl.Core.Forms;
using CrmEtl.Storage.Forms;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace CrmEtl.Host.Forms;

/// <summary>A submission refused: the HTTP status and every problem, each saying what to fix.</summary>
public sealed class FormRequestException(int status, IReadOnlyList<string> problems) : Exception(string.Join(" ", problems))
{
    public FormRequestException(int status, string problem) : this(status, [problem]) { }

    public int Status { get; } = status;
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>What POST /forms/{key}/submissions answers: the submission's id, and whether this POST queued it or found it queued before.</summary>
public sealed record SubmissionAccepted(long Id, string Status, bool Repeated);

/// <summary>
/// Takes a form's submission: checks it (an e-mail or a phone; a valid e-mail; a phone that parses, in the module's
/// default region when it has no country code, kept as E.164), and queues it in PostgreSQL under its idempotency key — the
/// one sent, or one derived from the module, the values and the UTC day, so that a POST sent again queues nothing new.
/// The CRM is written by a worker afterwards (<see cref="FormWorker"/>): a CRM that is down delays a submission, never loses it.
/// </summary>
public sealed class FormIntake(FormStore store, IOptions<FormOptions> options, TimeProvider clock)
{
    public const int MaxFields = 200, MaxValueLength = 10_000;
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();
    private readonly ConcurrentDictionary<(string Key, string Client), Queue<DateTimeOffset>> _recent = new();

    public async Task<SubmissionAccepted> AcceptAsync(string moduleKey, IReadOnlyDictionary<string, string> fields, string? idempotencyKey, string? client, CancellationToken ct)
    {
        var module = await store.FindByKeyAsync(moduleKey, ct)
            ?? throw new FormRequestException(404, "There is no form module with this key. Copy the submission address from the module's page in the console or 'crmetl forms'.");
        Admit(moduleKey, client ?? "");
        var (email, phone) = Validate(module.Settings, fields);
        var key = string.IsNullOrWhiteSpace(idempotencyKey) ? Derived(module.Id, fields) : idempotencyKey.Trim();
        if (key.Length > 200) throw new FormRequestException(400, "The Idempotency-Key is longer than 200 characters.");
        var (id, created) = await store.EnqueueAsync(module.Id, key, fields, email, phone, client, ct);
        return new SubmissionAccepted(id, FormSubmissionStatus.Queued, !created);
    }

    /// <summary>The normalised e-mail (trimmed, lower-case) and phone (E.164) of a submission, or every problem with it.</summary>
    public static (string? Email, string? Phone) Validate(FormSettings settings, IReadOnlyDictionary<string, string> fields)
    {
        var problems = new List<string>();
        if (fields.Count > MaxFields) problems.Add($"The form sent {fields.Count} parameters; at most {MaxFields} are taken.");
        foreach (var (name, value) in fields.Where(f => f.Value.Length > MaxValueLength).Take(3))
            problems.Add($"The parameter '{name}' is longer than {MaxValueLength} characters.");
        var email = FormValues.Expand(settings.Contact.Email, fields);
        var phone = FormValues.Expand(settings.Contact.Phone, fields);
        if (email.Length == 0 && phone.Length == 0) problems.Add("Give an e-mail address or a phone number: the contact is found and made by them.");
        string? normalisedEmail = null, normalisedPhone = null;
        if (email.Length > 0)
        {
            if (MailAddress.TryCreate(email, out var address) && address.Address == email && email.Contains('.', StringComparison.Ordinal) && email.Length <= 254)
                normalisedEmail = email.ToLowerInvariant();
            else problems.Add($"'{Shorten(email)}' is not an e-mail address (like name@example.com).");
        }
        if (phone.Length > 0)
        {
            try
            {
                var number = Phones.Parse(phone, settings.DefaultRegion);
                if (Phones.IsValidNumber(number)) normalisedPhone = Phones.Format(number, PhoneNumberFormat.E164);
                else problems.Add($"'{Shorten(phone)}' is not a valid phone number (give it with its country code, e.g. +358 40 123 4567).");
            }
            catch (NumberParseException)
            {
                problems.Add($"'{Shorten(phone)}' is not a phone number (give it with its country code, e.g. +358 40 123 4567).");
            }
        }
        if (problems.Count > 0) throw new FormRequestException(400, problems);
        return (normalisedEmail, normalisedPhone);
    }

    /// <summary>At most Forms:SubmissionsPerMinute from one address to one module: a flood gets 429 and is not queued.</summary>
    private void Admit(string moduleKey, string client)
    {
        var now = clock.GetUtcNow();
        var recent = _recent.GetOrAdd((moduleKey, client), _ => new Queue<DateTimeOffset>());
        lock (recent)
        {
            Forget(recent, now);
            if (recent.Count >= options.Value.SubmissionsPerMinute)
                throw new FormRequestException(429, $"Too many submissions from this address: at most {options.Value.SubmissionsPerMinute} a minute. Try again in a minute.");
            recent.Enqueue(now);
        }
        // Addresses that stopped posting are forgotten, a few at a time, so that the map holds about the last minute's.
        foreach (var (key, times) in _recent.Take(16))
        {
            if (ReferenceEquals(times, recent)) continue;
            bool quiet;
            lock (times) quiet = Forget(times, now) == 0;
            if (quiet) _recent.TryRemove(new KeyValuePair<(string, string), Queue<DateTimeOffset>>(key, times));
        }
    }

    /// <summary>Drops the times over a minute old; how many are left.</summary>
    private static int Forget(Queue<DateTimeOffset> times, DateTimeOffset now)
    {
        while (times.Count > 0 && now - times.Peek() >= TimeSpan.FromMinutes(1)) times.Dequeue();
        return times.Count;
    }

    /// <summary>The key of a submission sent without one: its module, its values (sorted by name) and the UTC day.</summary>
    private string Derived(int moduleId, IReadOnlyDictionary<string, string> fields)
    {
        var text = new StringBuilder().Append(moduleId).Append('\n').Append(DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal)) text.Append('\n').Append(name).Append('=').Append(value);
        return "derived:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Shorten(string value) => value.Length > 60 ? value[..60] + "…" : value;
}
