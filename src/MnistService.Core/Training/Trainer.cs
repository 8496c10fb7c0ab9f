using System.Diagnostics;
using MnistService.Core.Imaging;
using MnistService.Core.Network;

namespace MnistService.Core.Training;

/// <summary>
/// Trains an <see cref="Mlp"/> as Keras's <c>model.fit</c> does in the tutorial: validation split from the
/// end of the data, a fresh shuffle of the training part every epoch, mini-batches, and early stopping on
/// validation accuracy with the best epoch's weights restored. The recipe's additions: training images
/// distorted afresh every epoch (validation images never), a learning rate set before every step by its
/// schedule, and label smoothing in the loss.
/// </summary>
public static class Trainer
{
    public const int ImagePixels = 28 * 28;
    public const int Classes = 10;

    /// <param name="images">count·784 pixels in [0, 1], row-major.</param>
    /// <param name="labels">count digits 0..9.</param>
    /// <exception cref="TrainingSettingsException">A setting is out of range, or the validation split leaves no training or validation sample.</exception>
    /// <exception cref="ArgumentException">Data that do not fit together.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; checked between batches.</exception>
    /// <exception cref="TrainingDivergedException">An epoch's training loss was NaN or infinite.</exception>
    public static TrainingResult Train(float[] images, byte[] labels, TrainingSettings settings,
        ITrainingObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(settings);
        settings.EnsureValid();
        CheckData(images, labels);

        // Keras: split_at = floor(n · (1 - validation_split)); the first split_at samples train, the rest validate.
        var count = labels.Length;
        var trainCount = (int)Math.Floor(count * (1.0 - settings.ValidationSplit));
        var valCount = count - trainCount;
        if (trainCount < 1 || valCount < 1)
        {
            throw new TrainingSettingsException([new SettingError(TrainingSetting.ValidationSplit,
                $"{TrainingSettings.Format(settings.ValidationSplit)} leaves {trainCount} training and {valCount} validation samples out of {count}; both need at least one.")]);
        }

        var total = Stopwatch.StartNew();
        var model = new Mlp(settings.ToSpec(), settings.Seed, settings.Threads);
        var loss = Loss.Create(settings.Loss, settings.LabelSmoothing);
        var optimizer = Optimizer.Create(settings.Optimizer, settings.LearningRate, settings.Momentum, settings.Threads);
        // The distorter runs on the batch maker's thread, beside the matrix products' threads.
        var distorter = settings.Augment == AugmentKind.None ? null
            : new ImageDistorter(settings.Augment, settings.ToDistortionRanges(), settings.Seed);
        var shuffle = new Rng(unchecked(((ulong)(uint)settings.Seed << 32) ^ 0x53485546464C45UL)); // its own stream

        // Everything the loop touches is allocated here, once.
        var batchSize = Math.Min(settings.BatchSize, trainCount);
        var batchCount = (trainCount + batchSize - 1) / batchSize;
        model.EnsureCapacity(batchSize);
        using var batches = new TrainingBatches(images, labels, trainCount, batchSize, settings.Epochs, distorter, shuffle);
        var logitGradient = new float[batchSize * Classes];
        var valProbabilities = new float[valCount * Classes];
        var best = new float[model.ParameterCount];
        var history = new List<EpochRecord>();

        var schedule = settings.LrSchedule == LearningRateScheduleKind.Constant && settings.Warmup == 0 ? null
            : new LearningRateSchedule(settings.LrSchedule, settings.LearningRate, settings.Warmup, (long)settings.Epochs * batchCount);
        long step = 0;

        var bestAccuracy = double.NegativeInfinity;
        int bestEpoch = 0, wait = 0;
        var stoppedEarly = false;
        for (var epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            observer?.OnEpochStart(epoch, settings.Epochs, batchCount);
            double lossSum = 0;
            long correct = 0, seen = 0;
            for (var b = 0; b < batchCount; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = batches.Next(cancellationToken);
                var rows = batch.Rows;
                var x = batch.Images;
                var batchLabels = batch.Labels;
                var p = model.Forward(x, rows, training: true);
                lossSum += loss.Sum(p, batchLabels, rows, Classes);
                correct += CountCorrect(p, batchLabels, rows);
                seen += rows;
                loss.Gradient(p, batchLabels, logitGradient, rows, Classes);
                model.Backward(x, logitGradient, rows);
                if (schedule is not null)
                {
                    optimizer.LearningRate = schedule.At(step);
                }
                step++;
                optimizer.Step(model.ParameterBuffers);
                observer?.OnBatchEnd(epoch, b, batchCount, lossSum / seen, (double)correct / seen);
            }

            model.Predict(images.AsSpan(trainCount * ImagePixels), valCount, valProbabilities);
            ReadOnlySpan<byte> valLabels = labels.AsSpan(trainCount);
            var valLoss = loss.Sum(valProbabilities, valLabels, valCount, Classes) / valCount;
            var valAccuracy = (double)CountCorrect(valProbabilities, valLabels, valCount) / valCount;
            var record = new EpochRecord(epoch, lossSum / seen, (double)correct / seen, valLoss, valAccuracy, watch.Elapsed.TotalSeconds);
            history.Add(record);
            observer?.OnEpochEnd(record);
            if (!double.IsFinite(record.Loss))
            {
                throw new TrainingDivergedException(epoch, record.Loss);
            }

            // Keras's EarlyStopping(monitor="val_accuracy", patience, restore_best_weights=True): an epoch
            // improves when it beats the best so far strictly; after `patience` epochs without one, stop.
            wait++;
            if (valAccuracy > bestAccuracy)
            {
                bestAccuracy = valAccuracy;
                bestEpoch = epoch;
                model.CopyParametersTo(best);
                wait = 0;
            }
            else if (wait >= settings.Patience)
            {
                stoppedEarly = epoch < settings.Epochs;
                break;
            }
        }

        // Restore the best epoch's weights (restore_best_weights=True). Keras restores them only when it
        // stops early; we always do, so the model returned is the one with the best validation accuracy.
        model.CopyParametersFrom(best);
        return new TrainingResult(model, history, bestEpoch, stoppedEarly, trainCount, valCount, total.Elapsed.TotalSeconds);
    }

    internal static void CheckData(float[] images, byte[] labels)
    {
        if (labels.Length == 0)
        {
            throw new ArgumentException("There are no labelled images.");
        }

        if (images.Length != (long)labels.Length * ImagePixels)
        {
            throw new ArgumentException($"{labels.Length} labels need {(long)labels.Length * ImagePixels} pixels (28x28 each), got {images.Length}.");
        }

        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= Classes)
            {
                throw new ArgumentException($"Label {i} is {labels[i]}; digits are 0 to 9.");
            }
        }
    }

    /// <summary>Rows whose largest probability is at the label (the first maximum wins ties, as numpy's argmax).</summary>
    internal static int CountCorrect(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int rows)
    {
        var correct = 0;
        for (var r = 0; r < rows; r++)
        {
            if (ArgMax(probabilities.Slice(r * Classes, Classes)) == labels[r])
            {
                correct++;
            }
        }

        return correct;
    }

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var j = 1; j < values.Length; j++)
        {
            if (values[j] > values[best])
            {
                best = j;
            }
        }

        return best;
    }
}
