using Xunit.Sdk;

namespace MnistService.Core.Tests.Onnx;

/// <summary>The ONNX checker tests cannot pass without checking: a missing python3-onnx fails them with the fix.</summary>
public sealed class DebianOnnxTests
{
    [Fact]
    public void Without_python3_onnx_a_checker_test_fails_with_the_install_command()
    {
        const string python = "/nonexistent/python3";
        Assert.False(DebianOnnx.Usable(python));

        var failure = Assert.ThrowsAny<XunitException>(() => DebianOnnx.Require(python));

        Assert.Contains("apt-get install -y python3-onnx", failure.Message);
        Assert.Contains("./test.sh", failure.Message);
    }
}
