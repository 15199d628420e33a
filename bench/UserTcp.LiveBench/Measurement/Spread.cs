using System.Globalization;

namespace UserTcp.LiveBench.Measurement;

/// <summary>Median and range of one figure over the timed runs of a case.</summary>
internal readonly record struct Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(values));
        int middle = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Spread(median, sorted[0], sorted[^1]);
    }

    /// <summary>The median of one figure of <paramref name="items"/>, or NaN when there is nothing to take it of (a broken run).</summary>
    public static double MedianOf<T>(IEnumerable<T> items, Func<T, double> figure)
    {
        var values = items.Select(figure).ToList();
        return values.Count == 0 ? double.NaN : Of(values).Median;
    }

    /// <summary>"median (min–max)", or just the value when there was one run.</summary>
    public string Format(string format) =>
        Min == Max ? Median.ToString(format, CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Median.ToString(format, CultureInfo.InvariantCulture)} ({Min.ToString(format, CultureInfo.InvariantCulture)}–{Max.ToString(format, CultureInfo.InvariantCulture)})");
}
