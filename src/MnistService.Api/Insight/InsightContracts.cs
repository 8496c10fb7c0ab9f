using MnistService.Core.Network;

namespace MnistService.Api.Insight;

/// <summary>What the network computed for the image of a <c>POST /predict?explain=true</c>, from the model's weights.</summary>
/// <param name="Activations">Each hidden layer's outputs after its activation, first layer first (which units fire).</param>
/// <param name="Logits">The ten output scores before softmax.</param>
/// <param name="Saliency">For each of the 784 input pixels (row-major 28x28), the gradient of the answered digit's probability with respect to it.</param>
public sealed record ExplainResponse(float[][] Activations, float[] Logits, float[] Saliency)
{
    public static ExplainResponse Of(Explanation explanation) => new(explanation.Activations, explanation.Logits, explanation.Saliency);
}

/// <summary>The answer of <c>GET /models/{name}/weights/{layer}</c> with <c>Accept: application/json</c>.</summary>
/// <param name="Layer">The layer's name, as in the model's report (dense_1 ...).</param>
/// <param name="Inputs">Inputs of the layer (784 for the first: the pixels).</param>
/// <param name="Units">Units of the layer, one tile each.</param>
/// <param name="Activation">relu, sigmoid, tanh, or softmax for the output layer.</param>
/// <param name="TileWidth">Width of one unit's tile in the PNG (28 for the first layer).</param>
/// <param name="TileHeight">Height of one unit's tile in the PNG (28 for the first layer).</param>
/// <param name="Weights">One row per unit: its weight from each input (W's column; row-major 28x28 pixels for the first layer).</param>
/// <param name="Bias">One bias per unit.</param>
public sealed record WeightsResponse(string Layer, int Inputs, int Units, string Activation, int TileWidth, int TileHeight, float[][] Weights, float[] Bias);
