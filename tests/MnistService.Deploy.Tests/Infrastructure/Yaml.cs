using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>YAML documents read with YamlDotNet and handed over as JSON nodes (scalars as strings), for easy navigation.</summary>
public static class Yaml
{
    public static IReadOnlyList<JsonObject> LoadDocuments(string path)
    {
        var deserializer = new DeserializerBuilder().Build();
        using var reader = new StreamReader(path);
        var parser = new Parser(reader);
        parser.Consume<StreamStart>();
        var documents = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
        {
            var document = deserializer.Deserialize<object?>(parser);
            if (document is not null)
            {
                documents.Add(ToJson(document) as JsonObject
                    ?? throw new FormatException($"{path}: a document is not a mapping."));
            }
        }
        return documents;
    }

    public static JsonObject Load(string path) => LoadDocuments(path).Single();

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(p =>
            KeyValuePair.Create(Convert.ToString(p.Key, System.Globalization.CultureInfo.InvariantCulture)!, ToJson(p.Value)))),
        IList<object?> list => new JsonArray(list.Select(ToJson).ToArray()),
        _ => JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
    };

    public static string Str(this JsonNode? node) => node?.GetValue<string>()
        ?? throw new KeyNotFoundException("Expected a value, found nothing.");

    public static JsonObject Obj(this JsonNode? node, string key) =>
        node?[key] as JsonObject ?? throw new KeyNotFoundException($"Expected a mapping '{key}' in {node?.GetPath()}.");

    public static JsonArray Arr(this JsonNode? node, string key) =>
        node?[key] as JsonArray ?? throw new KeyNotFoundException($"Expected a list '{key}' in {node?.GetPath()}.");

    public static IEnumerable<JsonObject> Objects(this JsonArray array) => array.Select(n => (JsonObject)n!);
}
