using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Tests.Onnx;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

/// <summary>The misread test images: one entry per error, as the confusion matrix counts them, stored in the report.</summary>
public sealed class MisreadTests
{
    private static readonly List<DenseLayerParameters> Layers = TestModels.RandomLayers(4, (16, "relu"), (10, "softmax"));

    private static Evaluation EvaluateRandomNetwork()
    {
        var random = new Random(4);
        const int count = 300;
        var images = Enumerable.Range(0, count * 784).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        return Evaluator.Evaluate(Mlp.FromParameters(Layers), images, labels);
    }

    [Fact]
    public void Every_error_is_listed_once_with_its_index_label_reading_and_probabilities()
    {
        var evaluation = EvaluateRandomNetwork();
        var errors = evaluation.Confusion.Select((row, t) => row.Sum() - row[t]).Sum();

        Assert.InRange(errors, 1, 299); // a random network gets some right and many wrong
        Assert.Equal(errors, evaluation.Misread.Count);
        Assert.Equal(evaluation.Misread.OrderBy(m => m.Index).Select(m => m.Index), evaluation.Misread.Select(m => m.Index));
        foreach (var m in evaluation.Misread)
        {
            Assert.Equal(m.Index % 10, m.Label);
            Assert.NotEqual(m.Label, m.Digit);
            Assert.Equal(10, m.Probabilities.Length);
            Assert.Equal(m.Probabilities.Max(), m.Probabilities[m.Digit]);
            Assert.All(m.Probabilities, p => Assert.Equal(Math.Round(p, MisreadDigit.Decimals), p, 1e-7));
        }

        foreach (var group in evaluation.Misread.GroupBy(m => (m.Label, m.Digit)))
        {
            Assert.Equal(evaluation.Confusion[group.Key.Label][group.Key.Digit], group.Count());
        }
    }

    [Fact]
    public void The_report_stores_them_snake_case_and_reads_them_back()
    {
        var evaluation = EvaluateRandomNetwork();
        var report = TestModels.Report(Layers) with { Test = TestResult.Of(evaluation), Misread = evaluation.Misread };

        var file = OnnxModelReader.Read(OnnxExporter.Serialize(Layers, report));

        Assert.Contains("\"misread\": [", file.ReportJson);
        Assert.Contains("\"probabilities\": [", file.ReportJson);
        Assert.Equal(evaluation.Misread.Select(m => (m.Index, m.Label, m.Digit)), file.Report.Misread!.Select(m => (m.Index, m.Label, m.Digit)));
        Assert.Equal(evaluation.Misread[0].Probabilities, file.Report.Misread![0].Probabilities);
    }

    [Fact]
    public void A_report_written_before_misread_was_recorded_reads_with_none()
    {
        var json = TestModels.Report(Layers).ToJson();
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Assert.True(node.Remove("misread"));

        Assert.Null(ModelReport.FromJson(node.ToJsonString()).Misread);
    }

    [Fact]
    public void The_exporter_refuses_a_misread_list_that_does_not_match_the_confusion_matrix()
    {
        var evaluation = EvaluateRandomNetwork();
        var report = TestModels.Report(Layers) with { Test = TestResult.Of(evaluation), Misread = evaluation.Misread.Skip(1).ToList() };

        var error = Assert.Throws<ArgumentException>(() => OnnxExporter.Serialize(Layers, report));
        Assert.Contains("misread", error.Message);
    }
}
