using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Predictions;

/// <summary>
/// The JSON form of <c>POST /predict</c> as a client sees it: every way of writing 784 numbers that JSON
/// allows is read as written, and every body that is wrong gets a 400 that says what is wrong in the API's
/// terms (field, kind of value, position), never in .NET's.
/// </summary>
[Collection(CommittedModelCollection.Name)]
public sealed class PredictJsonTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    // A real 7 (the first MNIST test image), as 0-255 integers.
    private static readonly int[] Seven = MnistTestSet.Images[0].Select(b => (int)b).ToArray();

    private static string Join<T>(IEnumerable<T> values, string separator = ",") => string.Join(separator, values);

    private static string Pixels(string values) => $$"""{"pixels":[{{values}}]}""";

    private static string Many(string value, int count = 784) => Join(Enumerable.Repeat(value, count));

    private async Task<float[]> NetworkInput(string json)
    {
        var answer = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.JsonBody(json)));
        return answer.GetProperty("input").GetProperty("pixels").EnumerateArray().Select(e => e.GetSingle()).ToArray();
    }

    public static TheoryData<string> Layouts => new()
    {
        Pixels(Join(Seven)),
        $$"""  { "pixels" : [ {{Join(Seven, " ,\n ")}} ] }  """,
        "{\r\n\t\"pixels\":\r\n[" + Join(Seven, ",\r\n") + "]\r\n}\n",
        $$"""{"Pixels":[{{Join(Seven)}}]}""",                                 // member names ignore case
        Pixels(Join(Seven.Select(v => v + ".0"))),                            // decimals
        Pixels(Join(Seven.Select(v => v == 0 ? "0e5" : $"{v * 10}E-1"))),   // exponents
        $$"""{"pixels":[{{Join(Seven)}}],"image":null}""",                    // the other form left null
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Every_JSON_spelling_of_784_numbers_is_read_as_written(string json)
    {
        var input = await NetworkInput(json);
        Assert.Equal(784, input.Length);
        Assert.All(Seven.Zip(input), pair => Assert.Equal(pair.First / 255f, pair.Second, 0.00005f));
    }

    [Fact]
    public async Task Values_in_0_to_1_and_the_extremes_are_taken()
    {
        // Half the image 0, half at the top of the range: 255 in the 0-255 form, 1 in the [0,1] form (all <= 1).
        var halves = Join(Enumerable.Range(0, 784).Select(i => i % 28 < 14 ? "0" : "255"));
        Assert.Equal(Enumerable.Range(0, 784).Select(i => i % 28 < 14 ? 0f : 1f), await NetworkInput($$"""{"pixels":[{{halves}}],"preprocess":false}"""));
        Assert.Equal(Enumerable.Range(0, 784).Select(i => i % 28 < 14 ? 0f : 1f),
            await NetworkInput($$"""{"pixels":[{{halves.Replace("255", "1")}}],"preprocess":false}"""));
        var unit = await NetworkInput(Pixels(Join(Seven.Select(v => (v / 255f).ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
        Assert.All(Seven.Zip(unit), pair => Assert.Equal(pair.First / 255f, pair.Second, 0.00005f));
    }

    public static TheoryData<string, string[]> Malformed => new()
    {
        { "", ["empty"] },
        { "{", ["not valid JSON", "line 1, column 2"] },
        { "not json", ["not valid JSON", "line 1"] },
        { "\uFEFF" + Pixels(Join(Seven)), ["not valid JSON", "line 1, column 1"] },
        { "[]", ["a JSON object", "pixels", "image"] },
        { "5", ["a JSON object"] },
        { "null", ["null", "pixels", "image"] },
        { "{}", ["'pixels'", "'image'"] },
        { """{"pixels":null}""", ["'pixels'", "'image'"] },
        { """{"pixels":"x"}""", ["'pixels' must be an array of 784 numbers"] },
        { """{"pixels":{}}""", ["'pixels' must be an array of 784 numbers"] },
        { Pixels("1,\"5\"," + Many("1", 782)), ["'pixels[1]' must be a number"] },
        { Pixels("[1]," + Many("1", 783)), ["'pixels[0]' must be a number"] },
        { Pixels(Many("1", 783) + ",true"), ["'pixels[783]' must be a number"] },
        { Pixels(""), ["784", "holds 0"] },
        { Pixels(Join(Seven.Take(10))), ["784", "holds 10"] },
        { Pixels(Many("1", 785)), ["784", "holds 785"] },
        { Pixels("0,-1," + Many("0", 782)), ["'pixels[1]' is -1", "[0,255]"] },
        { Pixels("1000," + Many("0", 783)), ["'pixels[0]' is 1000"] },
        { Pixels("1e39," + Many("0", 783)), ["'pixels[0]' is out of range"] },
        { Pixels("NaN," + Many("0", 783)), ["not valid JSON", "line 1, column 12"] },
        { Pixels("01," + Many("0", 783)), ["not valid JSON", "leading zero"] },
        { Pixels(Many("0") + ","), ["not valid JSON", "trailing comma"] },
        { Pixels("1 2"), ["not valid JSON"] },
        { """{"pixels":[1]""", ["not valid JSON"] },
        { Pixels(Join(Seven)) + " x", ["not valid JSON", "'x'"] },
        { "{/*c*/" + Pixels(Join(Seven))[1..], ["not valid JSON"] },
        { "{\n  \"pixels\": [\n" + Many("0", 700) + ",\n  x]\n}", ["not valid JSON", "line 4"] },
        { """{"image":5}""", ["'image' must be a string", "data:image/png;base64"] },
        { """{"image":["data:image/png;base64,AAAA"]}""", ["'image' must be a string"] },
        { """{"image":"data:image/png;base64,AAAA","pixels":[]}""", ["either 'pixels' or 'image', not both"] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_bodies_are_400_saying_what_is_wrong_in_the_APIs_terms(string json, string[] expected)
    {
        var problem = await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.JsonBody(json)), HttpStatusCode.BadRequest);
        var detail = problem.GetProperty("detail").GetString()!;
        foreach (var fragment in expected)
        {
            Assert.Contains(fragment, detail, StringComparison.OrdinalIgnoreCase);
        }
        AssertNoDotNetTerms(detail);
    }

    [Theory]
    [InlineData("colour", "1")]
    [InlineData("model", "\"mnist-mlp\"")]
    [InlineData("pixel", "[1,2,3]")]
    [InlineData("extra", """{"nested":{"deeper":[1,2]}}""")]
    [InlineData("a b", "null")]
    public async Task Unknown_fields_are_refused_by_name(string field, string value)
    {
        var withPixels = $$"""{"pixels":[{{Join(Seven)}}],{{JsonSerializer.Serialize(field)}}:{{value}}}""";
        var before = $$"""{{{JsonSerializer.Serialize(field)}}:{{value}},"pixels":[{{Join(Seven)}}]}""";
        foreach (var json in new[] { withPixels, before })
        {
            var problem = await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.JsonBody(json)), HttpStatusCode.BadRequest);
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains($"Unknown field '{field}'", detail);
            AssertNoDotNetTerms(detail);
        }
    }

    [Fact]
    public async Task A_long_unknown_field_name_is_quoted_shortened()
    {
        var name = new string('x', 100_000);
        var json = $$"""{"{{name}}":1,"pixels":[{{Join(Seven)}}]}""";
        var problem = await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.JsonBody(json)), HttpStatusCode.BadRequest);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("Unknown field 'xxxx", detail);
        Assert.True(detail.Length < 300, detail);
    }

    internal static void AssertNoDotNetTerms(string detail)
    {
        foreach (var term in new[] { "MnistService.", "System.", "Single", "PredictJsonRequest", ".NET", "LineNumber", "BytePositionInLine", "isFinalBlock", "reader options" })
        {
            Assert.DoesNotContain(term, detail, StringComparison.Ordinal);
        }
    }
}
