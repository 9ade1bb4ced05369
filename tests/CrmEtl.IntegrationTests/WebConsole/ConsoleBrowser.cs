using Microsoft.Playwright;

namespace CrmEtl.IntegrationTests.WebConsole;

/// <summary>
/// The system's Chromium (Debian's package; nothing is downloaded), headless, driven by Playwright, on one console.
/// Every page it shows can be saved as a screenshot, attached to the test.
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.Console += (_, message) => { if (message.Type == "error") lock (_errors) _errors.Add(message.Text); };
        page.PageError += (_, error) => { lock (_errors) _errors.Add(error); };
        page.Response += (_, response) => { if (response.Status >= 400) lock (_errors) _errors.Add($"{response.Status} from {response.Request.Method} {response.Url}"); };
    }

    public IPage Page { get; }

    /// <summary>What the page's scripts reported as errors (a refused script, a broken circuit), and requests that failed.</summary>
    public IReadOnlyList<string> ScriptErrors
    {
        get { lock (_errors) return _errors.ToList(); }
    }

    public static string ChromiumPath => Environment.GetEnvironmentVariable("CRMETL_CHROMIUM") ?? "/usr/bin/chromium";

    public static async Task<ConsoleBrowser> OpenAsync(Uri console)
    {
        if (!File.Exists(ChromiumPath))
            Assert.Fail($"No Chromium at {ChromiumPath}. Install Debian's chromium and chromium-driver packages (bash .ci/chromium.sh, which test.sh runs), or set CRMETL_CHROMIUM.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // No calls home: this machine has no internet, and Chromium's background connections only fail.
            Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = console.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        context.SetDefaultTimeout(20_000);
        return new ConsoleBrowser(playwright, browser, await context.NewPageAsync());
    }

    /// <summary>Opens the console, which asks to sign in, and signs in; ends on the first page once it is interactive.</summary>
    public async Task SignInAsync(string email, string password)
    {
        await Page.GotoAsync("/");
        await Page.WaitForURLAsync("**/signin**");
        await Page.GetByLabel("E-mail").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await WaitInteractiveAsync();
    }

    /// <summary>Waits until the page's circuit is up, so that clicks reach the server.</summary>
    public async Task WaitInteractiveAsync() => await Page.Locator("[data-interactive=true]").WaitForAsync();

    /// <summary>
    /// Does something a person would simply do again when the page redrew under the mouse (a menu that closed as its
    /// line was re-rendered): up to three times, each with a short timeout.
    /// </summary>
    public static async Task RetryAsync(Func<float, Task> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action(5_000);
                return;
            }
            catch (Exception e) when (attempt < 3 && e is PlaywrightException or TimeoutException)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>Saves the page as a PNG attached to the test, and as <paramref name="copyTo"/> when given (the README's pictures).</summary>
    public async Task ScreenshotAsync(string name, string? copyTo = null)
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots", $"{TestContext.CurrentContext.Test.MethodName}-{name}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // From the top: the app bar stays where the window is, and would land mid-page on a scrolled one.
        await Page.EvaluateAsync("window.scrollTo(0, 0)");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
        if (copyTo is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(copyTo)!);
            File.Copy(path, copyTo, overwrite: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
