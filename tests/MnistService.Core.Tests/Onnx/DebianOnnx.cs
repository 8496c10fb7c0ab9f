using System.Diagnostics;

namespace MnistService.Core.Tests.Onnx;

/// <summary>
/// The onnx Python package of Debian (python3-onnx), an independent implementation of the format.
/// It belongs to /usr/bin/python3, not to whatever python3 comes first on PATH. A test that needs it
/// fails, with the command that installs it, when it is missing: it never passes without checking.
/// </summary>
internal static class DebianOnnx
{
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> Installed = new(() => Usable(Python));

    /// <summary>Fails the test when the package cannot be used, saying how to install it.</summary>
    public static void Require() => Require(Python, Installed.Value);

    /// <summary>Fails when <paramref name="python"/> cannot import onnx (the interpreter is a parameter so the failure itself can be tested).</summary>
    public static void Require(string python) => Require(python, Usable(python));

    public static bool Usable(string python) => File.Exists(python) && Run(python, "import onnx", []).ExitCode == 0;

    private static void Require(string python, bool usable) =>
        Assert.True(usable,
            $"'{python} -c \"import onnx\"' fails: the ONNX checker tests need Debian's python3-onnx. " +
            "Run ./test.sh (it installs what the tests need) or apt-get install -y python3-onnx.");

    public static (int ExitCode, string Output) Run(string script, params string[] arguments) => Run(Python, script, arguments);

    private static (int ExitCode, string Output) Run(string python, string script, string[] arguments)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
