using CrmEtl.Testing;

namespace CrmEtl.Connectors.Tests;

/// <summary>Says which instant the connectors of this run take for now, so that a failure can be replayed.</summary>
[SetUpFixture]
public sealed class TestClockFixture
{
    [OneTimeSetUp]
    public void Announce() => Console.Error.WriteLine(TestClock.Apply());
}
