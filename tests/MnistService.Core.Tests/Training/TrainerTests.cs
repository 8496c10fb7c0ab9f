using System.Runtime.InteropServices;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

public class TrainerTests
{
    /// <summary>A learnable synthetic task: each digit lights its own band of pixels, plus noise.</summary>
    internal static (float[] Images, byte[] Labels) Synthetic(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var images = new float[count * 784];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int digit = rng.NextInt(10);
            labels[i] = (byte)digit;
            for (int p = 0; p < 784; p++)
                images[i * 784 + p] = 0.5f * rng.NextFloat() + (p / 78 == digit ? 0.5f * rng.NextFloat() : 0f);
        }
        return (images, labels);
    }

    private static byte[] ParameterBytes(Mlp model)
    {
        var flat = new float[model.ParameterCount];
        model.CopyParametersTo(flat);
        return MemoryMarshal.AsBytes(flat.AsSpan()).ToArray();
    }

    // Wide enough that the matrix products are split over threads.
    private static readonly TrainingOptions Short = new() { Hidden = [96, 64], Epochs = 2, BatchSize = 64 };

    [Fact]
    public void Two_runs_with_the_same_seed_give_identical_parameters_whatever_the_thread_count()
    {
        var (images, labels) = Synthetic(1_000, 1);
        var one = Trainer.Train(images, labels, Short with { Threads = 1 });
        var again = Trainer.Train(images, labels, Short with { Threads = 1 });
        var two = Trainer.Train(images, labels, Short with { Threads = 2 });
        var four = Trainer.Train(images, labels, Short with { Threads = 4 });
        byte[] expected = ParameterBytes(one.Model);
        Assert.Equal(expected, ParameterBytes(again.Model));
        Assert.Equal(expected, ParameterBytes(two.Model));
        Assert.Equal(expected, ParameterBytes(four.Model));
        Assert.Equal(one.History.Select(h => h.Loss), four.History.Select(h => h.Loss));

        var otherSeed = Trainer.Train(images, labels, Short with { Seed = 7 });
        Assert.NotEqual(expected, ParameterBytes(otherSeed.Model));
    }

    [Theory]
    [InlineData("adam", "crossentropy", "relu", 0.3)]
    [InlineData("sgd", "crossentropy", "sigmoid", 0.0)]
    [InlineData("rmsprop", "mse", "tanh", 0.0)]
    public void Every_configuration_learns_the_synthetic_task(string optimizer, string loss, string activation, double dropout)
    {
        var (images, labels) = Synthetic(1_200, 2);
        var options = new TrainingOptions
        {
            Hidden = [32], Optimizer = optimizer, Loss = loss, Activation = activation, Dropout = dropout, Epochs = 10,
            LearningRate = optimizer == "sgd" ? 0.1 : 0.001, Momentum = optimizer == "sgd" ? 0.9 : 0,
        };
        var result = Trainer.Train(images, labels, options);
        Assert.Equal(960, result.TrainCount);
        Assert.Equal(240, result.ValidationCount);
        Assert.True(result.History[^1].ValAccuracy > 0.9, $"val_accuracy {result.History[^1].ValAccuracy}");
        Assert.True(result.History[^1].Loss < result.History[0].Loss, "the training loss should fall");
    }

    [Fact]
    public void A_diverging_training_stops_after_the_first_epoch_whose_loss_is_not_a_number()
    {
        var (images, labels) = Synthetic(600, 5);
        var observer = new RecordingObserver { Diverging = true };
        var options = new TrainingOptions { Hidden = [16], Optimizer = "sgd", LearningRate = 1e30, Epochs = 5, BatchSize = 100 };

        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Train(images, labels, options, observer));

        Assert.Equal(1, e.Epoch);
        Assert.False(double.IsFinite(e.Loss));
        Assert.Contains("diverged in epoch 1", e.Message);
        Assert.Equal([1], observer.Started); // no further epoch was started
        Assert.False(double.IsFinite(Assert.Single(observer.Ended).Loss)); // the epoch's line still reached the observer
    }

    [Fact]
    public void Early_stopping_restores_the_best_epoch_and_the_observer_sees_every_batch()
    {
        // Random labels: nothing generalises, so validation accuracy soon stops improving.
        var (images, _) = Synthetic(600, 3);
        var rng = new Rng(4);
        byte[] labels = Enumerable.Range(0, 600).Select(_ => (byte)rng.NextInt(10)).ToArray();
        var observer = new RecordingObserver();
        var result = Trainer.Train(images, labels, new TrainingOptions { Hidden = [16], Epochs = 40, Patience = 2, BatchSize = 100 }, observer);

        Assert.True(result.StoppedEarly);
        int best = result.History.MaxBy(h => h.ValAccuracy)!.Epoch; // the first best, as strict improvement keeps it
        Assert.Equal(best, result.BestEpoch);
        Assert.Equal(best + 2, result.History.Count);
        Assert.Equal(result.History, observer.Ended);
        Assert.Equal(result.History.Count * 5, observer.Batches); // 480 training samples / 100 = 5 batches, the last one short
        Assert.Equal(Enumerable.Range(1, result.History.Count), observer.Started);

        // The returned weights are the best epoch's: evaluating them on the validation part gives its accuracy.
        var evaluation = Evaluator.Evaluate(result.Model, images[(480 * 784)..], labels[480..]);
        Assert.Equal(result.History[best - 1].ValAccuracy, evaluation.Accuracy, 1e-12);
    }

    [Fact]
    public void Cancellation_stops_training_between_batches()
    {
        var (images, labels) = Synthetic(600, 5);
        using var cts = new CancellationTokenSource();
        var observer = new RecordingObserver { CancelAfterBatches = 3, Source = cts };
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(images, labels, new TrainingOptions { Hidden = [16], BatchSize = 32 }, observer, cts.Token));
        Assert.Equal(3, observer.Batches);
    }

    [Theory]
    [InlineData("--batch-size must be at least 1")]
    [InlineData("--epochs must be at least 1")]
    [InlineData("--learning-rate must be a positive number")]
    [InlineData("--validation-split must be greater than 0 and less than 1")]
    [InlineData("--dropout must be in [0, 1)")]
    [InlineData("--optimizer must be adam, sgd or rmsprop")]
    [InlineData("--loss must be crossentropy or mse")]
    [InlineData("--activation must be relu, sigmoid or tanh")]
    [InlineData("--hidden sizes must be at least 1")]
    [InlineData("--momentum applies only to --optimizer sgd")]
    [InlineData("--threads must be 0 (all cores) or more")]
    [InlineData("--patience must be at least 1")]
    public void Invalid_options_are_rejected_with_a_message_naming_the_option(string message)
    {
        var bad = message.Split(' ')[0] switch
        {
            "--batch-size" => new TrainingOptions { BatchSize = 0 },
            "--epochs" => new TrainingOptions { Epochs = 0 },
            "--learning-rate" => new TrainingOptions { LearningRate = -1 },
            "--validation-split" => new TrainingOptions { ValidationSplit = 1 },
            "--dropout" => new TrainingOptions { Dropout = 1 },
            "--optimizer" => new TrainingOptions { Optimizer = "adagrad" },
            "--loss" => new TrainingOptions { Loss = "hinge" },
            "--activation" => new TrainingOptions { Activation = "gelu" },
            "--hidden" => new TrainingOptions { Hidden = [256, 0] },
            "--momentum" => new TrainingOptions { Momentum = 0.9 },
            "--threads" => new TrainingOptions { Threads = -1 },
            _ => new TrainingOptions { Patience = 0 },
        };
        var e = Assert.Throws<ArgumentException>(bad.Validate);
        Assert.StartsWith(message, e.Message);
        Assert.Throws<ArgumentException>(() => Trainer.Train(new float[784], [1], bad));
    }

    [Fact]
    public void Data_that_does_not_fit_is_rejected()
    {
        var options = new TrainingOptions();
        Assert.Contains("need 1568 pixels", Assert.Throws<ArgumentException>(() => Trainer.Train(new float[784], [1, 2], options)).Message);
        Assert.Contains("digits are 0 to 9", Assert.Throws<ArgumentException>(() => Trainer.Train(new float[1568], [1, 12], options)).Message);
        Assert.Contains("both need at least one", Assert.Throws<ArgumentException>(() => Trainer.Train(new float[784], [1], options)).Message);
    }

    [Fact]
    public void The_defaults_are_the_tutorials()
    {
        var o = new TrainingOptions();
        Assert.Equal([256, 128], o.Hidden);
        Assert.Equal(("relu", 0.3, "adam", 0.001, 0.0, 128, 50, 10, 0.2, "crossentropy", 42, 0),
            (o.Activation, o.Dropout, o.Optimizer, o.LearningRate, o.Momentum, o.BatchSize, o.Epochs, o.Patience, o.ValidationSplit, o.Loss, o.Seed, o.Threads));
        Assert.Equal(235_146, new Mlp(o.ToSpec(), o.Seed).ParameterCount);
    }

    private sealed class RecordingObserver : ITrainingObserver
    {
        public List<int> Started { get; } = [];
        public List<EpochRecord> Ended { get; } = [];
        public int Batches { get; private set; }
        public int CancelAfterBatches { get; init; } = int.MaxValue;
        public CancellationTokenSource? Source { get; init; }
        /// <summary>The run is meant to blow up: a NaN running loss is then expected.</summary>
        public bool Diverging { get; init; }

        public void OnEpochStart(int epoch, int totalEpochs, int batchCount) => Started.Add(epoch);

        public void OnBatchEnd(int epoch, int batchIndex, int batchCount, double runningLoss, double runningAccuracy)
        {
            Assert.InRange(runningAccuracy, 0, 1);
            Assert.True(runningLoss > 0 || (Diverging && double.IsNaN(runningLoss)));
            if (++Batches == CancelAfterBatches) Source?.Cancel();
        }

        public void OnEpochEnd(EpochRecord record) => Ended.Add(record);
    }
}
