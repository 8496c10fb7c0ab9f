using MnistService.Core.Network;
using MnistService.Core.Onnx;

namespace MnistService.Core.Tests.Onnx;

public sealed class ArchitectureInfoTests
{
    [Fact]
    public void The_tutorial_model_is_described_as_keras_summarises_it_with_the_onnx_layer_names()
    {
        var summary = ArchitectureInfo.Of(new Mlp(MlpSpec.Tutorial, seed: 42));
        Assert.Equal(784, summary.Inputs);
        Assert.Equal(235_146, summary.Parameters);
        Assert.Equal(
            [("dense_1", "dense", 256, "relu", 200_960), ("dropout_1", "dropout", 256, null, 0),
             ("dense_2", "dense", 128, "relu", 32_896), ("dense_3", "dense", 10, "softmax", 1_290)],
            summary.Layers.Select(l => (l.Name, l.Kind, l.Units, l.Activation, l.Parameters)).ToArray());
        Assert.Equal(0.3, summary.Layers[1].Rate);
    }
}
