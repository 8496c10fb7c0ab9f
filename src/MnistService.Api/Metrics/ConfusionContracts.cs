namespace MnistService.Api.Metrics;

/// <summary>The test-set confusion matrix of a model, from its own report.</summary>
/// <param name="Model">The model whose report this is.</param>
/// <param name="Labels">The digits, in the order of the matrix's rows and columns.</param>
/// <param name="Matrix">10 rows of 10 counts: rows are the true digit, columns the predicted one.</param>
/// <param name="Accuracy">Correct predictions over all test images.</param>
/// <param name="Total">Number of test images.</param>
/// <param name="PerClass">Precision, recall and F1 of each digit, in the order of <c>labels</c>.</param>
/// <param name="TopConfusions">The most frequent mistakes, most frequent first.</param>
public sealed record ConfusionResponse(
    string Model, int[] Labels, int[][] Matrix, double Accuracy, int Total,
    IReadOnlyList<ClassMetrics> PerClass, IReadOnlyList<Confusion> TopConfusions)
{
    public static ConfusionResponse From(string model, int[][] matrix)
    {
        var n = matrix.Length;
        var total = matrix.Sum(row => row.Sum());
        var correct = Enumerable.Range(0, n).Sum(d => matrix[d][d]);
        var perClass = Enumerable.Range(0, n).Select(d =>
        {
            var support = matrix[d].Sum();
            var predicted = Enumerable.Range(0, n).Sum(r => matrix[r][d]);
            var precision = predicted == 0 ? 0 : (double)matrix[d][d] / predicted;
            var recall = support == 0 ? 0 : (double)matrix[d][d] / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return new ClassMetrics(d, precision, recall, f1, support);
        }).ToList();
        var confusions = (from t in Enumerable.Range(0, n)
                          from p in Enumerable.Range(0, n)
                          where t != p && matrix[t][p] > 0
                          orderby matrix[t][p] descending, t, p
                          select new Confusion(t, p, matrix[t][p])).Take(10).ToList();
        return new ConfusionResponse(model, Enumerable.Range(0, n).ToArray(), matrix,
            total == 0 ? 0 : (double)correct / total, total, perClass, confusions);
    }
}

/// <param name="Digit">The digit.</param>
/// <param name="Precision">Of the test images read as this digit, the share that are it.</param>
/// <param name="Recall">Of the test images of this digit, the share read as it.</param>
/// <param name="F1">The harmonic mean of precision and recall.</param>
/// <param name="Support">Test images of this digit.</param>
public sealed record ClassMetrics(int Digit, double Precision, double Recall, double F1, int Support);

/// <summary>One kind of mistake: the digit <c>true</c> read as <c>predicted</c>, <c>count</c> times.</summary>
/// <param name="True">The digit in the test images.</param>
/// <param name="Predicted">The digit the model read.</param>
/// <param name="Count">How many test images it misread so.</param>
public sealed record Confusion(int True, int Predicted, int Count);
