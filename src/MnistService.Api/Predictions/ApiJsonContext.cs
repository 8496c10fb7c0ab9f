using System.Text.Json;
using System.Text.Json.Serialization;

namespace MnistService.Api.Predictions;

/// <summary>Source-generated JSON for the hot path (the prediction request and answer).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PredictJsonRequest))]
[JsonSerializable(typeof(PredictionResponse))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
