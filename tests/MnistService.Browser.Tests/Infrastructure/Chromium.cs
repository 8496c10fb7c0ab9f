using Microsoft.Playwright;

namespace MnistService.Browser.Tests.Infrastructure;

/// <summary>
/// The browser the tests drive: the executable named by CHROMIUM_PATH, else Debian's chromium, else the
/// Chromium Playwright installs for itself. A browser that cannot be found or started fails the tests
/// with the ways to provide one.
/// </summary>
public static class Chromium
{
    public const string EnvironmentVariable = "CHROMIUM_PATH";
    public const string DebianExecutable = "/usr/bin/chromium";

    /// <summary>The executable to launch, or null for Playwright's own browser.</summary>
    public static string? ExecutablePath()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{EnvironmentVariable} is {configured}, which does not exist. {HowToProvide}");
        }
        return File.Exists(DebianExecutable) ? DebianExecutable : null;
    }

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        var executable = ExecutablePath();
        try
        {
            return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                // Without the background-networking flags Chromium keeps trying to reach Google's hosts.
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                ],
            });
        }
        catch (PlaywrightException e)
        {
            var which = executable ?? $"Playwright's own Chromium (neither {EnvironmentVariable} nor {DebianExecutable} is there)";
            throw new InvalidOperationException($"The browser tests could not start {which}: {e.Message.Split('\n')[0]} {HowToProvide}", e);
        }
    }

    private static string HowToProvide =>
        "Provide a Chromium in one of these ways: ./test.sh (installs Debian's chromium), or apt-get install -y chromium, " +
        $"or {EnvironmentVariable}=/path/to/chromium, or Playwright's own: pwsh {Path.Combine(AppContext.BaseDirectory, "playwright.ps1")} install chromium.";
}
