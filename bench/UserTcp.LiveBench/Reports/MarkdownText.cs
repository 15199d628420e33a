using System.Text;

namespace UserTcp.LiveBench.Reports;

/// <summary>The report's lines. The harness runs with invariant globalization, so numbers format the same everywhere.</summary>
internal sealed class MarkdownText
{
    private readonly StringBuilder _text = new();

    public void Line(string line = "") => _text.AppendLine(line);

    public override string ToString() => _text.ToString();
}
