using Microsoft.OpenApi;
using MnistService.Api.ModelStore;
using MnistService.Core.Imaging;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.Predictions;

/// <summary>
/// What the C# types of the prediction contract cannot say: how many values an array holds and their
/// range, and that a JSON request carries exactly one of its two members (the server refuses others).
/// </summary>
public sealed class PredictionSchemaFilter : ISchemaFilter
{
    private const int Pixels = MnistPreprocessor.Side * MnistPreprocessor.Side;

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema { Properties: { } properties } contract)
        {
            return;
        }
        if (context.Type == typeof(PredictJsonRequest))
        {
            // Each member is left out rather than sent as null; one of the two is sent.
            Numbers(properties["pixels"], Pixels, 0, 255);
            NotNull(properties["image"]).MinLength = 1;
            contract.MinProperties = 1;
            contract.MaxProperties = 1;
            contract.Required = new HashSet<string>();
        }
        else if (context.Type == typeof(PredictionResponse))
        {
            Range(properties["digit"], 0, LoadedModel.Classes - 1);
            Range(properties["confidence"], 0, 1);
            Numbers(properties["probabilities"], LoadedModel.Classes, 0, 1);
            NotNull(properties["modelSha256"]).Pattern = "^[0-9a-f]{64}$";
        }
        else if (context.Type == typeof(SequenceResponse))
        {
            Range(properties["confidence"], 0, 1);
            var digits = NotNull(properties["digits"]);
            digits.MinItems = 1;
            digits.MaxItems = Core.Reading.NumberReader.MaxDigits;
        }
        else if (context.Type == typeof(SequenceDigit))
        {
            Range(properties["digit"], 0, LoadedModel.Classes - 1);
            Range(properties["confidence"], 0, 1);
            Numbers(properties["probabilities"], LoadedModel.Classes, 0, 1);
        }
        else if (context.Type == typeof(NetworkInput))
        {
            Range(properties["width"], MnistPreprocessor.Side, MnistPreprocessor.Side);
            Range(properties["height"], MnistPreprocessor.Side, MnistPreprocessor.Side);
            Numbers(properties["pixels"], Pixels, 0, 1);
        }
    }

    private static OpenApiSchema NotNull(IOpenApiSchema property)
    {
        var schema = (OpenApiSchema)property;
        schema.Type &= ~JsonSchemaType.Null;
        return schema;
    }

    private static void Range(IOpenApiSchema property, int minimum, int maximum)
    {
        var schema = NotNull(property);
        schema.Minimum = minimum.ToString(System.Globalization.CultureInfo.InvariantCulture);
        schema.Maximum = maximum.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>An array of exactly <paramref name="count"/> numbers in [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    private static void Numbers(IOpenApiSchema property, int count, int minimum, int maximum)
    {
        var array = NotNull(property);
        array.MinItems = count;
        array.MaxItems = count;
        var item = new OpenApiSchema { Type = JsonSchemaType.Number, Format = "float" };
        Range(item, minimum, maximum);
        array.Items = item;
    }
}
