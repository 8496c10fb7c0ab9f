using MnistService.Api.ModelStore;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Reliability;

/// <summary>
/// A model file caught half written (an in-place copy read before it finished) must never load as a
/// model: the repository's settle time is one guard, this is the other.
/// </summary>
public sealed class PartialModelFileTests
{
    [Fact]
    public void No_prefix_of_the_model_file_loads_as_a_model()
    {
        var bytes = ModelFiles.Default;
        var file = new FileInfo(Repo.DefaultModel);
        // Every top-level protobuf field boundary (where a cut leaves a well-formed message) and a spread of other cuts.
        var cuts = TopLevelFieldEnds(bytes).Concat(Enumerable.Range(0, 200).Select(i => (int)((long)bytes.Length * i / 200)))
            .Where(n => n < bytes.Length).Distinct().Order().ToList();
        var loaded = new List<string>();
        foreach (var cut in cuts)
        {
            try
            {
                var model = LoadedModel.Load("partial", file.FullName, ModelFileStamp.Of(file), bytes[..cut], new ModelsOptions());
                loaded.Add($"{cut} of {bytes.Length} bytes (report {(model.Report is null ? "missing" : "present")})");
                model.Release();
            }
            catch (InvalidDataException)
            {
                // refused: what a partial file must get
            }
        }
        Assert.True(loaded.Count == 0, "Partial files that load as a model:\n" + string.Join('\n', loaded));
    }

    /// <summary>Offsets at which a top-level field of the ModelProto ends.</summary>
    private static IEnumerable<int> TopLevelFieldEnds(byte[] bytes)
    {
        var position = 0;
        while (position < bytes.Length)
        {
            var tag = ReadVarint(bytes, ref position);
            switch ((int)(tag & 7))
            {
                case 0: ReadVarint(bytes, ref position); break;
                case 1: position += 8; break;
                case 2: position += (int)ReadVarint(bytes, ref position); break;
                case 5: position += 4; break;
                default: yield break;
            }
            yield return position;
        }
    }

    private static ulong ReadVarint(byte[] bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; position < bytes.Length; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                break;
            }
        }
        return value;
    }
}
