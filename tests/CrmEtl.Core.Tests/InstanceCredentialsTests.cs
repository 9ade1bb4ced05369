using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;

namespace CrmEtl.Core.Tests;

public sealed class InstanceCredentialsTests
{
    [Test]
    public void A_stored_token_is_masked_when_shown()
    {
        var credentials = new InstanceCredentials("abcdef1234567890secret", null);

        Assert.That(credentials.ToString(), Is.EqualTo("****cret"));
        Assert.That(credentials.ToString(), Does.Not.Contain("abcdef"));
    }

    [Test]
    public void A_token_taken_from_a_missing_environment_variable_is_an_error_naming_the_variable()
    {
        var credentials = new InstanceCredentials(null, "CRMETL_TEST_UNSET_TOKEN_VARIABLE");

        var error = Assert.Throws<CrmAuthException>(() => credentials.ResolveApiToken());
        Assert.That(error!.Message, Does.Contain("CRMETL_TEST_UNSET_TOKEN_VARIABLE"));
    }
}
