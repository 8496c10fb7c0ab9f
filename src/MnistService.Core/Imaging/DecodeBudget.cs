namespace MnistService.Core.Imaging;

/// <summary>
/// How many decoded pixels may be in memory at once, across all requests. A decode reserves its image's pixels
/// before it allocates anything and returns them when its memory is free again; one that does not fit waits for
/// others to finish, and gives up after a while (the caller then answers "busy"). An image larger than the whole
/// budget is decoded alone, so that every image within the size limits can be decoded at all. Waiters that fit are
/// admitted first come, first served, and a small image does not wait behind a large one that does not fit yet.
/// </summary>
public sealed class DecodeBudget(long capacityPixels)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _inFlight;

    /// <summary>
    /// The default budget: half the memory this process may use (the GC's limit: the container's memory limit, or
    /// DOTNET_GCHeapHardLimit when set) in pixels at <see cref="ImageDecoder.PeakBytesPerPixel"/> each. The other half
    /// is for the runtime, the models, request bodies and pooled buffers. 384 MiB gives one 4096x4096 image.
    /// </summary>
    public static long DefaultCapacity() => DefaultCapacity(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    public static long DefaultCapacity(long availableBytes) => Math.Max(28 * 28, availableBytes / 2 / ImageDecoder.PeakBytesPerPixel);

    public long CapacityPixels { get; } = capacityPixels;

    /// <summary>Pixels reserved right now.</summary>
    public long InFlightPixels
    {
        get { lock (_gate) { return _inFlight; } }
    }

    /// <summary>
    /// Reserves <paramref name="pixels"/>, waiting up to <paramref name="wait"/> for room. Null when there was none in
    /// time; dispose the reservation once the decoded pixels are released.
    /// </summary>
    /// <exception cref="OperationCanceledException">The caller gave up (its client left).</exception>
    public async Task<IDisposable?> ReserveAsync(long pixels, TimeSpan wait, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (Fits(pixels))
            {
                _inFlight += pixels;
                return new Reservation(this, pixels);
            }
            waiter = new Waiter(pixels);
            waiter.Node = _waiters.AddLast(waiter);
        }
        try
        {
            await waiter.Granted.Task.WaitAsync(wait, cancellationToken);
            return new Reservation(this, pixels);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                if (waiter.Node is not null)
                {
                    _waiters.Remove(waiter.Node); // still waiting: nothing was reserved
                    waiter.Node = null;
                    if (e is TimeoutException)
                    {
                        return null;
                    }
                    throw;
                }
            }
            // Granted just as the wait ended: used when the time ran out, given back when the caller left.
            if (e is TimeoutException)
            {
                return new Reservation(this, pixels);
            }
            Release(pixels);
            throw;
        }
    }

    private bool Fits(long pixels) => _inFlight == 0 || _inFlight + pixels <= CapacityPixels;

    private void Release(long pixels)
    {
        lock (_gate)
        {
            _inFlight -= pixels;
            for (var node = _waiters.First; node is not null;)
            {
                var next = node.Next;
                if (Fits(node.Value.Pixels))
                {
                    _inFlight += node.Value.Pixels;
                    _waiters.Remove(node);
                    node.Value.Node = null;
                    node.Value.Granted.TrySetResult();
                }
                node = next;
            }
        }
    }

    private sealed class Waiter(long pixels)
    {
        public long Pixels { get; } = pixels;
        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Waiter>? Node { get; set; }
    }

    private sealed class Reservation(DecodeBudget budget, long pixels) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                budget.Release(pixels);
            }
        }
    }
}
