using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Insight;

/// <summary>
/// The service over a model directory made for looking inside: the committed multi-layer perceptron re-evaluated with
/// its misread list ("mnist-mlp", the default here), a tiny model trained here ("small"), the same as files had it before
/// misread lists ("old-report"), the same without any report ("no-report"), and a one-layer foreign graph
/// our network code does not run ("tiny").
/// </summary>
public sealed class InsightFixture : IDisposable
{
    public InsightFixture()
    {
        File.WriteAllBytes(Models.File("mnist-mlp.onnx"), InsightModels.MlpWithMisread);
        File.WriteAllBytes(Models.File("small.onnx"), Small);
        File.WriteAllBytes(Models.File("old-report.onnx"), InsightModels.MlpWithoutMisread());
        File.WriteAllBytes(Models.File("no-report.onnx"), ModelFiles.WithoutMetadata(File.ReadAllBytes(Repo.MlpModel)));
        File.WriteAllBytes(Models.File("tiny.onnx"), TinyOnnxModel.Valid);
        Factory = new ApiFactory(Models.Path, new Dictionary<string, string?> { ["Models:Default"] = "mnist-mlp" });
        Client = Factory.CreateClient();
        // Files this fresh are read once they have settled (Models:SettleTime): wait until every one is loaded or
        // reported, so that no test starts against a half-filled listing (60 s at most: the machine may be busy).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Listed() < 5 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }
    }

    private int Listed()
    {
        using var list = System.Text.Json.JsonDocument.Parse(Client.GetStringAsync("/models").GetAwaiter().GetResult());
        return list.RootElement.GetProperty("models").GetArrayLength() + list.RootElement.GetProperty("failures").GetArrayLength();
    }

    public TempDirectory Models { get; } = new("insight-models");
    public byte[] Small { get; } = InsightModels.Train(hidden: 32, seed: 5);
    public ApiFactory Factory { get; }
    public HttpClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        Models.Dispose();
    }
}
