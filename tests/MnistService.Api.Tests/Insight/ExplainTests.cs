using System.Net;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using MnistService.Api.Insight;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Insight;

/// <summary>
/// POST /predict?explain=true: what our own network code computes from the model's weights agrees with what
/// ONNX Runtime answered (the probabilities are ONNX Runtime's, the scores before softmax ours).
/// </summary>
public sealed class ExplainTests(InsightFixture fixture) : IClassFixture<InsightFixture>
{
    [Theory]
    [InlineData("mnist-mlp", new[] { 256, 128 })]
    [InlineData("small", new[] { 32 })]
    [InlineData("no-report", new[] { 256, 128 })]
    public async Task The_scores_before_softmax_give_onnx_runtimes_probabilities(string model, int[] hidden)
    {
        foreach (var index in new[] { 0, 1, 247, 9_999 })
        {
            var answer = await Predict(model, index, explain: true);

            var explain = answer.GetProperty("explain");
            Assert.Equal(hidden, explain.GetProperty("activations").EnumerateArray().Select(a => a.GetArrayLength()));
            Assert.All(explain.GetProperty("activations").EnumerateArray().SelectMany(a => a.EnumerateArray()), a => Assert.True(a.GetSingle() >= 0)); // relu
            var logits = explain.GetProperty("logits").EnumerateArray().Select(v => (double)v.GetSingle()).ToArray();
            var probabilities = answer.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var max = logits.Max();
            var sum = logits.Sum(z => Math.Exp(z - max));
            for (var d = 0; d < 10; d++)
            {
                Assert.True(Math.Abs(Math.Exp(logits[d] - max) / sum - probabilities[d]) < 1e-5,
                    $"{model}, test image {index}, digit {d}: softmax(logits) {Math.Exp(logits[d] - max) / sum}, ONNX Runtime {probabilities[d]}");
            }

            Assert.Equal(784, explain.GetProperty("saliency").GetArrayLength());
        }
    }

    [Theory]
    [InlineData("small", 7)]
    [InlineData("mnist-mlp", 247)]
    public void The_saliency_is_the_finite_difference_of_onnx_runtimes_probability(string model, int index)
    {
        var bytes = File.ReadAllBytes(fixture.Models.File($"{model}.onnx"));
        var image = MnistTestSet.PixelsOf(index).Select(p => p / 255f).ToArray();
        var explanation = ModelNetwork.Read(bytes, model).Explain(model, image);
        using var session = new InferenceSession(bytes);
        float Probability(float[] x)
        {
            using var input = OrtValue.CreateTensorValueFromMemory(x, [1, 1, 28, 28]);
            using var outputs = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
            return outputs[0].GetTensorDataAsSpan<float>()[explanation.Digit];
        }

        var scale = explanation.Saliency.Max(MathF.Abs);
        var pixels = Enumerable.Range(0, 784).OrderByDescending(i => MathF.Abs(explanation.Saliency[i])).Take(40)
            .Concat(Enumerable.Range(0, 784).Where(i => i % 37 == 0)).Distinct();
        const float h = 1e-2f;
        foreach (var i in pixels)
        {
            var x = (float[])image.Clone();
            x[i] += h;
            var up = Probability(x);
            x[i] -= 2 * h;
            var down = Probability(x);
            var numeric = (up - down) / (2 * h);
            Assert.True(MathF.Abs(numeric - explanation.Saliency[i]) <= 0.05f * scale,
                $"{model}, test image {index}, pixel {i}: ONNX Runtime's finite difference {numeric}, saliency {explanation.Saliency[i]} (largest {scale})");
        }
    }

    [Fact]
    public async Task Without_explain_the_answer_has_none()
    {
        var answer = await Predict("mnist-mlp", 0, explain: false);
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("explain").ValueKind);
    }

    [Fact]
    public async Task Explaining_a_model_our_network_code_cannot_run_is_422_with_the_reason()
    {
        using var response = await fixture.Client.PostAsync("/predict?model=tiny&explain=true", HttpAssert.JsonBody(InsightEndpointTests.PixelsJson(0)));

        var problem = await HttpAssert.Problem(response, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("at least two dense layers", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_explain_flag_that_is_not_a_boolean_is_400()
    {
        using var response = await fixture.Client.PostAsync("/predict?explain=please", HttpAssert.JsonBody(InsightEndpointTests.PixelsJson(0)));
        await HttpAssert.Problem(response, HttpStatusCode.BadRequest);
    }

    private async Task<JsonElement> Predict(string model, int index, bool explain)
    {
        using var response = await fixture.Client.PostAsync($"/predict?model={model}{(explain ? "&explain=true" : "")}",
            HttpAssert.JsonBody(InsightEndpointTests.PixelsJson(index)));
        return await HttpAssert.Json(response);
    }
}
