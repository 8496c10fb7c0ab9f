using System.Text.Json;
using Google.Protobuf.Reflection;
using MnistService.Core.Onnx;
using Xunit.Abstractions;

namespace MnistService.Core.Tests.Onnx;

/// <summary>The onnx package's own checker and schema judge our files and our .proto.</summary>
public sealed class OnnxCheckerTests(ITestOutputHelper output)
{
    private const string CheckScript = """
        import sys, onnx
        model = onnx.load(sys.argv[1])
        onnx.checker.check_model(model, full_check=True)
        print("ir", model.ir_version, "opset", [(o.domain, o.version) for o in model.opset_import])
        print("initializers", [t.name for t in model.graph.initializer])
        print("metadata", [p.key for p in model.metadata_props])
        print("OK")
        """;

    [Theory]
    [InlineData("tutorial")]
    [InlineData("small-odd")]
    public void Exported_model_passes_onnx_checker_with_full_check(string network)
    {
        DebianOnnx.Require();
        var layers = network == "tutorial" ? TestModels.Tutorial() : TestModels.SmallOdd();
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        OnnxExporter.Write(path, layers, TestModels.Report(layers));

        var (exitCode, text) = DebianOnnx.Run(CheckScript, path);

        output.WriteLine(text);
        Assert.True(exitCode == 0 && text.Contains("OK"), $"onnx.checker.check_model failed:\n{text}");
        Assert.Contains("ir 8 opset [('', 13)]", text);
        Assert.Contains("'dense_1.weight', 'dense_1.bias'", text);
        Assert.Contains("metadata ['mnist.report']", text);
    }

    [Fact]
    public void Committed_default_model_passes_onnx_checker_with_full_check()
    {
        DebianOnnx.Require();

        var (exitCode, text) = DebianOnnx.Run(CheckScript, Repo.DefaultModel);

        output.WriteLine(text);
        Assert.True(exitCode == 0 && text.Contains("OK"), $"onnx.checker.check_model failed:\n{text}");
        Assert.Contains("metadata ['mnist.report']", text);
    }

    /// <summary>Every message, field number, field type and enum value of our onnx.proto is the specification's.</summary>
    [Fact]
    public void Our_proto_agrees_with_the_onnx_package_on_every_number()
    {
        DebianOnnx.Require();
        const string dump = """
            import json
            from onnx import onnx_ml_pb2 as pb
            from google.protobuf.descriptor import FieldDescriptor as F
            types = {v: k[len("TYPE_"):].lower() for k, v in vars(F).items() if k.startswith("TYPE_")}
            messages, enums = {}, {}
            def walk(m):
                messages[m.full_name] = {f.name: [f.number, types[f.type], f.label == F.LABEL_REPEATED,
                    (f.message_type or f.enum_type).full_name if (f.message_type or f.enum_type) else ""] for f in m.fields}
                for e in m.enum_types: enums[e.full_name] = {v.name: v.number for v in e.values}
                for n in m.nested_types: walk(n)
            for m in pb.DESCRIPTOR.message_types_by_name.values(): walk(m)
            print(json.dumps({"messages": messages, "enums": enums}))
            """;
        var (exitCode, text) = DebianOnnx.Run(dump);
        Assert.True(exitCode == 0, text);
        using var spec = JsonDocument.Parse(text);
        var specMessages = spec.RootElement.GetProperty("messages");
        var specEnums = spec.RootElement.GetProperty("enums");

        var ours = AllMessages(OnnxReflection.Descriptor.MessageTypes).ToList();
        Assert.Equal(12, ours.Count); // the ten messages we use plus the nested Dimension and Tensor
        var fields = 0;
        foreach (var message in ours)
        {
            Assert.True(specMessages.TryGetProperty(message.FullName, out var specFields), $"{message.FullName} is not an ONNX message");
            foreach (var field in message.Fields.InFieldNumberOrder())
            {
                var where = $"{message.FullName}.{field.Name}";
                Assert.True(specFields.TryGetProperty(field.Name, out var spec2), $"{where} is not in ONNX");
                Assert.True(spec2[0].GetInt32() == field.FieldNumber, $"{where}: ONNX number {spec2[0]}, ours {field.FieldNumber}");
                Assert.True(spec2[1].GetString() == field.FieldType.ToString().ToLowerInvariant(),
                    $"{where}: ONNX type {spec2[1]}, ours {field.FieldType}");
                Assert.True(spec2[2].GetBoolean() == field.IsRepeated, $"{where}: repeated differs");
                var typeName = field.FieldType switch
                {
                    FieldType.Message => field.MessageType.FullName,
                    FieldType.Enum => field.EnumType.FullName,
                    _ => "",
                };
                Assert.True(spec2[3].GetString() == typeName, $"{where}: ONNX type {spec2[3]}, ours {typeName}");
                fields++;
            }
            foreach (var e in message.EnumTypes)
            {
                Assert.True(specEnums.TryGetProperty(e.FullName, out var specValues), $"{e.FullName} is not an ONNX enum");
                foreach (var value in e.Values)
                {
                    Assert.True(specValues.TryGetProperty(value.Name, out var number) && number.GetInt32() == value.Number,
                        $"{e.FullName}.{value.Name} = {value.Number} differs from ONNX");
                }
            }
        }
        output.WriteLine($"{ours.Count} messages, {fields} fields checked against onnx {text.Length} bytes of schema");
    }

    private static IEnumerable<MessageDescriptor> AllMessages(IEnumerable<MessageDescriptor> messages) =>
        messages.SelectMany(m => AllMessages(m.NestedTypes).Prepend(m));
}
