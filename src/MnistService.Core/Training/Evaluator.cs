using MnistService.Core.Network;

namespace MnistService.Core.Training;

/// <summary>Precision, recall and F1 of one digit, with its number of true samples (support).</summary>
public sealed record ClassMetrics(int Digit, double Precision, double Recall, double F1, int Support);

/// <summary>How a model does on a labelled set.</summary>
/// <param name="Accuracy">Fraction of images whose most probable digit is the label.</param>
/// <param name="Loss">Mean categorical cross-entropy (probabilities clipped to [1e-7, 1 - 1e-7] as Keras).</param>
/// <param name="Confusion">10 rows of 10 counts: rows are the true digit, columns the predicted one.</param>
/// <param name="Classes">Per-digit precision, recall, F1 and support, digits 0 to 9.</param>
public sealed record Evaluation(double Accuracy, double Loss, int[][] Confusion, IReadOnlyList<ClassMetrics> Classes, int Count)
{
    /// <summary>Every image whose most probable digit is not its label, in the order of the set.</summary>
    public IReadOnlyList<MisreadDigit> Misread { get; init; } = [];
}

public static class Evaluator
{
    /// <param name="images">count·784 pixels in [0, 1].</param>
    /// <param name="labels">count digits 0..9.</param>
    public static Evaluation Evaluate(Mlp model, float[] images, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        Trainer.CheckData(images, labels);
        if (model.Inputs != Trainer.ImagePixels || model.Outputs != Trainer.Classes)
        {
            throw new ArgumentException($"The model maps {model.Inputs} inputs to {model.Outputs} classes; MNIST needs {Trainer.ImagePixels} to {Trainer.Classes}.");
        }

        var n = labels.Length;
        var probabilities = new float[n * Trainer.Classes];
        model.Predict(images, n, probabilities);

        var loss = new CrossEntropyLoss().Sum(probabilities, labels, n, Trainer.Classes) / n;
        var confusion = new int[Trainer.Classes][];
        for (var i = 0; i < confusion.Length; i++)
        {
            confusion[i] = new int[Trainer.Classes];
        }

        var correct = 0;
        var misread = new List<MisreadDigit>();
        for (var r = 0; r < n; r++)
        {
            var row = probabilities.AsSpan(r * Trainer.Classes, Trainer.Classes);
            var predicted = Trainer.ArgMax(row);
            confusion[labels[r]][predicted]++;
            if (predicted == labels[r])
            {
                correct++;
            }
            else
            {
                misread.Add(MisreadDigit.Of(r, labels[r], predicted, row));
            }
        }
        return new Evaluation((double)correct / n, loss, confusion, PerClass(confusion), n) { Misread = misread };
    }

    /// <summary>
    /// precision = TP / (TP + FP) (column), recall = TP / (TP + FN) (row), F1 = 2PR / (P + R);
    /// 0 where the denominator is 0 (as scikit-learn's zero_division=0).
    /// </summary>
    public static IReadOnlyList<ClassMetrics> PerClass(int[][] confusion)
    {
        var k = confusion.Length;
        var result = new ClassMetrics[k];
        for (var c = 0; c < k; c++)
        {
            var tp = confusion[c][c];
            var support = confusion[c].Sum();
            var predicted = 0;
            for (var r = 0; r < k; r++)
            {
                predicted += confusion[r][c];
            }

            var precision = predicted == 0 ? 0 : (double)tp / predicted;
            var recall = support == 0 ? 0 : (double)tp / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            result[c] = new ClassMetrics(c, precision, recall, f1, support);
        }
        return result;
    }
}
