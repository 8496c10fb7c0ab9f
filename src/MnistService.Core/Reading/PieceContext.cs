using MnistService.Core.Imaging;

namespace MnistService.Core.Reading;

/// <summary>
/// What the <see cref="PieceJudge"/> sees of a candidate piece: the line's ink around it, not only the piece's own.
/// The ink is averaged once into cells of H / <see cref="CellsPerHeight"/> pixels (H the line height); a piece's window
/// is the <see cref="Rows"/> x <see cref="Columns"/> cells around its centre (ink means in [0, 1], 0 beyond the image),
/// then one value per window column: 1 where the column's centre lies within the piece's columns. So a judge can see
/// that a stroke runs on past a cut, or that a neighbour's stroke lies inside the piece.
/// </summary>
public sealed class PieceContext
{
    public const int Rows = 24;
    public const int Columns = 48;
    public const int CellsPerHeight = 20;
    /// <summary>Values per window: the cells, then the column mask.</summary>
    public const int Size = Rows * Columns + Columns;

    private readonly float[] _cells;
    private readonly int _gridWidth;
    private readonly int _gridHeight;
    private readonly double _cell;

    /// <summary>The ink of <paramref name="ink"/> averaged into cells of <paramref name="lineHeight"/> / <see cref="CellsPerHeight"/> pixels.</summary>
    public PieceContext(InkImage ink, double lineHeight)
    {
        _cell = Math.Max(1, lineHeight / CellsPerHeight);
        _gridWidth = (int)Math.Ceiling(ink.Width / _cell);
        _gridHeight = (int)Math.Ceiling(ink.Height / _cell);
        _cells = new float[_gridWidth * _gridHeight];
        var counts = new int[_cells.Length];
        var cellOfColumn = new int[ink.Width];
        for (var x = 0; x < ink.Width; x++)
        {
            cellOfColumn[x] = Math.Min(_gridWidth - 1, (int)(x / _cell));
        }
        var levels = ink.Levels;
        for (var y = 0; y < ink.Height; y++)
        {
            var row = Math.Min(_gridHeight - 1, (int)(y / _cell)) * _gridWidth;
            var line = levels.Slice(y * ink.Width, ink.Width);
            for (var x = 0; x < line.Length; x++)
            {
                _cells[row + cellOfColumn[x]] += line[x];
                counts[row + cellOfColumn[x]]++;
            }
        }
        for (var c = 0; c < _cells.Length; c++)
        {
            _cells[c] = counts[c] == 0 ? 0 : _cells[c] / (255f * counts[c]);
        }
    }

    /// <summary>The window of the piece spanning columns [<paramref name="left"/>, <paramref name="right"/>) with ink box <paramref name="box"/>.</summary>
    public void Write(int left, int right, PixelBox box, Span<float> window)
    {
        var centreColumn = (int)Math.Round((left + right) / 2.0 / _cell);
        var centreRow = (int)Math.Round((box.Y + box.Height / 2.0) / _cell);
        for (var r = 0; r < Rows; r++)
        {
            var gy = centreRow - Rows / 2 + r;
            var target = window.Slice(r * Columns, Columns);
            if (gy < 0 || gy >= _gridHeight)
            {
                target.Clear();
                continue;
            }
            for (var q = 0; q < Columns; q++)
            {
                var gx = centreColumn - Columns / 2 + q;
                target[q] = gx >= 0 && gx < _gridWidth ? _cells[gy * _gridWidth + gx] : 0;
            }
        }
        for (var q = 0; q < Columns; q++)
        {
            var x = (centreColumn - Columns / 2 + q + 0.5) * _cell;
            window[Rows * Columns + q] = x >= left && x < right ? 1 : 0;
        }
    }
}
