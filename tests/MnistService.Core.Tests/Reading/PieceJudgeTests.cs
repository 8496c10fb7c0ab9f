using MnistService.Core.Imaging;
using MnistService.Core.Network;
using MnistService.Core.Reading;

namespace MnistService.Core.Tests.Reading;

public sealed class PieceJudgeTests
{
    private const int Scale = 2;

    /// <summary>
    /// Ink fills columns 100-139 of rows 30-49; the piece is columns 100-119. Line height 20 makes cells of 2 pixels
    /// (summed once for all windows), 10 cells of 1 pixel (each window sums its own).
    /// </summary>
    [Theory]
    [InlineData(20)]
    [InlineData(10)]
    public void A_window_holds_the_ink_around_the_piece_and_marks_the_piece_s_columns(int lineHeight)
    {
        using var ink = InkImage.Rent(300, 80);
        ink.Levels.Clear();
        for (var y = 30; y < 50; y++)
        {
            ink.Levels.Slice(y * 300 + 100, 40).Fill(255);
        }
        var window = new float[PieceContext.Size];
        using (var context = new PieceContext(ink, lineHeight))
        {
            context.Write(100, 120, new PixelBox(100, 30, 20, 20), window);
        }

        // The piece's centre is pixel (110, 40); window cell (r, q) holds pixels from ((110 / cell) - Columns / 2 + q) * cell
        // and ((40 / cell) - Rows / 2 + r) * cell on.
        var cell = lineHeight / PieceContext.CellsPerHeight;
        for (var r = 0; r < PieceContext.Rows; r++)
        {
            for (var q = 0; q < PieceContext.Columns; q++)
            {
                var (x, y) = ((110 / cell - PieceContext.Columns / 2 + q) * cell, (40 / cell - PieceContext.Rows / 2 + r) * cell);
                var inked = x >= 100 && x < 140 && y >= 30 && y < 50;
                Assert.Equal(inked ? 1f : 0f, window[r * PieceContext.Columns + q]);
            }
        }
        var mask = window.AsSpan(PieceContext.Rows * PieceContext.Columns).ToArray();
        Assert.Equal(20 / cell, mask.Count(m => m == 1));
        Assert.Equal(1f, mask[PieceContext.Columns / 2 - 10 / cell]); // pixel 100
        Assert.Equal(0f, mask[PieceContext.Columns / 2 - 10 / cell - 1]);
        Assert.Contains(0f, window[..(PieceContext.Rows * PieceContext.Columns)]);
    }

    /// <summary>
    /// Cells of 4.155 and 1.955 pixels leave a 333x121 image's last cell column without a pixel of its own (332 / 4.155
    /// is under 80, 333 / 4.155 over): a piece at its right edge, inked to the last column, gets a window of ink means,
    /// the cells past the image 0.
    /// </summary>
    [Theory]
    [InlineData(41.55)]
    [InlineData(19.55)]
    public void A_piece_at_the_image_s_ragged_edge_gets_a_window_of_means(double lineHeight)
    {
        using var ink = InkImage.Rent(333, 121);
        ink.Levels.Fill(200);
        var window = new float[PieceContext.Size];
        using (var context = new PieceContext(ink, lineHeight))
        {
            context.Write(300, 333, new PixelBox(300, 0, 33, 121), window);
        }
        var cells = window[..(PieceContext.Rows * PieceContext.Columns)];
        Assert.All(cells, v => Assert.True(v == 0 || Math.Abs(v - 200 / 255f) < 1e-6, $"{v}"));
        Assert.Contains(0f, cells);
        Assert.Contains(200 / 255f, cells);
    }

    [Fact]
    public void A_judge_written_and_read_back_judges_alike()
    {
        var judge = new PieceJudge(new DetectorNetwork(DetectorKind.Discriminator, PieceContext.Size, [8], seed: 3).GetParameters());
        using var stream = new MemoryStream();
        judge.Write(stream);
        stream.Position = 0;
        var read = PieceJudge.Read(stream);

        var windows = new float[3 * PieceContext.Size];
        for (var i = 0; i < windows.Length; i++)
        {
            windows[i] = i % 7 / 7f;
        }
        float[] before = new float[3], after = new float[3];
        judge.Score(windows, 3, before);
        read.Score(windows, 3, after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void A_file_that_is_not_a_judge_is_refused_as_invalid_data()
    {
        Assert.Throws<InvalidDataException>(() => PieceJudge.Read(new MemoryStream("not a judge at all"u8.ToArray())));
        var judge = new PieceJudge(new DetectorNetwork(DetectorKind.Discriminator, PieceContext.Size, [4], seed: 3).GetParameters());
        using var stream = new MemoryStream();
        judge.Write(stream);
        var truncated = stream.ToArray()[..^10];
        Assert.Throws<InvalidDataException>(() => PieceJudge.Read(new MemoryStream(truncated)));
    }

    /// <summary>
    /// Three MNIST test digits written apart (scaled twice, 14 pixels, about a third of their height, between ink boxes): the shipped judge finds the middle
    /// digit whole more likely than its left half or than the digit with its right neighbour, for nearly every triple.
    /// </summary>
    [Fact]
    public void The_shipped_judge_finds_a_whole_digit_more_likely_than_half_of_it_or_it_with_its_neighbour()
    {
        const int Triples = 60;
        var random = new Random(4);
        var (overHalf, overPair) = (0, 0);
        for (var t = 0; t < Triples; t++)
        {
            var digits = Enumerable.Range(0, 3).Select(_ => MnistTestSet.PixelsOf(random.Next(MnistTestSet.Labels.Length))).ToArray();
            var (ink, boxes) = Write(digits);
            using (ink)
            {
                var lineHeight = boxes.Average(b => b.Height);
                using var context = new PieceContext(ink, lineHeight);
                var windows = new float[3 * PieceContext.Size];
                var middle = boxes[1];
                context.Write(middle.X, middle.X + middle.Width, middle, windows.AsSpan(0, PieceContext.Size));
                context.Write(middle.X, middle.X + middle.Width / 2, middle, windows.AsSpan(PieceContext.Size, PieceContext.Size));
                var pair = new PixelBox(middle.X, Math.Min(middle.Y, boxes[2].Y), boxes[2].X + boxes[2].Width - middle.X,
                    Math.Max(middle.Y + middle.Height, boxes[2].Y + boxes[2].Height) - Math.Min(middle.Y, boxes[2].Y));
                context.Write(pair.X, pair.X + pair.Width, pair, windows.AsSpan(2 * PieceContext.Size, PieceContext.Size));
                var scores = new float[3];
                PieceJudge.Shipped.Score(windows, 3, scores);
                overHalf += scores[0] > scores[1] ? 1 : 0;
                overPair += scores[0] > scores[2] ? 1 : 0;
            }
        }
        Assert.True(overHalf >= Triples * 0.9, $"whole over half in {overHalf} of {Triples}");
        Assert.True(overPair >= Triples * 0.9, $"whole over the pair in {overPair} of {Triples}");
    }

    /// <summary>The digits scaled <see cref="Scale"/> times, side by side 14 pixels apart, and each one's ink box.</summary>
    private static (InkImage Ink, PixelBox[] Boxes) Write(byte[][] digits)
    {
        const int Side = 28 * Scale;
        var gap = Side / 4;
        var ink = InkImage.Rent(digits.Length * (Side + gap) + 2 * Side, 2 * Side);
        ink.Levels.Clear();
        var boxes = new PixelBox[digits.Length];
        var x = Side;
        for (var d = 0; d < digits.Length; d++)
        {
            int left = 28, right = -1, top = 28, bottom = -1;
            for (var i = 0; i < 28 * 28; i++)
            {
                if (digits[d][i] > 0)
                {
                    (left, right, top, bottom) = (Math.Min(left, i % 28), Math.Max(right, i % 28), Math.Min(top, i / 28), Math.Max(bottom, i / 28));
                }
            }
            var origin = (X: x - left * Scale, Y: Side / 2);
            for (var i = 0; i < 28 * 28; i++)
            {
                for (var dy = 0; dy < Scale; dy++)
                {
                    for (var dx = 0; dx < Scale; dx++)
                    {
                        ink.Levels[(origin.Y + i / 28 * Scale + dy) * ink.Width + origin.X + i % 28 * Scale + dx] = digits[d][i];
                    }
                }
            }
            boxes[d] = new PixelBox(x, origin.Y + top * Scale, (right - left + 1) * Scale, (bottom - top + 1) * Scale);
            x += boxes[d].Width + gap;
        }
        return (ink, boxes);
    }
}
