using System.Text;
using System.Text.Json;
using MnistService.Api.Predictions;

namespace MnistService.Api.Tests.Predictions;

/// <summary>
/// The one-pass reader of <c>{"pixels": [...]}</c> must agree with the general JSON reader on everything it
/// takes, and leave everything else to it (so that odd but valid bodies still work and broken ones get the
/// general reader's error).
/// </summary>
public sealed class PixelsJsonFastPathTests
{
    private static string Ints(IEnumerable<int> values, string separator = ",") => string.Join(separator, values);

    private static readonly int[] Digit = Enumerable.Range(0, 784).Select(i => i * 37 % 256).ToArray();

    public static TheoryData<string> Taken => new()
    {
        $$"""{"pixels":[{{Ints(Digit)}}]}""",
        $$"""  { "pixels" : [ {{Ints(Digit, " ,\n ")}} ] }  """,
        "{\r\n\t\"pixels\":\r\n[" + Ints(Digit, ",\r\n") + "]\r\n}\n",
        $$"""{"pixels":[{{Ints(Enumerable.Repeat(0, 784))}}]}""",
        $$"""{"pixels":[{{Ints(Enumerable.Repeat(255, 784))}}]}""",
        $$"""{"pixels":[{{Ints(Digit.Take(10))}}]}""", // too few: NormalizePixels words that error for both paths
        $$"""{"pixels":[0,1,999]}""",
    };

    [Theory]
    [MemberData(nameof(Taken))]
    public void Takes_plain_integer_arrays_and_reads_them_as_the_general_reader_does(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.True(PixelsJsonFastPath.TryRead(bytes, out var fast));
        var general = JsonSerializer.Deserialize(bytes, ApiJsonContext.Default.PredictJsonRequest)!;
        Assert.Null(general.Image);
        Assert.Equal(general.Pixels, fast);
    }

    public static TheoryData<string> Left => new()
    {
        """{"pixels":[0.5,1]}""",                 // decimals
        """{"pixels":[1e2]}""",                   // exponent
        """{"pixels":[1E2]}""",
        """{"pixels":[-1]}""",                    // sign
        """{"pixels":[01]}""",                    // leading zero: not JSON
        """{"pixels":[1000]}""",                  // beyond 0-999
        """{"pixels":["5"]}""",                   // a string
        """{"pixels":[]}""",                      // empty
        """{"pixels":[1,]}""",                    // trailing comma
        """{"pixels":[1 2]}""",                   // missing comma
        """{"pixels":[[1]]}""",                   // nested
        """{"pixels":[1]""",                      // unfinished
        """{"pixels":[1]} x""",                   // trailing text
        """{"pixels":[1],"image":"data:,"}""",    // a second member
        """{"image":"data:image/png;base64,AA=="}""",
        """{"Pixels":[1]}""",                     // another spelling (the general reader ignores case)
        """{/*c*/"pixels":[1]}""",                // a comment
        """{"pixels":null}""",
        "\uFEFF{\"pixels\":[1]}",                 // a byte order mark
        "",
        "{",
        $$"""{"pixels":[{{Ints(Enumerable.Repeat(1, 785))}}]}""", // more values than an image has
    };

    [Theory]
    [MemberData(nameof(Left))]
    public void Leaves_everything_else_to_the_general_reader(string json)
    {
        Assert.False(PixelsJsonFastPath.TryRead(Encoding.UTF8.GetBytes(json), out var pixels));
        Assert.Null(pixels);
    }
}
