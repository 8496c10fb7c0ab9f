using System.Runtime.ExceptionServices;
using MnistService.Core.Imaging;
using MnistService.Core.Network;

namespace MnistService.Core.Training;

/// <summary>
/// The training batches of every epoch, made ahead on a thread of their own: each epoch the order of the
/// training images is shuffled, then each batch's labels and images (distorted, when there is a distorter) are
/// written into one of a few slots, while the trainer trains on a batch made earlier. So distorting overlaps
/// the matrix products: it fills the moments they leave a core idle (the serial parts of a step, the joins of
/// their parallel loops, the validation pass), and with one training thread it runs on the other core.
/// <para>
/// What a batch holds depends on nothing but the seed: the shuffle draws from its own stream in the same
/// order as before, and each image's distortion from its own (see <see cref="ImageDistorter"/>), so the
/// weights trained are the same bits as when every batch was made just before its step.
/// </para>
/// One consumer: <see cref="Next"/> hands out the batches in order, epoch after epoch; the batch it returns
/// stays valid until the next call.
/// </summary>
internal sealed class TrainingBatches : IDisposable
{
    /// <summary>
    /// Batches in flight: the one being trained on and those made ahead, at 400 kB a slot. Two would do on a
    /// quiet machine. On a loaded one the maker, once woken, may wait milliseconds for a core: measured at load
    /// 16 on 2 cores with one training thread, 4 slots left the trainer waiting for batches 60-90 times an
    /// epoch (about 0.3 s in all), 8 slots once, 16 never.
    /// </summary>
    private const int Slots = 16;

    private readonly float[] _images;
    private readonly byte[] _labels;
    private readonly ImageDistorter? _distorter;
    private readonly Rng _shuffle;
    private readonly int[] _order;
    private readonly int _batchSize, _batchesPerEpoch, _epochs;
    private readonly Batch[] _slots;
    private readonly SemaphoreSlim _free = new(Slots, Slots), _made = new(0, Slots + 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _maker;
    private ExceptionDispatchInfo? _failure;
    private int _taken = -1;

    /// <param name="trainCount">The training images: the first trainCount of <paramref name="images"/>.</param>
    /// <param name="distorter">Distorts every training image afresh each epoch; null copies them as they are.
    /// Used by the maker thread alone.</param>
    /// <param name="shuffle">The shuffle's stream; the maker draws one permutation from it per epoch.</param>
    public TrainingBatches(float[] images, byte[] labels, int trainCount, int batchSize, int epochs, ImageDistorter? distorter, Rng shuffle)
    {
        (_images, _labels, _distorter, _shuffle) = (images, labels, distorter, shuffle);
        _order = [.. Enumerable.Range(0, trainCount)];
        (_batchSize, _epochs) = (batchSize, epochs);
        _batchesPerEpoch = (trainCount + batchSize - 1) / batchSize;
        _slots = [.. Enumerable.Range(0, Slots).Select(_ => new Batch(new float[batchSize * Trainer.ImagePixels], new byte[batchSize]))];
        _maker = new Thread(Make) { IsBackground = true, Name = "Training batches" };
        _maker.Start();
    }

    /// <summary>The training images and labels of one batch, <see cref="Rows"/> of them.</summary>
    public sealed class Batch(float[] images, byte[] labels)
    {
        public int Rows { get; set; }

        /// <summary>Rows·784 pixels.</summary>
        public ReadOnlySpan<float> Images => images.AsSpan(0, Rows * Trainer.ImagePixels);

        /// <summary>Rows labels.</summary>
        public ReadOnlySpan<byte> Labels => labels.AsSpan(0, Rows);

        internal float[] ImageBuffer => images;
        internal byte[] LabelBuffer => labels;
    }

    /// <summary>The next batch (the first of the next epoch after an epoch's last); hands the previous one back.</summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting for the batch.</exception>
    public Batch Next(CancellationToken cancellationToken)
    {
        if (_taken >= 0)
        {
            _free.Release();
        }
        _made.Wait(cancellationToken);
        _failure?.Throw();
        _taken++;
        return _slots[_taken % Slots];
    }

    private void Make()
    {
        try
        {
            var made = 0;
            for (var epoch = 1; epoch <= _epochs; epoch++)
            {
                _shuffle.Shuffle(_order);
                for (var b = 0; b < _batchesPerEpoch; b++, made++)
                {
                    _free.Wait(_stop.Token);
                    Fill(_slots[made % Slots], epoch, b * _batchSize);
                    _made.Release();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Training ended before its last epoch (early stopping, cancellation, an error).
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
            _made.Release(); // wakes the trainer to throw it
        }
    }

    private void Fill(Batch batch, int epoch, int first)
    {
        batch.Rows = Math.Min(_batchSize, _order.Length - first);
        for (var r = 0; r < batch.Rows; r++)
        {
            var i = _order[first + r];
            batch.LabelBuffer[r] = _labels[i];
            if (_distorter is null)
            {
                _images.AsSpan(i * Trainer.ImagePixels, Trainer.ImagePixels).CopyTo(batch.ImageBuffer.AsSpan(r * Trainer.ImagePixels));
            }
        }
        _distorter?.Distort(_images, _order, first, batch.Rows, batch.ImageBuffer, epoch);
    }

    /// <summary>Stops the maker (it may be making the next epoch's first batches) and waits for it to end.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _maker.Join();
        _stop.Dispose();
        _free.Dispose();
        _made.Dispose();
    }
}
