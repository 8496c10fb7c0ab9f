using MnistService.Core.Data;

namespace MnistService.Core.Tests.Data;

public class MnistLocatorTests
{
    [Fact]
    public void An_explicit_directory_wins()
    {
        var location = MnistLocator.Locate("some/where");
        Assert.Equal(MnistSource.Option, location.Source);
        Assert.Equal(Path.GetFullPath("some/where"), location.Directory);
    }

    [Fact]
    public void The_shared_folder_is_found_from_a_nested_directory()
    {
        var root = Directory.CreateTempSubdirectory("locator-").FullName;
        var data = TestMnist.WriteDirectory();
        var shared = Path.Combine(root, "shared", "mnist");
        Directory.CreateDirectory(Path.GetDirectoryName(shared)!);
        Directory.Move(data, shared);
        var nested = Directory.CreateDirectory(Path.Combine(root, "main", "tests", "bin", "Debug")).FullName;

        Assert.Equal(shared, MnistLocator.FindSharedFolder(nested));
    }

    [Fact]
    public void An_incomplete_shared_folder_is_passed_over()
    {
        var root = Directory.CreateTempSubdirectory("locator-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "shared", "mnist"));
        File.WriteAllBytes(Path.Combine(root, "shared", "mnist", MnistFiles.TrainImages + ".gz"), [1]);
        Assert.Null(MnistLocator.FindSharedFolder(Path.Combine(root, "main")));
    }

    [Fact]
    public void The_user_cache_is_under_the_home_or_XDG_folder()
    {
        var cache = MnistLocator.UserCacheDirectory();
        Assert.EndsWith(Path.Combine("mnist-service", "mnist"), cache);
    }
}
