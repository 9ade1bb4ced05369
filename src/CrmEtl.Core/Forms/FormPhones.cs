namespace CrmEtl.Core.Forms;

/// <summary>Phone numbers as the CRMs keep them, typed any way, compared with a form's number in E.164.</summary>
public static class FormPhones
{
    public static string Digits(string phone) => new(phone.Where(char.IsAsciiDigit).ToArray());

    /// <summary>
    /// The same number: equal digits, or a national number (without its country code, with or without the trunk 0) that
    /// ends the international one.
    /// </summary>
    public static bool SameNumber(string stored, string e164)
    {
        var (mine, theirs) = (Digits(stored), Digits(e164));
        var national = mine.TrimStart('0');
        return mine.Length >= 6 && (mine == theirs || national.Length >= 7 && theirs.EndsWith(national, StringComparison.Ordinal));
    }
}
