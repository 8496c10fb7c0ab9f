namespace MnistService.Core.Network;

/// <summary>
/// A 2-D convolution with a k×k kernel, stride 1 and zero padding k/2 (the output as large as the input), over images
/// stored row by row as height × width × channels (HWC):
/// <c>y[r, p, o] = b[o] + Σ_{i,j,c} x[r, p + (i − k/2, j − k/2), c] · W[(i·k + j)·C + c, o]</c>.
/// </summary>
/// <remarks>
/// It is one matrix product over the batch's unfolded input (im2col): row r·H·W + p of <c>col</c> holds the k·k·C
/// values under the kernel at position p of image r, so <c>y = col·W + b</c> is a <see cref="DenseLayer"/>'s product
/// with rows·H·W rows (the layer keeps one for W and b), and the backward pass is <c>dW = colᵀ·dy</c>, <c>db = Σ_rows dy</c>, <c>dcol = dy·Wᵀ</c>, with
/// <c>dx</c> the sum of <c>dcol</c> folded back onto the pixels each value came from (col2im). The unfolding and the
/// folding are done image by image in a fixed order, the products by <see cref="Gemm"/>: bit-identical results
/// whatever the thread count. The unfolded input is made again in the backward pass from <c>x</c>, so the layer keeps
/// no state between the two passes.
/// </remarks>
public sealed class Conv2dLayer : Layer
{
    private readonly DenseLayer _product;
    private readonly ParallelOptions _parallel;
    private readonly ImageStep _unfoldImage, _foldImage;
    private float[] _columns = [], _columnGradient = [];

    /// <param name="threads">Threads for the products and the unfolding; 0 = all cores. Does not change any result.</param>
    public Conv2dLayer(int height, int width, int inChannels, int outChannels, int kernel, int threads = 0, GemmPath? path = null)
        : base(height * width * inChannels, height * width * outChannels)
    {
        if (height < 1 || width < 1 || inChannels < 1 || outChannels < 1 || kernel < 1 || kernel % 2 == 0)
        {
            throw new ArgumentException(
                $"A convolution needs positive sizes and an odd kernel, got {height}x{width}x{inChannels} -> {outChannels} with a {kernel}x{kernel} kernel.");
        }
        (Height, Width, InChannels, OutChannels, Kernel) = (height, width, inChannels, outChannels, kernel);
        _product = new DenseLayer(Depth, outChannels, "linear", threads, path);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        (_unfoldImage, _foldImage) = (UnfoldImage, FoldImage);
    }

    public int Height { get; }
    public int Width { get; }
    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }

    /// <summary>Values under the kernel at one position: k·k·C, the rows of W.</summary>
    public int Depth => Kernel * Kernel * InChannels;

    /// <summary>[k·k·C, OutChannels]: row (i·k + j)·C + c holds the weights of kernel offset (i, j) and input channel c.</summary>
    public float[] Weights => _product.Weights;
    public float[] Bias => _product.Bias;
    public float[] WeightGradient => _product.WeightGradient;
    public float[] BiasGradient => _product.BiasGradient;
    public int ParameterCount => _product.ParameterCount;

    /// <summary>Glorot uniform over the kernel's fan-in (k·k·C) and fan-out (k·k·OutChannels), as Keras's Conv2D; zero biases.</summary>
    public void InitializeGlorotUniform(Rng rng)
    {
        var limit = DenseLayer.GlorotLimit(Depth, Kernel * Kernel * OutChannels);
        for (var i = 0; i < Weights.Length; i++)
        {
            Weights[i] = rng.NextFloat(-limit, limit);
        }
        Array.Clear(Bias);
    }

    /// <summary>y = im2col(x)·W + b.</summary>
    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training)
    {
        Unfold(x, rows);
        _product.Forward(_columns, y, rows * Height * Width, training);
    }

    /// <summary>dW = colᵀ·dy, db = Σ dy over every position of every image (the dense layer's), dx = col2im(dy·Wᵀ).</summary>
    public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        var positions = rows * Height * Width;
        Unfold(x, rows);
        // The first layer's dx is never needed, nor then its columns' gradient.
        var columnGradient = dx.IsEmpty ? Span<float>.Empty : Grow(ref _columnGradient, positions * Depth);
        _product.Backward(_columns, y, dy, columnGradient, positions);
        if (!dx.IsEmpty)
        {
            Fold(dx, rows);
        }
    }

    /// <summary>col[r·H·W + p, (i·k + j)·C + c] = x[r, p + (i − k/2, j − k/2), c], 0 outside the image.</summary>
    private void Unfold(ReadOnlySpan<float> x, int rows)
    {
        Grow(ref _columns, rows * Height * Width * Depth);
        EachImage(x, Inputs, _columns, Height * Width * Depth, rows, _unfoldImage);
    }

    /// <summary>step(from's image r, to's image r) for every image of the batch, the images spread over the threads.</summary>
    private unsafe void EachImage(ReadOnlySpan<float> from, int fromStride, Span<float> to, int toStride, int rows, ImageStep step)
    {
        fixed (float* source = from, target = to)
        {
            var (pf, pt) = ((nint)source, (nint)target);
            Parallel.For(0, rows, _parallel, r => step(
                new ReadOnlySpan<float>((float*)pf + (long)r * fromStride, fromStride), new Span<float>((float*)pt + (long)r * toStride, toStride)));
        }
    }

    private delegate void ImageStep(ReadOnlySpan<float> from, Span<float> to);

    private void UnfoldImage(ReadOnlySpan<float> image, Span<float> columns)
    {
        int half = Kernel / 2, c = InChannels;
        for (var py = 0; py < Height; py++)
        {
            for (var px = 0; px < Width; px++)
            {
                var row = columns.Slice((py * Width + px) * Depth, Depth);
                for (var i = 0; i < Kernel; i++)
                {
                    var sy = py + i - half;
                    for (var j = 0; j < Kernel; j++)
                    {
                        var sx = px + j - half;
                        var cell = row.Slice((i * Kernel + j) * c, c);
                        if (sy < 0 || sy >= Height || sx < 0 || sx >= Width)
                        {
                            cell.Clear();
                        }
                        else
                        {
                            image.Slice((sy * Width + sx) * c, c).CopyTo(cell);
                        }
                    }
                }
            }
        }
    }

    /// <summary>dx[r, q, c] = Σ of dcol over the (position, offset) pairs that read pixel q, in a fixed order.</summary>
    private void Fold(Span<float> dx, int rows) => EachImage(_columnGradient, Height * Width * Depth, dx, Inputs, rows, _foldImage);

    private void FoldImage(ReadOnlySpan<float> columns, Span<float> image)
    {
        int half = Kernel / 2, c = InChannels;
        image.Clear();
        for (var py = 0; py < Height; py++)
        {
            for (var px = 0; px < Width; px++)
            {
                var row = columns.Slice((py * Width + px) * Depth, Depth);
                for (var i = 0; i < Kernel; i++)
                {
                    var sy = py + i - half;
                    if (sy < 0 || sy >= Height)
                    {
                        continue;
                    }
                    for (var j = 0; j < Kernel; j++)
                    {
                        var sx = px + j - half;
                        if (sx >= 0 && sx < Width)
                        {
                            Elementwise.Add(image.Slice((sy * Width + sx) * c, c), row.Slice((i * Kernel + j) * c, c));
                        }
                    }
                }
            }
        }
    }

    /// <summary>The first <paramref name="length"/> values of <paramref name="buffer"/>, made larger first if it is shorter.</summary>
    private static Span<float> Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
        return buffer.AsSpan(0, length);
    }
}
