using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace MnistService.Benchmarks;

/// <summary>
/// The median CPU time of one invocation, all threads of the process that did the work (ours, or PyTorch's
/// Python), beside the wall time: on a shared machine the wall time says how long others let the work take,
/// the CPU time how much work it was. Each benchmark process records its own (<see cref="Record"/>), in files
/// this column reads in the host process.
/// </summary>
public sealed class CpuTimeColumn : IColumn
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "mnist-benchmark-cpu");

    public string Id => nameof(CpuTimeColumn);
    public string ColumnName => "CPU median";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Median CPU seconds of one invocation, all threads of the process doing the work";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var path = PathFor(benchmarkCase.Descriptor.WorkloadMethod.Name,
            string.Join(",", benchmarkCase.Parameters.Items.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}={p.Value}")));
        // Only this run's: the file of an earlier run (or of a case that failed) is older than this process.
        if (!File.Exists(path) || File.GetLastWriteTimeUtc(path) < Process.GetCurrentProcess().StartTime.ToUniversalTime())
        {
            return "-";
        }
        var seconds = File.ReadAllLines(path).Select(line => double.Parse(line, CultureInfo.InvariantCulture)).Order().ToArray();
        var median = seconds.Length % 2 == 1 ? seconds[seconds.Length / 2] : (seconds[seconds.Length / 2 - 1] + seconds[seconds.Length / 2]) / 2;
        return $"{median:F3} s";
    }

    /// <summary>Writes a benchmark process's CPU seconds per invocation, for the case named by its method and parameters.</summary>
    /// <param name="parameters">"Name=value" pairs joined by commas, ordered by name.</param>
    public static void Record(string method, string parameters, IEnumerable<double> seconds)
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllLines(PathFor(method, parameters), seconds.Select(s => s.ToString("R", CultureInfo.InvariantCulture)));
    }

    private static string PathFor(string method, string parameters) => Path.Combine(Folder, $"{method}-{parameters}.txt");
}
