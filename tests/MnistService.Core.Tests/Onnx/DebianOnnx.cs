using System.Diagnostics;
using Xunit.Abstractions;

namespace MnistService.Core.Tests.Onnx;

/// <summary>
/// The onnx Python package of Debian (python3-onnx), an independent implementation of the format.
/// It belongs to /usr/bin/python3, not to whatever python3 comes first on PATH.
/// Tests that need it pass without checking when it is missing, unless MNIST_REQUIRE_ONNX=1
/// (as in CI, which installs the package) makes its absence a failure.
/// </summary>
internal static class DebianOnnx
{
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> Installed = new(() =>
        File.Exists(Python) && Run("import onnx").ExitCode == 0);

    /// <summary>True when the package can be used; false (or a failed assertion under MNIST_REQUIRE_ONNX=1) otherwise.</summary>
    public static bool Available(ITestOutputHelper output)
    {
        if (Installed.Value)
            return true;
        Assert.False(Environment.GetEnvironmentVariable("MNIST_REQUIRE_ONNX") == "1",
            $"MNIST_REQUIRE_ONNX=1 but '{Python} -c \"import onnx\"' fails: apt-get install -y python3-onnx");
        output.WriteLine($"Not checked: '{Python} -c \"import onnx\"' fails (apt-get install -y python3-onnx).");
        return false;
    }

    public static (int ExitCode, string Output) Run(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
