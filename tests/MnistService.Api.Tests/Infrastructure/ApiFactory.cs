using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MnistService.Api.Tests.Infrastructure;

/// <summary>
/// The service in memory, over a model directory of the test's choosing, with short reload timings.
/// </summary>
public sealed class ApiFactory(string modelsDirectory, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    private readonly TempDirectory _data = new("feedback-db");

    public string ModelsDirectory { get; } = modelsDirectory;

    /// <summary>The feedback database when the test names none: an SQLite file of this factory's own, never the repository's data/.</summary>
    public string FeedbackDatabaseFile => _data.File("feedback.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Feedback:ConnectionString", $"Data Source={FeedbackDatabaseFile}");
        builder.UseSetting("Models:Directory", ModelsDirectory);
        builder.UseSetting("Models:Debounce", "00:00:00.050");
        builder.UseSetting("Models:SettleTime", "00:00:00.150");
        builder.UseSetting("Models:RescanInterval", "00:00:01");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _data.Dispose();
        }
    }
}

/// <summary>One service over the committed models/ directory, shared by the read-only tests.</summary>
public sealed class CommittedModelFixture : IDisposable
{
    public CommittedModelFixture()
    {
        Factory = new ApiFactory(Repo.ModelsDirectory);
        Client = Factory.CreateClient();
    }

    public ApiFactory Factory { get; }
    public HttpClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class CommittedModelCollection : ICollectionFixture<CommittedModelFixture>
{
    public const string Name = "committed model";
}
