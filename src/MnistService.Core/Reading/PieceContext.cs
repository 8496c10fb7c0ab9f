using System.Buffers;
using MnistService.Core.Imaging;

namespace MnistService.Core.Reading;

/// <summary>
/// What the <see cref="PieceJudge"/> sees of a candidate piece: the line's ink around it, not only the piece's own.
/// The image is divided into cells of H / <see cref="CellsPerHeight"/> pixels (H the line height); a piece's window
/// is the <see cref="Rows"/> x <see cref="Columns"/> cells around its centre (ink means in [0, 1], 0 beyond the image),
/// then one value per window column: 1 where the column's centre lies within the piece's columns. So a judge can see
/// that a stroke runs on past a cut, or that a neighbour's stroke lies inside the piece.
/// </summary>
/// <remarks>
/// Where cells are at least <see cref="MinCachedCell"/> pixels wide, every cell's ink is summed once (at most a quarter
/// as many cells as pixels, pooled); where they are smaller, each window sums its own pixels (at most
/// Rows·Columns·4 of them), so a large image with a small line never costs more memory than its pixels.
/// </remarks>
public sealed class PieceContext : IDisposable
{
    public const int Rows = 12;
    public const int Columns = 24;
    public const int CellsPerHeight = 10;
    /// <summary>Values per window: the cells, then the column mask.</summary>
    public const int Size = Rows * Columns + Columns;
    private const double MinCachedCell = 2;

    private readonly InkImage _ink;
    private readonly double _cell;
    /// <summary>The first pixel column of each cell column, and one past the last: cell gx is columns [x[gx], x[gx + 1]).</summary>
    private readonly int[] _cellX;
    private readonly int[] _cellY;
    private int[]? _sums;

    /// <summary>The cells of <paramref name="ink"/> for a line <paramref name="lineHeight"/> pixels high.</summary>
    public PieceContext(InkImage ink, double lineHeight)
    {
        _ink = ink;
        _cell = Math.Max(1, lineHeight / CellsPerHeight);
        _cellX = Bounds(ink.Width, _cell);
        _cellY = Bounds(ink.Height, _cell);
        if (_cell >= MinCachedCell)
        {
            _sums = Sums();
        }
    }

    private int GridWidth => _cellX.Length - 1;
    private int GridHeight => _cellY.Length - 1;

    /// <summary>The window of the piece spanning columns [<paramref name="left"/>, <paramref name="right"/>) with ink box <paramref name="box"/>.</summary>
    public void Write(int left, int right, PixelBox box, Span<float> window)
    {
        var firstColumn = (int)Math.Round((left + right) / 2.0 / _cell) - Columns / 2;
        var firstRow = (int)Math.Round((box.Y + box.Height / 2.0) / _cell) - Rows / 2;
        for (var r = 0; r < Rows; r++)
        {
            var gy = firstRow + r;
            for (var q = 0; q < Columns; q++)
            {
                var gx = firstColumn + q;
                if (gy < 0 || gy >= GridHeight || gx < 0 || gx >= GridWidth)
                {
                    window[r * Columns + q] = 0;
                    continue;
                }
                var sum = _sums is null ? Sum(gx, gy) : _sums[gy * GridWidth + gx];
                window[r * Columns + q] = sum / (255f * (_cellX[gx + 1] - _cellX[gx]) * (_cellY[gy + 1] - _cellY[gy]));
            }
        }
        for (var q = 0; q < Columns; q++)
        {
            var x = (firstColumn + q + 0.5) * _cell;
            window[Rows * Columns + q] = x >= left && x < right ? 1 : 0;
        }
    }

    public void Dispose()
    {
        if (_sums is not null)
        {
            ArrayPool<int>.Shared.Return(_sums);
            _sums = null;
        }
    }

    /// <summary>Pixel p belongs to cell ⌊p / cell⌋: the first pixel of each cell up to the last pixel's, then length.</summary>
    private static int[] Bounds(int length, double cell)
    {
        var cells = (int)((length - 1) / cell) + 1;
        var bounds = new int[cells + 1];
        bounds[cells] = length;
        for (var p = length - 1; p >= 0; p--)
        {
            bounds[(int)(p / cell)] = p;
        }
        return bounds;
    }

    /// <summary>Every cell's summed ink, row by row.</summary>
    private int[] Sums()
    {
        var sums = ArrayPool<int>.Shared.Rent(GridWidth * GridHeight);
        Array.Clear(sums, 0, GridWidth * GridHeight);
        var levels = _ink.Levels;
        for (var gy = 0; gy < GridHeight; gy++)
        {
            var row = sums.AsSpan(gy * GridWidth, GridWidth);
            for (var y = _cellY[gy]; y < _cellY[gy + 1]; y++)
            {
                var line = levels.Slice(y * _ink.Width, _ink.Width);
                for (var gx = 0; gx < row.Length; gx++)
                {
                    var sum = 0;
                    foreach (var level in line[_cellX[gx].._cellX[gx + 1]])
                    {
                        sum += level;
                    }
                    row[gx] += sum;
                }
            }
        }
        return sums;
    }

    /// <summary>One cell's summed ink, read from the image.</summary>
    private int Sum(int gx, int gy)
    {
        var levels = _ink.Levels;
        var sum = 0;
        for (var y = _cellY[gy]; y < _cellY[gy + 1]; y++)
        {
            foreach (var level in levels.Slice(y * _ink.Width + _cellX[gx], _cellX[gx + 1] - _cellX[gx]))
            {
                sum += level;
            }
        }
        return sum;
    }
}
