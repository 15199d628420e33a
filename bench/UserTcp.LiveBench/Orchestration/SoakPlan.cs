namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// How long the soak runs and how often it samples and changes the link: every minute in a run of 10 minutes or more,
/// every 10 s in a shorter one (CI's two minutes), so a short run still has enough samples to see a trend in.
/// </summary>
internal sealed record SoakPlan(int Minutes, int Seed)
{
    public TimeSpan SampleEvery => Minutes >= 10 ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(10);

    public TimeSpan ChangeEvery => SampleEvery;

    public int Samples => (int)(TimeSpan.FromMinutes(Minutes) / SampleEvery);
}
