using MnistService.Api.Errors;
using MnistService.Core.Data;

namespace MnistService.Api.Insight;

/// <summary>404: no test image has that index.</summary>
public sealed class TestImageNotFoundException(int index, int count)
    : ApiException(StatusCodes.Status404NotFound, "Test image not found",
        $"There is no MNIST test image {index}: the test set has {count:N0} images, numbered 0 to {count - 1}.");

/// <summary>503: the MNIST test set is not on this machine (the service does not download it).</summary>
public sealed class MnistUnavailableException(string directory, string why)
    : ApiException(StatusCodes.Status503ServiceUnavailable, "MNIST not available",
        $"The MNIST test set is not available to the service ({why.TrimEnd('.')}). Put {MnistFiles.TestImages} and {MnistFiles.TestLabels} (raw or .gz) in {directory}, " +
        $"or point {MnistLocator.EnvironmentVariable} to a folder holding them.");

/// <summary>404: the model has no dense layer of that name.</summary>
public sealed class LayerNotFoundException(string model, string layer, IEnumerable<string> layers)
    : ApiException(StatusCodes.Status404NotFound, "Layer not found",
        $"The model '{model}' has no layer '{layer}'; its dense layers are {string.Join(", ", layers)}.");

/// <summary>422: the model serves predictions, but its graph is not a dense network our code can look inside.</summary>
public sealed class ModelNotExplainableException(string model, string why)
    : ApiException(StatusCodes.Status422UnprocessableEntity, "Model cannot be looked inside",
        $"The model '{model}' answers predictions, but its weights cannot be read as dense layers: {why}");
