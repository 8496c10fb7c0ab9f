using Microsoft.ML.OnnxRuntime;
using MnistService.Core.Data;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Tests.Data;
using MnistService.Core.Training;
using Xunit.Abstractions;

namespace MnistService.Core.Tests.Onnx;

/// <summary>
/// On the whole MNIST test set, ONNX Runtime running the exported file and our own forward pass agree
/// within 1e-5 on every class probability, and the accuracy ONNX Runtime measures is the report's.
/// </summary>
public sealed class OnnxParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void A_model_trained_here_runs_the_same_in_onnx_runtime_and_in_our_mlp()
    {
        var data = TestMnist.Real;
        var options = new TrainingSettings { Epochs = 1, Seed = 42 };
        var train = data.Train.Take(20_000); // one short epoch is enough to give the weights structure
        var (result, evaluation, report) = TrainAndReport(train, options);
        using var dir = new TempDirectory();
        var path = dir.File("trained.onnx");
        OnnxExporter.Write(path, result.Model.GetParameters(), report);

        var model = OnnxModelReader.Read(path);
        Assert.Equal(report.ToJson(), model.ReportJson);
        AssertParity(path, Mlp.FromParameters(model.Layers), model.Report, data.Test);
    }

    [Fact]
    public void A_convolutional_network_trained_here_runs_the_same_in_onnx_runtime_and_in_our_code()
    {
        // ONNX's Conv reads NCHW and weights [out, in, k, k], ours HWC and [k·k·in, out]; the flattening before the first
        // dense layer differs too: the export reorders all three.
        var data = TestMnist.Real;
        var options = new TrainingSettings { Convolutions = [4, 6], Hidden = [32], Epochs = 1, LearningRate = 0.003, Seed = 42, Detector = DetectorKind.None };
        var train = data.Train.Take(20_000);
        var (result, evaluation, report) = TrainAndReport(train, options);
        Assert.True(evaluation.Accuracy > 0.8, $"test accuracy {evaluation.Accuracy:P2}");
        using var dir = new TempDirectory();
        var path = dir.File("convolutional.onnx");
        OnnxExporter.Write(path, result.Model.GetParameters(), report, convolutions: result.Model.GetConvolutions());

        var model = OnnxModelReader.Read(path);
        Assert.Equal(report.ToJson(), model.ReportJson);
        Assert.Equal(result.Model.GetConvolutions().Select(c => (c.Side, c.InChannels, c.OutChannels, c.Weights, c.Bias)),
            model.Convolutions.Select(c => (c.Side, c.InChannels, c.OutChannels, c.Weights, c.Bias)));
        Assert.Equal(result.Model.GetParameters().Select(l => l.Weights), model.Layers.Select(l => l.Weights));
        AssertParity(path, model.Network(), model.Report, data.Test);
    }

    [Fact]
    public void The_committed_multi_layer_perceptron_runs_the_same_in_onnx_runtime_and_in_our_mlp()
    {
        var path = Repo.MlpModel;
        var model = OnnxModelReader.Read(path);
        AssertParity(path, Mlp.FromParameters(model.Layers), model.Report, TestMnist.Real.Test);
        Assert.True(model.Report.Test.Accuracy >= 0.98, $"The default model reports {model.Report.Test.Accuracy:P2}, below 98 %.");
    }

    [Fact]
    public void The_committed_multi_layer_perceptron_was_made_by_the_readme_command_with_all_defaults()
    {
        var report = OnnxModelReader.Read(Repo.MlpModel).Report;
        // `mnist-train train --out models/mnist-mlp.onnx`: every setting the default recipe's (threads do not change the result).
        var defaults = TrainingRecipes.For(TrainingRecipes.Default);
        Assert.Equal(SettingsJson(defaults), SettingsJson(report.Hyperparameters with { Threads = defaults.Threads }));
        Assert.Equal(TestMnist.Real.Sha256, report.Dataset.Sha256);
        Assert.Equal(235_146, report.Architecture.Parameters);
    }

    [Fact]
    public void The_committed_default_model_runs_the_same_in_onnx_runtime_and_in_our_code_and_was_made_by_the_readme_command()
    {
        var path = Repo.DefaultModel;
        var model = OnnxModelReader.Read(path);
        AssertParity(path, model.Network(), model.Report, TestMnist.Real.Test);
        // `mnist-train train --convolutions 16,32 --hidden 128 --epochs 30 --patience 30 --out models/mnist-cnn.onnx`.
        var expected = TrainingRecipes.For(TrainingRecipes.Default) with { Convolutions = [16, 32], Hidden = [128], Epochs = 30, Patience = 30 };
        Assert.Equal(SettingsJson(expected), SettingsJson(model.Report.Hyperparameters with { Threads = expected.Threads }));
        Assert.Equal(215_370, model.Report.Architecture.Parameters);
        Assert.Equal(DetectorInput.Classifier, model.Report.Detector!.Input);
        Assert.True(model.Report.Test.Accuracy >= 0.994, $"The convolutional model reports {model.Report.Test.Accuracy:P2}, below 99.4 %.");
    }

    private static string SettingsJson(TrainingSettings settings) => System.Text.Json.JsonSerializer.Serialize(settings, ModelReport.JsonOptions);

    /// <summary>A short training and the report the trainer would write for it.</summary>
    private static (TrainingResult Result, Evaluation Evaluation, ModelReport Report) TrainAndReport(MnistSet train, TrainingSettings options)
    {
        var data = TestMnist.Real;
        var result = Trainer.Train(train.Images, train.Labels, options);
        var evaluation = Evaluator.Evaluate(result.Model, data.Test.Images, data.Test.Labels);
        return (result, evaluation, ModelTraining.Describe(result, evaluation, options, data, "mnist-train test"));
    }

    private void AssertParity(string path, Mlp network, ModelReport report, MnistSet test)
    {
        var n = test.Count;
        var ours = new float[n * 10];
        network.Predict(test.Images, n, ours);

        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(test.Images, [n, 1, 28, 28]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["image"], [input], ["probabilities"]);
        var onnx = outputs[0].GetTensorDataAsSpan<float>();
        Assert.Equal(n * 10, onnx.Length);

        double worst = 0;
        var correct = 0;
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < 10; k++)
            {
                double difference = Math.Abs(onnx[i * 10 + k] - ours[i * 10 + k]);
                worst = Math.Max(worst, difference);
                Assert.True(difference <= Tolerance,
                    $"image {i}, digit {k}: ONNX Runtime {onnx[i * 10 + k]:R}, ours {ours[i * 10 + k]:R}");
            }
            if (ArgMax(onnx.Slice(i * 10, 10)) == test.Labels[i])
            {
                correct++;
            }
        }
        var accuracy = (double)correct / n;
        output.WriteLine($"{n} images: largest probability difference {worst:E2}, ONNX Runtime accuracy {accuracy:P2}, report {report.Test.Accuracy:P2}");
        Assert.Equal(report.Test.Accuracy, accuracy);
        Assert.Equal(n, report.Test.Confusion.Sum(row => row.Sum()));
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
