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
        for (var i = 0; i < count; i++)
        {
            var digit = rng.NextInt(10);
            labels[i] = (byte)digit;
            for (var p = 0; p < 784; p++)
            {
                images[i * 784 + p] = 0.5f * rng.NextFloat() + (p / 78 == digit ? 0.5f * rng.NextFloat() : 0f);
            }
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
    private static readonly TrainingSettings Short = new() { Hidden = [96, 64], Epochs = 2, BatchSize = 64 };

    [Fact]
    public void Two_runs_with_the_same_seed_give_identical_parameters_whatever_the_thread_count()
    {
        var (images, labels) = Synthetic(1_000, 1);
        var one = Trainer.Train(images, labels, Short with { Threads = 1 });
        var again = Trainer.Train(images, labels, Short with { Threads = 1 });
        var two = Trainer.Train(images, labels, Short with { Threads = 2 });
        var four = Trainer.Train(images, labels, Short with { Threads = 4 });
        var expected = ParameterBytes(one.Model);
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
        var options = new TrainingSettings
        {
            Hidden = [32], Optimizer = Choice<OptimizerKind>(optimizer), Loss = Choice<LossKind>(loss),
            Activation = Choice<ActivationKind>(activation), Dropout = dropout, Epochs = 10,
            LearningRate = optimizer == "sgd" ? 0.1 : 0.001, Momentum = optimizer == "sgd" ? 0.9 : 0,
        };
        var result = Trainer.Train(images, labels, options);
        Assert.Equal(960, result.TrainCount);
        Assert.Equal(240, result.ValidationCount);
        Assert.True(result.History[^1].ValAccuracy > 0.9, $"val_accuracy {result.History[^1].ValAccuracy}");
        Assert.True(result.History[^1].Loss < result.History[0].Loss, "the training loss should fall");
    }

    [Fact]
    public void A_convolutional_network_learns_the_synthetic_task_with_the_same_bits_on_any_thread_count()
    {
        var (images, labels) = Synthetic(600, 3);
        var settings = new TrainingSettings { Convolutions = [4, 8], Hidden = [16], Epochs = 8, BatchSize = 50, LearningRate = 0.003, Threads = 1, Detector = DetectorKind.None };
        var one = Trainer.Train(images, labels, settings);
        var two = Trainer.Train(images, labels, settings with { Threads = 2 });
        Assert.Equal(ParameterBytes(one.Model), ParameterBytes(two.Model));
        Assert.True(one.History[^1].ValAccuracy > 0.9, $"val_accuracy {one.History[^1].ValAccuracy}");
    }

    [Fact]
    public void A_diverging_training_stops_after_the_first_epoch_whose_loss_is_not_a_number()
    {
        var (images, labels) = Synthetic(600, 5);
        var observer = new RecordingObserver { Diverging = true };
        var options = new TrainingSettings { Hidden = [16], Optimizer = OptimizerKind.Sgd, LearningRate = 1e30, Epochs = 5, BatchSize = 100 };

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
        var labels = Enumerable.Range(0, 600).Select(_ => (byte)rng.NextInt(10)).ToArray();
        var observer = new RecordingObserver();
        var result = Trainer.Train(images, labels, new TrainingSettings { Hidden = [16], Epochs = 40, Patience = 2, BatchSize = 100 }, observer);

        Assert.True(result.StoppedEarly);
        var best = result.History.MaxBy(h => h.ValAccuracy)!.Epoch; // the first best, as strict improvement keeps it
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
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(images, labels, new TrainingSettings { Hidden = [16], BatchSize = 32 }, observer, cts.Token));
        Assert.Equal(3, observer.Batches);
    }

    [Theory]
    [InlineData("batch_size", "must be 1-60000, got 0.")]
    [InlineData("batch_size", "must be 1-60000, got 60001.")]
    [InlineData("epochs", "must be 1-1000, got 0.")]
    [InlineData("epochs", "must be 1-1000, got 1001.")]
    [InlineData("learning_rate", "must be a positive number, got -1.")]
    [InlineData("validation_split", "must be above 0 and below 1")]
    [InlineData("dropout", "must be at least 0 and below 1, got 1.")]
    [InlineData("optimizer", "must be one of adam, sgd, rmsprop, got 9.")]
    [InlineData("loss", "must be one of crossentropy, mse, got 9.")]
    [InlineData("activation", "must be one of relu, sigmoid, tanh, got 9.")]
    [InlineData("hidden", "widths must be 1-4096, got 0.")]
    [InlineData("hidden", "widths must be 1-4096, got 4097.")]
    [InlineData("momentum", "applies only to the sgd optimizer, not adam.")]
    [InlineData("threads", "must be 0 (every core) to 1024, got -1.")]
    [InlineData("threads", "must be 0 (every core) to 1024, got 1025.")]
    [InlineData("patience", "must be at least 1, got 0.")]
    [InlineData("convolutions", "may name at most 3 blocks (each halves the 28-pixel image), got 4.")]
    [InlineData("convolutions", "channels must be 1-256, got 257.")]
    [InlineData("detector", "must be discriminator or none with convolutions: the autoencoder is for multi-layer perceptrons.")]
    public void An_invalid_setting_is_reported_by_setting_in_words_that_fit_every_surface(string key, string message)
    {
        var got = message.Split(' ')[^1].TrimEnd('.');
        var bad = key switch
        {
            "batch_size" => new TrainingSettings { BatchSize = int.Parse(got) },
            "epochs" => new TrainingSettings { Epochs = int.Parse(got) },
            "learning_rate" => new TrainingSettings { LearningRate = -1 },
            "validation_split" => new TrainingSettings { ValidationSplit = 1 },
            "dropout" => new TrainingSettings { Dropout = 1 },
            "optimizer" => new TrainingSettings { Optimizer = (OptimizerKind)9 },
            "loss" => new TrainingSettings { Loss = (LossKind)9 },
            "activation" => new TrainingSettings { Activation = (ActivationKind)9 },
            "hidden" => new TrainingSettings { Hidden = [256, int.Parse(got)] },
            "momentum" => new TrainingSettings { Momentum = 0.9 },
            "threads" => new TrainingSettings { Threads = int.Parse(got) },
            "convolutions" when message.Contains("blocks") => new TrainingSettings { Convolutions = [8, 8, 8, 8], Detector = DetectorKind.None },
            "convolutions" => new TrainingSettings { Convolutions = [16, int.Parse(got)], Detector = DetectorKind.None },
            "detector" => new TrainingSettings { Convolutions = [16], Detector = DetectorKind.Autoencoder },
            _ => new TrainingSettings { Patience = 0 },
        };

        var error = Assert.Single(bad.Validate());

        Assert.Equal(key, error.Setting.JobKey);
        Assert.StartsWith(message, error.Message);
        // The caller names the setting (--epochs, epochs, an API field): the message names no surface.
        Assert.DoesNotContain("--", error.Message);
        Assert.Equal($"{error.Setting.CliOption} {error.Message}", error.Describe(s => s.CliOption));
        var thrown = Assert.Throws<TrainingSettingsException>(() => Trainer.Train(new float[784], [1], bad));
        Assert.Equal([error], thrown.Errors);
    }

    [Fact]
    public void The_upper_bounds_are_allowed()
    {
        var settings = new TrainingSettings { Hidden = [4096], BatchSize = 60_000, Epochs = 1000, Threads = 1024, Optimizer = OptimizerKind.Sgd, Momentum = 0.9 };
        Assert.Empty(settings.Validate());
        Assert.Empty(TrainingSettings.ValidateTrainLimit(2));
        Assert.Empty(TrainingSettings.ValidateTrainLimit(60_000));
        Assert.Empty(TrainingSettings.ValidateTrainLimit(null));
        Assert.Equal("train_limit", Assert.Single(TrainingSettings.ValidateTrainLimit(60_001)).Setting.JobKey);
        Assert.Equal("train_limit", Assert.Single(TrainingSettings.ValidateTrainLimit(1)).Setting.JobKey);
    }

    [Fact]
    public void Every_setting_has_one_name_per_surface_derived_from_its_property()
    {
        var setting = TrainingSetting.LearningRate;
        Assert.Equal(("LearningRate", "--learning-rate", "learning_rate", "learningRate"),
            (setting.PropertyName, setting.CliOption, setting.JobKey, setting.JsonName));
        Assert.Equal("--train-limit", TrainingSetting.TrainLimit.CliOption);
        Assert.Equal(typeof(TrainingSettings).GetProperties().Select(p => p.Name), TrainingSetting.All.Select(s => s.PropertyName));
        Assert.Equal(["relu", "sigmoid", "tanh"], TrainingSetting.Activation.Choices);
    }

    [Fact]
    public void Data_that_does_not_fit_is_rejected()
    {
        var options = new TrainingSettings();
        Assert.Contains("need 1568 pixels", Assert.Throws<ArgumentException>(() => Trainer.Train(new float[784], [1, 2], options)).Message);
        Assert.Contains("digits are 0 to 9", Assert.Throws<ArgumentException>(() => Trainer.Train(new float[1568], [1, 12], options)).Message);
        var split = Assert.Single(Assert.Throws<TrainingSettingsException>(() => Trainer.Train(new float[784], [1], options)).Errors);
        Assert.Equal(TrainingSetting.ValidationSplit, split.Setting);
        Assert.Contains("both need at least one", split.Message);
    }

    [Fact]
    public void The_defaults_are_the_tutorials()
    {
        var o = new TrainingSettings();
        Assert.Equal([256, 128], o.Hidden);
        Assert.Equal((ActivationKind.Relu, 0.3, OptimizerKind.Adam, 0.001, 0.0, 128, 50, 10, 0.2, LossKind.CrossEntropy, 42, 0),
            (o.Activation, o.Dropout, o.Optimizer, o.LearningRate, o.Momentum, o.BatchSize, o.Epochs, o.Patience, o.ValidationSplit, o.Loss, o.Seed, o.Threads));
        Assert.Equal(235_146, new Mlp(o.ToSpec(), o.Seed).ParameterCount);
    }

    private static T Choice<T>(string name) where T : struct, Enum =>
        ChoiceNames.TryParse(name, out T value) ? value : throw new ArgumentException($"No {typeof(T).Name} '{name}'.");

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
            if (++Batches == CancelAfterBatches)
            {
                Source?.Cancel();
            }
        }

        public void OnEpochEnd(EpochRecord record) => Ended.Add(record);
    }
}
