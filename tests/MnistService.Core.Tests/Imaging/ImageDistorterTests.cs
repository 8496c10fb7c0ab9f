using MnistService.Core.Imaging;
using MnistService.Core.Network;

namespace MnistService.Core.Tests.Imaging;

public class ImageDistorterTests
{
    private static readonly DistortionRanges Mild = new(10, 0.08, 6, 2, 0.5, 4, 34);
    private static readonly DistortionRanges None = new(0, 0, 0, 0, 0, 4, 0);

    /// <summary>The first <paramref name="count"/> MNIST test digits, in [0, 1].</summary>
    private static float[] Digits(int count) =>
        [.. MnistTestSet.Images.Take(count).SelectMany(image => image.Select(p => p / 255f))];

    private static float[] Distort(ImageDistorter distorter, float[] source, int[] indices, int epoch)
    {
        var output = new float[indices.Length * ImageDistorter.Pixels];
        distorter.Distort(source, indices, 0, indices.Length, output, epoch);
        return output;
    }

    private static float[] Row(float[] images, int row) => images.AsSpan(row * ImageDistorter.Pixels, ImageDistorter.Pixels).ToArray();

    private static (double X, double Y, double Mass) Centroid(float[] image)
    {
        double x = 0, y = 0, mass = 0;
        for (var i = 0; i < image.Length; i++)
        {
            mass += image[i];
            x += image[i] * (i % 28);
            y += image[i] * (i / 28);
        }
        return (x / mass, y / mass, mass);
    }

    [Theory]
    [InlineData(AugmentKind.Affine)]
    [InlineData(AugmentKind.Elastic)]
    public void Zero_ranges_leave_every_image_exactly_as_it_was(AugmentKind kind)
    {
        var source = Digits(20);
        var output = Distort(new ImageDistorter(kind, None, seed: 1), source, [.. Enumerable.Range(0, 20)], epoch: 1);
        Assert.Equal(source, output);
    }

    [Fact]
    public void A_distortion_depends_on_the_seed_epoch_and_image_alone_not_the_batch()
    {
        var source = Digits(64);
        var indices = Enumerable.Range(0, 64).Reverse().ToArray();
        var batch = Distort(new ImageDistorter(AugmentKind.Elastic, Mild, seed: 42), source, indices, epoch: 3);

        // Image 5 alone, as the first row of a batch of one, is distorted the same as inside the batch (row 58).
        var alone = Distort(new ImageDistorter(AugmentKind.Elastic, Mild, seed: 42), source, [5], epoch: 3);
        Assert.Equal(Row(batch, 58), alone);

        var nextEpoch = Distort(new ImageDistorter(AugmentKind.Elastic, Mild, seed: 42), source, [5], epoch: 4);
        var otherSeed = Distort(new ImageDistorter(AugmentKind.Elastic, Mild, seed: 7), source, [5], epoch: 3);
        Assert.NotEqual(alone, nextEpoch);
        Assert.NotEqual(alone, otherSeed);
    }

    [Theory]
    [InlineData(AugmentKind.Affine)]
    [InlineData(AugmentKind.Elastic)]
    public void Distorted_digits_stay_in_range_keep_their_ink_and_move_no_further_than_the_ranges_allow(AugmentKind kind)
    {
        const int count = 200;
        var source = Digits(count);
        // The geometry alone: a change of pen changes the ink by design (the stroke-width test covers it).
        var output = Distort(new ImageDistorter(kind, Mild with { Thickness = 0 }, seed: 42), source, [.. Enumerable.Range(0, count)], epoch: 1);

        Assert.All(output, p => Assert.InRange(p, 0f, 1f));
        var changed = 0;
        for (var i = 0; i < count; i++)
        {
            var (before, after) = (Centroid(Row(source, i)), Centroid(Row(output, i)));
            // Scale 0.92-1.08 changes the ink's area by at most 17 %. The elastic field (α 34, σ 4) stretches and
            // squeezes strokes much more: over these 200 digits the ink ranged from 0.63 to 1.69 times the original.
            Assert.InRange(after.Mass / before.Mass, kind == AugmentKind.Affine ? 0.8 : 0.4, kind == AugmentKind.Affine ? 1.25 : 2.0);
            // The shift moves the centre of mass up to 2·√2 px; rotation, shear and scale about the image centre a little more.
            Assert.InRange(Math.Sqrt(Math.Pow(after.X - before.X, 2) + Math.Pow(after.Y - before.Y, 2)), 0, 5);
            changed += Row(source, i).SequenceEqual(Row(output, i)) ? 0 : 1;
        }
        Assert.Equal(count, changed);
    }

    [Fact]
    public void A_pure_shift_moves_the_digit_by_the_drawn_amount_and_the_elastic_field_adds_to_the_affine_map()
    {
        var source = Digits(50);
        var indices = Enumerable.Range(0, 50).ToArray();
        var shifted = Distort(new ImageDistorter(AugmentKind.Affine, None with { Shift = 2 }, seed: 9), source, indices, epoch: 1);
        for (var i = 0; i < 50; i++)
        {
            // Bilinear resampling moves the ink of a shift as it is (some may leave the image): each axis by at most 2 px.
            var (before, after) = (Centroid(Row(source, i)), Centroid(Row(shifted, i)));
            Assert.InRange(Math.Abs(after.X - before.X), 0, 2.1);
            Assert.InRange(Math.Abs(after.Y - before.Y), 0, 2.1);
            Assert.InRange(after.Mass / before.Mass, 0.95, 1.0001);
        }

        // The same stream draws the same affine map first; the field comes on top of it.
        var affine = Distort(new ImageDistorter(AugmentKind.Affine, Mild, seed: 9), source, indices, epoch: 1);
        var elastic = Distort(new ImageDistorter(AugmentKind.Elastic, Mild, seed: 9), source, indices, epoch: 1);
        var noField = Distort(new ImageDistorter(AugmentKind.Elastic, Mild with { ElasticAlpha = 0 }, seed: 9), source, indices, epoch: 1);
        Assert.Equal(affine, noField);
        Assert.NotEqual(affine, elastic);
    }

    [Fact]
    public void A_wider_pen_thickens_every_stroke_and_a_narrower_one_thins_it_by_the_drawn_amount()
    {
        var padded = new float[32 * 32];
        for (var y = 5; y < 20; y++)
        {
            padded[(y + 1) * 32 + 1 + 10] = 1f; // a one-pixel vertical stroke at x = 10
            padded[(y + 1) * 32 + 1 + 11] = 0.5f; // and its anti-aliased edge
        }
        float At(float[] image, int x, int y) => image[(y + 1) * 32 + 1 + x];
        var thick = (float[])padded.Clone();
        ImageDistorter.ChangeStrokeWidth(thick, 0.5f, new float[32 * 32], new float[32 * 32]);
        var thin = (float[])padded.Clone();
        ImageDistorter.ChangeStrokeWidth(thin, -0.5f, new float[32 * 32], new float[32 * 32]);

        // Half a pixel more ink on each side; the stroke's ends grow by half a pixel too.
        Assert.Equal((0.5f, 1f, 0.75f, 0.25f), (At(thick, 9, 12), At(thick, 10, 12), At(thick, 11, 12), At(thick, 12, 12)));
        Assert.Equal(0.5f, At(thick, 10, 4));
        // Half a pixel less: what touches the background loses half its ink (the end pixels of the stroke too).
        Assert.Equal((0f, 0.5f, 0.25f), (At(thin, 9, 12), At(thin, 10, 12), At(thin, 11, 12)));
        Assert.Equal(0.5f, At(thin, 10, 5));
        Assert.All(Enumerable.Range(0, 32 * 32), i => Assert.True(thick[i] >= padded[i] && thin[i] <= padded[i]));
        // The padding stays zero: nothing leaks outside the image.
        Assert.All(Enumerable.Range(0, 32), i => Assert.Equal((0f, 0f), (thick[i], thick[i * 32])));
    }

    [Theory]
    [InlineData(0, 27, 0, 27)]
    [InlineData(9, 15, 6, 20)] // ink in a box, as a digit's: the points that read none of it are skipped
    [InlineData(27, 27, 0, 0)] // one pixel in a corner
    [InlineData(28, -1, 28, -1)] // no ink at all
    public void Bilinear_sampling_matches_the_formula_in_double_precision_and_is_zero_outside_the_image(int left, int right, int top, int bottom)
    {
        var rng = new Rng(3);
        var image = Enumerable.Range(0, ImageDistorter.Pixels)
            .Select(i => rng.NextFloat() is var v && i % 28 >= left && i % 28 <= right && i / 28 >= top && i / 28 <= bottom ? v : 0f).ToArray();
        var padded = new float[32 * 32];
        for (var y = 0; y < 28; y++)
        {
            image.AsSpan(y * 28, 28).CopyTo(padded.AsSpan((y + 1) * 32 + 1));
        }
        var sx = Enumerable.Range(0, ImageDistorter.Pixels).Select(_ => rng.NextFloat(-4f, 32f)).ToArray();
        var sy = Enumerable.Range(0, ImageDistorter.Pixels).Select(_ => rng.NextFloat(-4f, 32f)).ToArray();
        var output = new float[ImageDistorter.Pixels];

        ImageDistorter.Sample(padded, sx, sy, output);

        double At(int x, int y) => x is >= 0 and < 28 && y is >= 0 and < 28 ? image[y * 28 + x] : 0;
        for (var i = 0; i < output.Length; i++)
        {
            double x = sx[i], y = sy[i];
            int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
            double fx = x - x0, fy = y - y0;
            var expected = (1 - fy) * ((1 - fx) * At(x0, y0) + fx * At(x0 + 1, y0)) + fy * ((1 - fx) * At(x0, y0 + 1) + fx * At(x0 + 1, y0 + 1));
            Assert.True(Math.Abs(expected - output[i]) < 1e-5, $"pixel {i} at ({x}, {y}): {output[i]}, expected {expected}");
        }
    }

    [Fact]
    public void The_smoothing_kernel_is_a_normalised_gaussian_and_smoothing_a_constant_field_keeps_its_interior()
    {
        var kernel = ImageDistorter.GaussianKernel(4);
        Assert.Equal(25, kernel.Length); // radius ⌈3σ⌉
        Assert.Equal(1.0, kernel.Sum(k => (double)k), 5);
        Assert.Equal(kernel, kernel.Reverse());

        var field = Enumerable.Repeat(1f, ImageDistorter.Pixels).ToArray();
        ImageDistorter.Smooth(field, new float[ImageDistorter.Pixels], ImageDistorter.GaussianKernel(1));
        Assert.Equal(1f, field[14 * 28 + 14], 5);
        Assert.True(field[0] < 0.75f, "zero outside the image pulls the corner down");
    }
}
