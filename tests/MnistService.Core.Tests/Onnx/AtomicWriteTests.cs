using MnistService.Core.IO;
using MnistService.Core.Onnx;

namespace MnistService.Core.Tests.Onnx;

/// <summary>A model file (or files that belong together) is replaced whole or not at all, and no temporary file is left behind.</summary>
public sealed class AtomicWriteTests
{
    [Fact]
    public void Writing_over_an_existing_model_replaces_it_whole()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        var tutorial = TestModels.Tutorial();
        var small = TestModels.SmallOdd();
        OnnxExporter.Write(path, tutorial, TestModels.Report(tutorial));

        OnnxExporter.Write(path, small, TestModels.Report(small));

        Assert.Equal(OnnxExporter.Serialize(small, TestModels.Report(small)), File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], dir.Entries());
    }

    [Fact]
    public void Invalid_layers_leave_the_old_model_byte_identical()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        var small = TestModels.SmallOdd();
        OnnxExporter.Write(path, small, TestModels.Report(small));
        var before = File.ReadAllBytes(path);

        var broken = TestModels.SmallOdd(seed: 8);
        broken[0].Bias[3] = float.PositiveInfinity;
        Assert.ThrowsAny<ArgumentException>(() => OnnxExporter.Write(path, broken, TestModels.Report(broken)));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], dir.Entries());
    }

    [Fact]
    public void A_write_that_fails_halfway_leaves_the_old_file_and_no_temporary_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, [1, 2, 3, 4]);

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));

        Assert.Equal("disk full", e.Message);
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], dir.Entries());
    }

    [Fact]
    public void Files_written_together_are_replaced_all_or_left_as_they_were()
    {
        using var dir = new TempDirectory();
        var (images, labels) = (dir.File("images"), dir.File("labels"));
        File.WriteAllBytes(images, [1]);
        File.WriteAllBytes(labels, [2]);

        // The second file's write fails (a full disk) after the first was written whole.
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteTogether([
            (images, stream => stream.Write(new byte[100_000])),
            (labels, stream => throw new IOException("disk full")),
        ]));

        Assert.Equal("disk full", e.Message);
        Assert.Equal([1], File.ReadAllBytes(images));
        Assert.Equal([2], File.ReadAllBytes(labels));
        Assert.Equal(["images", "labels"], dir.Entries());

        AtomicFile.WriteTogether([(images, stream => stream.Write([3])), (labels, stream => stream.Write([4]))]);
        Assert.Equal([3], File.ReadAllBytes(images));
        Assert.Equal([4], File.ReadAllBytes(labels));
        Assert.Equal(["images", "labels"], dir.Entries());
    }

    [Fact]
    public void A_rename_that_fails_leaves_no_temporary_file()
    {
        using var dir = new TempDirectory();
        // The target is a non-empty directory: the content is written, the final rename cannot succeed.
        var path = dir.File("model.onnx");
        Directory.CreateDirectory(path);
        File.WriteAllBytes(Path.Combine(path, "keep"), [7]);
        var small = TestModels.SmallOdd();

        Assert.ThrowsAny<IOException>(() => OnnxExporter.Write(path, small, TestModels.Report(small)));

        Assert.Equal(["model.onnx"], dir.Entries());
        Assert.Equal([7], File.ReadAllBytes(Path.Combine(path, "keep")));
    }

    [Fact]
    public void A_missing_directory_is_created()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "models", "v2", "model.onnx");
        var small = TestModels.SmallOdd();

        OnnxExporter.Write(path, small, TestModels.Report(small));

        Assert.Equal(small[1].Weights, OnnxModelReader.Read(path).Layers[1].Weights);
    }

    [Fact]
    public async Task Readers_see_the_old_model_or_the_new_one_never_a_mix()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        var a = TestModels.SmallOdd(seed: 1);
        var b = TestModels.SmallOdd(seed: 2);
        var bytesA = OnnxExporter.Serialize(a, TestModels.Report(a));
        var bytesB = OnnxExporter.Serialize(b, TestModels.Report(b));
        OnnxExporter.Write(path, a, TestModels.Report(a));

        var reads = 0;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 40; i++)
            {
                OnnxExporter.Write(path, i % 2 == 0 ? b : a, TestModels.Report(i % 2 == 0 ? b : a));
            }
        });
        while (!writer.IsCompleted || reads < 20)
        {
            var seen = File.ReadAllBytes(path);
            Assert.True(seen.AsSpan().SequenceEqual(bytesA) || seen.AsSpan().SequenceEqual(bytesB),
                $"read {seen.Length} bytes that are neither model (A {bytesA.Length}, B {bytesB.Length} bytes)");
            reads++;
        }
        await writer;
        Assert.Equal(["model.onnx"], dir.Entries());
    }
}
