using System.Text.Json;
using System.Text.Json.Serialization;
using MnistService.Api.Predictions;

namespace MnistService.Api.Hosting;

/// <summary>Source-generated JSON for the hot path (the prediction request and answer).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PredictJsonRequest))]
[JsonSerializable(typeof(PredictionResponse))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
