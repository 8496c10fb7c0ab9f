using MnistService.Core.Imaging;

namespace MnistService.Core.Tests.Detector;

/// <summary>
/// One rule for "there is nothing here": a flat image, or a few stray specks, whatever the size and the path (an image,
/// or 784 values), with one message; and an MNIST digit sent as values goes through the preprocessing unchanged.
/// </summary>
public sealed class BlankRuleTests
{
    private static GrayImage Gray(byte[] values, int width, int height)
    {
        var image = GrayImage.Rent(width, height, withAlpha: false);
        values.CopyTo(image.Gray);
        return image;
    }

    private static string BlankMessage(Action action) =>
        Assert.Throws<ImageRejectedException>(action) is { Reason: ImageRejection.Blank } e ? e.Message : "not blank";

    [Theory]
    [InlineData(28, 28, 2)]
    [InlineData(280, 280, 5)]
    [InlineData(1200, 900, 5)]
    public void A_few_specks_of_dust_are_blank_like_a_flat_image(int width, int height, int specks)
    {
        var values = Enumerable.Repeat((byte)240, width * height).ToArray();
        var expected = MnistPreprocessor.Blank().Message;
        using (var flat = Gray(values, width, height))
        {
            Assert.Equal(expected, BlankMessage(() => MnistPreprocessor.Process(flat, new float[784])));
        }
        var random = new Random(width);
        for (var s = 0; s < specks; s++)
        {
            int x = random.Next(width - 2), y = random.Next(height - 2);
            values[y * width + x] = values[y * width + x + 1] = values[(y + 1) * width + x] = values[(y + 1) * width + x + 1] = 20;
        }
        using var dusty = Gray(values, width, height);
        Assert.Equal(expected, BlankMessage(() => MnistPreprocessor.Process(dusty, new float[784])));
    }

    [Fact]
    public void Values_sent_untouched_meet_the_same_rule()
    {
        var expected = MnistPreprocessor.Blank().Message;
        Assert.Equal(expected, BlankMessage(() => MnistPreprocessor.EnsureNotBlank(new float[784])));
        var speck = new float[784];
        speck[300] = speck[301] = 1;
        Assert.Equal(expected, BlankMessage(() => MnistPreprocessor.EnsureNotBlank(speck)));
        MnistPreprocessor.EnsureNotBlank(MnistTestSet.Images[0].Select(v => v / 255f).ToArray());
    }

    [Fact]
    public void Every_MNIST_test_digit_sent_as_values_reaches_the_network_as_it_is()
    {
        var output = new float[784];
        var changed = 0;
        foreach (var digit in MnistTestSet.Images)
        {
            var values = digit.Select(v => v / 255f).ToArray();
            MnistPreprocessor.ProcessPixels(values, output);
            if (!values.AsSpan().SequenceEqual(output))
            {
                changed++;
            }
        }
        // The preprocessing leaves an MNIST digit alone when it is already centred in its 20x20 box; the few it
        // moves are measured through the service (docs/not-a-digit.md: the test accuracy stays the model's).
        Assert.True(changed < MnistTestSet.Images.Length / 10, $"{changed} of {MnistTestSet.Images.Length} test digits changed");
    }
}
