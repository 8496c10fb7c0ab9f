using MnistService.Api.Errors;
using MnistService.Core.Imaging;

namespace MnistService.Api.Tests.Errors;

/// <summary>Every reason Core gives for refusing an image has its own 4xx status and the title users have always seen.</summary>
public sealed class ImageRejectionProblemsTests
{
    [Fact]
    public void Every_rejection_reason_is_answered_with_its_4xx_problem()
    {
        var expected = new Dictionary<ImageRejection, (int, string)>
        {
            [ImageRejection.Unreadable] = (400, "Invalid input"),
            [ImageRejection.UnsupportedFormat] = (415, "Unsupported media type"),
            [ImageRejection.TooLarge] = (413, "Payload too large"),
            [ImageRejection.Blank] = (422, "No digit found"),
            [ImageRejection.TooManyDigits] = (422, "Too many digits"),
        };
        Assert.Equal(Enum.GetValues<ImageRejection>().Order(), expected.Keys.Order());
        foreach (var (reason, (status, title)) in expected)
        {
            var problem = ImageRejectionProblems.For(new ImageRejectedException(reason, "what happened"));
            Assert.Equal((status, title, "what happened"), problem);
        }
    }
}
