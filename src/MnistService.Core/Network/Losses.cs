namespace MnistService.Core.Network;

/// <summary>
/// A loss on the network's softmax output p for integer labels (one-hot targets y, y_label = 1).
/// <see cref="Gradient"/> returns dL/dz with respect to the softmax's input z (the logits), averaged over
/// the batch as Keras's "sum_over_batch_size" reduction does, so the backward pass starts below the softmax.
/// </summary>
public abstract class Loss
{
    /// <summary>"crossentropy" or "mse".</summary>
    public abstract string Name { get; }

    /// <summary>The summed (not averaged) loss of the rows, so that callers can average over any count.</summary>
    public abstract double Sum(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int rows, int classes);

    /// <summary>dL/dz for the batch mean loss.</summary>
    public abstract void Gradient(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, Span<float> dz, int rows, int classes);

    /// <param name="labelSmoothing">Cross-entropy only (as in Keras); 0 = one-hot targets.</param>
    public static Loss Create(LossKind kind, double labelSmoothing = 0) => kind switch
    {
        LossKind.CrossEntropy => new CrossEntropyLoss(labelSmoothing),
        _ when labelSmoothing != 0 => throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing applies to cross-entropy only."),
        LossKind.Mse => new MeanSquaredErrorLoss(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown loss."),
    };
}

/// <summary>
/// Categorical cross-entropy L = -Σ_j y_j·log p_j, fused with the softmax: dL/dz = p - y, a stable gradient
/// that never divides by a tiny p. Divided by the batch size (mean). With label smoothing ε (Keras's
/// <c>label_smoothing</c>) the target is y = (1 - ε)·onehot + ε/C, which keeps the network from driving its
/// logits apart without end; ε = 0 is the plain one-hot loss -log p_label.
/// The loss value clips p to [1e-7, 1 - 1e-7] as Keras does, so a confident mistake costs at most ~16.1.
/// </summary>
public sealed class CrossEntropyLoss : Loss
{
    public const float Epsilon = 1e-7f;

    public CrossEntropyLoss(double labelSmoothing = 0)
    {
        if (!(labelSmoothing is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be at least 0 and below 1.");
        }
        LabelSmoothing = labelSmoothing;
    }

    public double LabelSmoothing { get; }

    public override string Name => "crossentropy";

    public override double Sum(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int rows, int classes)
    {
        double sum = 0;
        if (LabelSmoothing == 0)
        {
            for (var r = 0; r < rows; r++)
            {
                sum -= Math.Log(Math.Clamp(probabilities[r * classes + labels[r]], Epsilon, 1f - Epsilon));
            }
            return sum;
        }

        double off = LabelSmoothing / classes, on = 1 - LabelSmoothing + off;
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < classes; j++)
            {
                sum -= (j == labels[r] ? on : off) * Math.Log(Math.Clamp(probabilities[r * classes + j], Epsilon, 1f - Epsilon));
            }
        }
        return sum;
    }

    public override void Gradient(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, Span<float> dz, int rows, int classes)
    {
        var inv = 1f / rows;
        if (LabelSmoothing == 0)
        {
            for (var r = 0; r < rows; r++)
            {
                var o = r * classes;
                for (var j = 0; j < classes; j++)
                {
                    dz[o + j] = probabilities[o + j] * inv;
                }

                dz[o + labels[r]] -= inv;
            }
            return;
        }

        // dz_j = (p_j - ε/C - (1 - ε)·[j = label]) / rows
        float off = (float)(LabelSmoothing / classes), on = (float)(1 - LabelSmoothing);
        for (var r = 0; r < rows; r++)
        {
            var o = r * classes;
            for (var j = 0; j < classes; j++)
            {
                dz[o + j] = (probabilities[o + j] - off) * inv;
            }

            dz[o + labels[r]] -= on * inv;
        }
    }
}

/// <summary>
/// Mean squared error on the softmax output, as Keras's "mse": L = (1/C)·Σ_j (p_j - y_j)² per sample.
/// dL/dp = 2·(p - y) / (C·batch), then through the softmax Jacobian: dz = p ⊙ (dL/dp - Σ_k dL/dp_k·p_k).
/// </summary>
public sealed class MeanSquaredErrorLoss : Loss
{
    public override string Name => "mse";

    public override double Sum(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int rows, int classes)
    {
        double sum = 0;
        for (var r = 0; r < rows; r++)
        {
            double row = 0;
            for (var j = 0; j < classes; j++)
            {
                var d = probabilities[r * classes + j] - (labels[r] == j ? 1.0 : 0.0);
                row += d * d;
            }
            sum += row / classes;
        }
        return sum;
    }

    public override void Gradient(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, Span<float> dz, int rows, int classes)
    {
        var scale = 2f / (classes * rows);
        Span<float> dp = stackalloc float[classes];
        for (var r = 0; r < rows; r++)
        {
            var o = r * classes;
            for (var j = 0; j < classes; j++)
            {
                dp[j] = scale * (probabilities[o + j] - (labels[r] == j ? 1f : 0f));
            }

            SoftmaxLayer.JacobianProduct(probabilities.Slice(o, classes), dp, dz.Slice(o, classes), 1, classes);
        }
    }
}
