using MnistService.Core.Imaging;

namespace MnistService.Core.Reading;

/// <summary>A horizontal run of ink pixels [X0, X1) in row Y.</summary>
public readonly record struct InkRun(int Y, int X0, int X1);

/// <summary>A pixel rectangle: left, top, width and height.</summary>
public readonly record struct PixelBox(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;

    public static PixelBox FromEdges(int left, int top, int right, int bottom) => new(left, top, right - left, bottom - top);

    public PixelBox Union(PixelBox other) => FromEdges(Math.Min(X, other.X), Math.Min(Y, other.Y),
        Math.Max(Right, other.Right), Math.Max(Bottom, other.Bottom));
}

/// <summary>One connected stroke: its runs (a range of <see cref="InkComponents.Runs"/>), box and ink pixel count.</summary>
public readonly record struct InkComponent(int FirstRun, int RunCount, PixelBox Box, int Pixels);

/// <summary>
/// The 8-connected components of an ink image, found on runs rather than pixels: each row's runs are joined to the
/// runs of the row above that they touch (union-find), so the work grows with the ink's outline, not its area.
/// </summary>
public sealed class InkComponents
{
    /// <summary>
    /// A pixel is ink at this level (of 255, after the background and noise became 0). Lower levels are anti-aliased
    /// fringe and JPEG ringing: counting them joined neighbouring digits more often than it kept strokes whole.
    /// </summary>
    public const byte InkLevel = 32;

    private InkComponents(InkRun[] runs, InkComponent[] components)
    {
        Runs = runs;
        Components = components;
    }

    /// <summary>Every run, grouped by component (each component's runs are contiguous, top to bottom).</summary>
    public InkRun[] Runs { get; }

    public InkComponent[] Components { get; }

    public static InkComponents Find(InkImage image)
    {
        var levels = image.Levels;
        int width = image.Width, height = image.Height;
        var runs = new List<InkRun>();
        var parent = new List<int>();
        var previousStart = 0;
        var previousEnd = 0;
        for (var y = 0; y < height; y++)
        {
            var row = levels.Slice(y * width, width);
            var rowStart = runs.Count;
            var x = 0;
            var above = previousStart;
            while (x < width)
            {
                var start = row[x..].IndexOfAnyInRange(InkLevel, (byte)255);
                if (start < 0)
                {
                    break;
                }
                start += x;
                var length = row[start..].IndexOfAnyInRange((byte)0, (byte)(InkLevel - 1));
                var end = length < 0 ? width : start + length;
                var index = runs.Count;
                runs.Add(new InkRun(y, start, end));
                parent.Add(index);
                // 8-connectivity: a run above touches this one when it reaches within one pixel of it.
                while (above < previousEnd && runs[above].X1 < start)
                {
                    above++;
                }
                for (var k = above; k < previousEnd && runs[k].X0 <= end; k++)
                {
                    Union(parent, k, index);
                }
                x = end;
            }
            previousStart = rowStart;
            previousEnd = runs.Count;
        }
        return Group(runs, parent);
    }

    private static InkComponents Group(List<InkRun> runs, List<int> parent)
    {
        var componentOf = new int[runs.Count];
        var count = 0;
        var roots = new Dictionary<int, int>();
        for (var i = 0; i < runs.Count; i++)
        {
            var root = Find(parent, i);
            if (!roots.TryGetValue(root, out var component))
            {
                roots[root] = component = count++;
            }
            componentOf[i] = component;
        }
        // Counting sort of the runs by component keeps each component's runs in row order.
        var starts = new int[count + 1];
        foreach (var component in componentOf)
        {
            starts[component + 1]++;
        }
        for (var c = 0; c < count; c++)
        {
            starts[c + 1] += starts[c];
        }
        var ordered = new InkRun[runs.Count];
        var next = starts[..count];
        for (var i = 0; i < runs.Count; i++)
        {
            ordered[next[componentOf[i]]++] = runs[i];
        }
        var components = new InkComponent[count];
        for (var c = 0; c < count; c++)
        {
            int left = int.MaxValue, right = 0, pixels = 0;
            for (var i = starts[c]; i < starts[c + 1]; i++)
            {
                left = Math.Min(left, ordered[i].X0);
                right = Math.Max(right, ordered[i].X1);
                pixels += ordered[i].X1 - ordered[i].X0;
            }
            var box = PixelBox.FromEdges(left, ordered[starts[c]].Y, right, ordered[starts[c + 1] - 1].Y + 1);
            components[c] = new InkComponent(starts[c], starts[c + 1] - starts[c], box, pixels);
        }
        return new InkComponents(ordered, components);
    }

    private static int Find(List<int> parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void Union(List<int> parent, int a, int b)
    {
        a = Find(parent, a);
        b = Find(parent, b);
        if (a != b)
        {
            parent[Math.Max(a, b)] = Math.Min(a, b);
        }
    }
}
