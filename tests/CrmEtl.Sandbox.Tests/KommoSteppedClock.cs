using CrmEtl.Testing;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// A clock that stands still at the test run's instant until a test moves it: what happens "in one second" or
/// "after 24 hours" is then exact, not a race with the machine's load.
/// </summary>
internal sealed class KommoSteppedClock : TimeProvider
{
    private readonly Lock _lock = new();
    private DateTimeOffset _now = TestClock.Now;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) return _now;
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock) _now += by;
    }
}
