namespace MnistService.Api.Tests.Infrastructure;

/// <summary>
/// Tests that count the process's allocations (<see cref="GC.GetTotalAllocatedBytes"/>) to show that a request or a
/// reload did not decode or read something huge: they run alone, since any test running beside them (the accuracy
/// tests draw thousands of images) is counted too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasuredCollection
{
    public const string Name = "allocation measured";
}
