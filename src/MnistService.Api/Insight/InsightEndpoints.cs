using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using MnistService.Api.ModelStore;

namespace MnistService.Api.Insight;

/// <summary>Looking inside: the MNIST test images the reports refer to, and a model's weights as tiles or numbers.</summary>
public static class InsightEndpoints
{
    /// <summary>The response header carrying a test image's true digit.</summary>
    public const string LabelHeader = "X-Mnist-Label";

    public static IServiceCollection AddInsight(this IServiceCollection services) => services.AddSingleton<MnistTestImages>();

    public static IEndpointRouteBuilder MapInsight(this IEndpointRouteBuilder app)
    {
        app.MapGet("/datasets/mnist/test/{index:int}", TestImage).WithTags("Insight")
            .WithName("GetTestImage")
            .WithSummary("One MNIST test image as a 28x28 PNG (white ink on black); its true digit is in the X-Mnist-Label header.")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "image/png")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        app.MapGet("/models/{name}/weights/{layer}", Weights).WithTags("Insight")
            .WithName("GetLayerWeights")
            .WithSummary("A dense layer's weights: a PNG with one tile per unit (28x28 for the first layer), or the numbers with Accept: application/json.")
            .Produces<WeightsResponse>(StatusCodes.Status200OK, "application/json")
            .WithMetadata(new PngAlternativeMetadata())
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    /// <param name="index">The image's position in the test set, 0 to 9999 (as in a model report's misread list).</param>
    /// <param name="images">The MNIST test set.</param>
    /// <param name="response">For the label header.</param>
    private static FileContentHttpResult TestImage(int index, MnistTestImages images, HttpResponse response)
    {
        var (png, label) = images.Get(index);
        response.Headers[LabelHeader] = label.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "public, max-age=86400"; // the test set never changes
        return TypedResults.File(png, "image/png");
    }

    /// <param name="name">The model's name (GET /models lists them).</param>
    /// <param name="layer">The dense layer's name as in the model's report: dense_1 (reads the pixels), dense_2, ...</param>
    /// <param name="request">Its Accept header chooses JSON or PNG.</param>
    /// <param name="repository">The loaded models.</param>
    private static Results<FileContentHttpResult, Ok<WeightsResponse>> Weights(string name, string layer, HttpRequest request, ModelRepository repository)
    {
        using var lease = repository.Acquire(name);
        var network = lease.Model.Network;
        if (network.Unreadable is { } why)
        {
            throw new ModelNotExplainableException(lease.Model.Name, why);
        }

        var names = network.Layers.Select((_, i) => ModelNetwork.LayerName(i)).ToList();
        var index = names.IndexOf(layer);
        if (index < 0)
        {
            throw new LayerNotFoundException(lease.Model.Name, layer, names);
        }

        var parameters = network.Layers[index];
        if (!WantsJson(request))
        {
            return TypedResults.File(WeightTiles.Png(parameters), "image/png");
        }

        var (tileWidth, tileHeight) = WeightTiles.TileSize(parameters.Inputs);
        var weights = Enumerable.Range(0, parameters.Outputs).Select(u => WeightTiles.UnitWeights(parameters, u)).ToArray();
        return TypedResults.Ok(new WeightsResponse(layer, parameters.Inputs, parameters.Outputs, parameters.Activation,
            tileWidth, tileHeight, weights, parameters.Bias));
    }

    /// <summary>JSON when the client ranks it above PNG (a browser's image request asks for image/*).</summary>
    private static bool WantsJson(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        double Quality(string type) => accept.Where(a => a.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase))
            .Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        return Quality("application/json") > Math.Max(Quality("image/png"), Quality("image/*"));
    }
}
