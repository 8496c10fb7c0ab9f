using MnistService.Core.Network;
using MnistService.Core.Tests.Data;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

public class EvaluatorTests
{
    [Fact]
    public void Per_class_metrics_follow_the_confusion_matrix()
    {
        var confusion = new int[10][];
        for (var i = 0; i < 10; i++)
        {
            confusion[i] = new int[10];
        }

        confusion[4][4] = 8; confusion[4][9] = 2; // two 4s read as 9
        confusion[9][9] = 5;
        confusion[1][1] = 3;
        var metrics = Evaluator.PerClass(confusion);
        Assert.Equal((1.0, 0.8, 10), (metrics[4].Precision, metrics[4].Recall, metrics[4].Support));
        Assert.Equal(5.0 / 7, metrics[9].Precision, 1e-12);
        Assert.Equal(1.0, metrics[9].Recall);
        Assert.Equal(2 * (5.0 / 7) / (5.0 / 7 + 1), metrics[9].F1, 1e-12);
        Assert.Equal((0.0, 0.0, 0.0, 0), (metrics[0].Precision, metrics[0].Recall, metrics[0].F1, metrics[0].Support));
    }

    [Fact]
    public void Evaluation_counts_every_image_once()
    {
        var (images, labels) = TrainerTests.Synthetic(500, 9);
        var model = Trainer.Train(images, labels, new TrainingSettings { Hidden = [32], Epochs = 3 }).Model;
        var e = Evaluator.Evaluate(model, images, labels);
        Assert.Equal(500, e.Confusion.Sum(row => row.Sum()));
        Assert.Equal(e.Accuracy, Enumerable.Range(0, 10).Sum(d => e.Confusion[d][d]) / 500.0, 1e-12);
        Assert.Equal(labels.Count(l => l == 3), e.Classes[3].Support);
        Assert.True(e.Loss > 0);
        Assert.Equal(e.Confusion, MnistService.Core.Onnx.TestResult.Of(e).Confusion);
    }

    /// <summary>The real thing: two epochs on MNIST (a subset for speed) must beat 95 % on the full test set.</summary>
    [Fact]
    public void Two_epochs_on_real_MNIST_beat_95_percent_on_the_test_set()
    {
        var data = TestMnist.Real;
        var train = data.Train.Take(30_000);
        var result = Trainer.Train(train.Images, train.Labels, new TrainingSettings { Epochs = 2 });
        Assert.Equal(2, result.History.Count);
        var test = Evaluator.Evaluate(result.Model, data.Test.Images, data.Test.Labels);
        Assert.True(test.Accuracy > 0.95, $"test accuracy {test.Accuracy:P2}");
        Assert.Equal(10_000, test.Count);
    }
}
