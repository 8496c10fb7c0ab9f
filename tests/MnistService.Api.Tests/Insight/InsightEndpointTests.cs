using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MnistService.Api.Insight;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Core.Data;
using MnistService.Core.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Tests.Insight;

/// <summary>The test images behind a report's misread list, and a model's weights as tiles and numbers.</summary>
public sealed class InsightEndpointTests(InsightFixture fixture) : IClassFixture<InsightFixture>
{
    private HttpClient Client => fixture.Client;

    [Theory]
    [InlineData(0)]
    [InlineData(4_242)]
    [InlineData(9_999)]
    public async Task A_test_image_is_the_datasets_pixels_as_png_with_its_label_in_a_header(int index)
    {
        using var response = await Client.GetAsync($"/datasets/mnist/test/{index}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(MnistTestSet.Labels[index].ToString(), Assert.Single(response.Headers.GetValues(InsightEndpoints.LabelHeader)));
        using var image = Image.Load<L8>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((28, 28), (image.Width, image.Height));
        var pixels = new byte[784];
        image.CopyPixelDataTo(pixels);
        Assert.Equal(MnistTestSet.PixelsOf(index), pixels);
    }

    [Theory]
    [InlineData("10000")]
    [InlineData("-1")]
    public async Task An_index_outside_the_test_set_is_404_naming_the_range(string index)
    {
        using var response = await Client.GetAsync($"/datasets/mnist/test/{index}");

        var problem = await HttpAssert.Problem(response, HttpStatusCode.NotFound);
        Assert.Contains("numbered 0 to 9999", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_index_that_is_not_a_number_is_404()
    {
        using var response = await Client.GetAsync("/datasets/mnist/test/four");
        await HttpAssert.Problem(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Without_mnist_the_test_images_are_503_saying_where_to_put_them_and_the_report_still_serves()
    {
        using var empty = new TempDirectory("no-mnist");
        using var factory = fixture.Factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton(new MnistTestImages(() => new MnistLocation(empty.Path, MnistSource.EnvironmentVariable)))));
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/datasets/mnist/test/3");

        var detail = (await HttpAssert.Problem(response, HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString()!;
        Assert.Contains(empty.Path, detail);
        Assert.Contains(MnistLocator.EnvironmentVariable, detail);
        Assert.Contains(MnistFiles.TestImages, detail);
        var model = await HttpAssert.Json(await client.GetAsync("/models/mnist-mlp"));
        Assert.Equal(JsonValueKind.Array, model.GetProperty("report").GetProperty("misread").ValueKind);
    }

    [Fact]
    public async Task A_models_misread_list_names_each_wrong_test_image_with_its_true_digit()
    {
        var report = (await HttpAssert.Json(await Client.GetAsync("/models/mnist-mlp"))).GetProperty("report");

        var confusion = report.GetProperty("test").GetProperty("confusion").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();
        var misread = report.GetProperty("misread").EnumerateArray().ToList();
        Assert.Equal(confusion.Select((row, t) => row.Sum() - row[t]).Sum(), misread.Count);
        foreach (var entry in misread)
        {
            var index = entry.GetProperty("index").GetInt32();
            var label = entry.GetProperty("label").GetInt32();
            Assert.Equal(MnistTestSet.Labels[index], label);
            Assert.NotEqual(label, entry.GetProperty("digit").GetInt32());
            Assert.Equal(10, entry.GetProperty("probabilities").GetArrayLength());
        }
    }

    [Theory]
    [InlineData("old-report")]
    [InlineData("no-report")]
    public async Task A_model_without_a_misread_list_answers_null_for_it(string name)
    {
        var model = await HttpAssert.Json(await Client.GetAsync($"/models/{name}"));

        var report = model.GetProperty("report");
        if (name == "no-report")
        {
            Assert.Equal(JsonValueKind.Null, report.ValueKind);
            return;
        }

        Assert.Equal(JsonValueKind.Null, report.GetProperty("misread").ValueKind);
        Assert.Equal(10, report.GetProperty("test").GetProperty("confusion").GetArrayLength());
    }

    [Fact]
    public async Task The_first_layers_weights_are_one_28x28_tile_per_unit()
    {
        using var response = await Client.GetAsync("/models/mnist-mlp/weights/dense_1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        using var image = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());
        var units = OnnxModelReader.Read(Repo.MlpModel).Layers[0].Outputs;
        var columns = (int)Math.Ceiling(Math.Sqrt(units));
        Assert.Equal(1 + columns * 29, image.Width);
        Assert.Equal(1 + (units + columns - 1) / columns * 29, image.Height);
    }

    [Theory]
    [InlineData("mnist-mlp", "dense_1")]
    [InlineData("small", "dense_2")]
    [InlineData("no-report", "dense_1")]
    public async Task With_accept_json_the_weights_are_the_files_numbers_one_row_per_unit(string model, string layer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/models/{model}/weights/{layer}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var json = await HttpAssert.Json(await Client.SendAsync(request));

        var bytes = File.ReadAllBytes(fixture.Models.File($"{model}.onnx"));
        var expected = OnnxClassifierReader.Read(bytes).Layers[int.Parse(layer["dense_".Length..]) - 1];
        Assert.Equal((layer, expected.Inputs, expected.Outputs, expected.Activation),
            (json.GetProperty("layer").GetString(), json.GetProperty("inputs").GetInt32(), json.GetProperty("units").GetInt32(), json.GetProperty("activation").GetString()));
        var weights = json.GetProperty("weights").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        Assert.Equal(expected.Outputs, weights.Length);
        for (var u = 0; u < expected.Outputs; u += 7)
        {
            Assert.Equal(Enumerable.Range(0, expected.Inputs).Select(i => expected.Weights[i * expected.Outputs + u]), weights[u]);
        }

        Assert.Equal(expected.Bias, json.GetProperty("bias").EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(expected.Inputs == 784 ? 28 : (int)Math.Ceiling(Math.Sqrt(expected.Inputs)), json.GetProperty("tileWidth").GetInt32());
    }

    [Fact]
    public async Task An_unknown_layer_is_404_listing_the_layers()
    {
        using var response = await Client.GetAsync("/models/small/weights/dense_3");

        var problem = await HttpAssert.Problem(response, HttpStatusCode.NotFound);
        Assert.Contains("dense_1, dense_2", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_weights_of_an_unknown_model_are_404()
    {
        using var response = await Client.GetAsync("/models/nonexistent/weights/dense_1");
        await HttpAssert.Problem(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_graph_our_network_code_cannot_run_is_422_for_its_weights_but_still_predicts()
    {
        using var weights = await Client.GetAsync("/models/tiny/weights/dense_1");
        var problem = await HttpAssert.Problem(weights, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("'tiny' answers predictions", problem.GetProperty("detail").GetString());

        using var prediction = await Client.PostAsync("/predict?model=tiny", HttpAssert.JsonBody(PixelsJson(0)));
        Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
    }

    internal static string PixelsJson(int testIndex) =>
        JsonSerializer.Serialize(new { pixels = MnistTestSet.PixelsOf(testIndex).Select(p => (int)p) });
}
