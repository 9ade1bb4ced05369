using CrmEtl.Testing;

namespace CrmEtl.Sandbox.Tests;

/// <summary>Says which instant the sandboxes of this run generate their history as of, so that a failure can be replayed.</summary>
[SetUpFixture]
public sealed class TestClockFixture
{
    [OneTimeSetUp]
    public void Announce() => Console.Error.WriteLine(TestClock.Apply());
}
