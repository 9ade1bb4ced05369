namespace CrmEtl.Host.Cli;

/// <summary>Exit codes scripts can rely on (also in README).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int AuthFailed = 3;
    public const int BudgetExhausted = 4;
    public const int DatabaseUnavailable = 5;
    /// <summary>Another process is running the instance, or it cannot be changed during a run.</summary>
    public const int Busy = 6;
}
