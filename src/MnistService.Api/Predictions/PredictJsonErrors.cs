using System.Text.Json;

namespace MnistService.Api.Predictions;

/// <summary>
/// Words what System.Text.Json found wrong with a <c>POST /predict</c> JSON body in the API's terms: the
/// field, the kind of value it takes and, for broken JSON, the line and column. The serializer's own
/// messages name .NET types ("could not be converted to System.Single[]"), which mean nothing to a client;
/// only its <see cref="JsonException.Path"/> and position are used here.
/// </summary>
public static class PredictJsonErrors
{
    public const string Forms = """{"pixels": [784 numbers]} or {"image": "data:image/png;base64,..."}""";

    public static string Describe(JsonException error)
    {
        // Broken JSON: the reader's exception (a JsonException itself) comes wrapped with the path.
        if (error.InnerException is JsonException syntax)
        {
            return $"The body is not valid JSON{At(syntax)}: {ReaderComplaint(syntax.Message)}";
        }
        var (field, index) = Member(error.Path);
        if (field is null)
        {
            return $"The body must be a JSON object: {Forms}.";
        }
        if (field.Equals("pixels", StringComparison.OrdinalIgnoreCase))
        {
            return index is null
                ? "'pixels' must be an array of 784 numbers, each in [0,1] or in [0,255]."
                : $"'pixels[{index}]' must be a number, in [0,1] or in [0,255].";
        }
        if (field.Equals("image", StringComparison.OrdinalIgnoreCase))
        {
            return "'image' must be a string: a data URL such as data:image/png;base64,...";
        }
        // The only other failure the contract has: a member it does not define (PredictJsonRequest
        // disallows unmapped members).
        return $"Unknown field '{Shown(field)}'; the body takes exactly one of 'pixels' and 'image': {Forms}.";
    }

    /// <summary>A client's member name as quoted back: at most 64 characters of it.</summary>
    private static string Shown(string field) => field.Length <= 64 ? field : field[..64] + "...";

    private static string At(JsonException error) =>
        error.LineNumber is { } line && error.BytePositionInLine is { } column ? $" at line {line + 1}, column {column + 1}" : "";

    /// <summary>The reader's sentence without its position suffix and its advice to .NET callers.</summary>
    private static string ReaderComplaint(string message)
    {
        var end = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = end >= 0 ? message[..end] : message;
        return text.Replace(" Change the reader options.", "", StringComparison.Ordinal)
            .Replace(", when isFinalBlock is true.", ".", StringComparison.Ordinal)
            .Replace(" which is not supported in this mode", "", StringComparison.Ordinal).Trim();
    }

    /// <summary>The top-level member and, under it, the array index of a path like <c>$.pixels[3]</c> or <c>$['a b']</c>.</summary>
    private static (string? Field, int? Index) Member(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return (null, null);
        }
        var rest = path.AsSpan(1);
        string field;
        if (rest.StartsWith("['"))
        {
            var close = rest.IndexOf("']");
            field = (close >= 2 ? rest[2..close] : rest[2..]).ToString();
            rest = close >= 2 ? rest[(close + 2)..] : [];
        }
        else if (rest.StartsWith("."))
        {
            var stop = rest[1..].IndexOfAny('.', '[');
            field = (stop < 0 ? rest[1..] : rest[1..(stop + 1)]).ToString();
            rest = stop < 0 ? [] : rest[(stop + 1)..];
        }
        else
        {
            return (null, null);
        }
        int? index = null;
        if (rest.StartsWith("[") && rest.IndexOf(']') is var bracket and > 1 && int.TryParse(rest[1..bracket], out var i))
        {
            index = i;
        }
        return (field, index);
    }
}
