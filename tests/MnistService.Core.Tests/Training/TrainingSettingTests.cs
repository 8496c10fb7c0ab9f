using System.Text.Json;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Training;

/// <summary>A setting's JSON kind, checked before its range: what a job file or a request body gets wrong first.</summary>
public sealed class TrainingSettingTests
{
    [Theory]
    [InlineData("epochs", "3", null)]
    [InlineData("epochs", "\"ten\"", "must be a whole number, got \"ten\".")]
    [InlineData("epochs", "2.5", "must be a whole number, got 2.5.")]
    [InlineData("epochs", "1e12", "must be a whole number, got 1e12.")]
    [InlineData("dropout", "0.5", null)]
    [InlineData("dropout", "true", "must be a number, got true.")]
    [InlineData("hidden", "[64, 32]", null)]
    [InlineData("hidden", "\"256,128\"", "must be a list of whole numbers, e.g. [256, 128], got \"256,128\".")]
    [InlineData("activation", "\"tanh\"", null)]
    [InlineData("activation", "\"Tanh\"", "must be one of relu, sigmoid, tanh, got \"Tanh\".")]
    [InlineData("activation", "1", "must be one of relu, sigmoid, tanh, got 1.")]
    [InlineData("optimizer", "{\"name\": \"adam\"}", "must be one of adam, sgd, rmsprop, got an object.")]
    public void A_value_of_the_wrong_kind_is_named_in_json_terms(string key, string json, string? message)
    {
        var setting = TrainingSetting.All.Single(s => s.JobKey == key);
        using var value = JsonDocument.Parse(json);

        var error = setting.CheckJsonKind(value.RootElement);

        Assert.Equal(message, error?.Message);
        if (error is not null)
        {
            Assert.Equal(setting, error.Setting);
        }
    }
}
