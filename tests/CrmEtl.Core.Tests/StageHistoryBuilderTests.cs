using CrmEtl.Core.Replica;

namespace CrmEtl.Core.Tests;

public sealed class StageHistoryBuilderTests
{
    private static readonly DateTimeOffset Added = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    [Test]
    public void A_deal_that_never_moved_has_been_in_its_current_stage_since_it_was_added()
    {
        var arrivals = StageHistoryBuilder.Build(currentStageId: 3, Added, []);

        Assert.That(arrivals, Is.EqualTo(new[] { new StageArrival(0, 3, null, Added) }));
    }

    [Test]
    public void The_creation_stage_is_the_first_changes_old_stage_and_changes_follow_in_time_order()
    {
        // Pipedrive's changelog lists newest first; the builder must not depend on that order.
        var arrivals = StageHistoryBuilder.Build(currentStageId: 5, Added,
        [
            new StageChange(2, 5, Added.AddDays(9)),
            new StageChange(1, 2, Added.AddDays(2)),
        ]);

        Assert.That(arrivals.Select(a => (a.Ord, a.StageId, a.FromStageId, a.EnteredAt)), Is.EqualTo(new[]
        {
            (0, 1L, (long?)null, Added),
            (1, 2L, (long?)1, Added.AddDays(2)),
            (2, 5L, (long?)2, Added.AddDays(9)),
        }));
    }

    [Test]
    public void Moving_back_and_forth_keeps_every_arrival_and_skipping_keeps_the_jump()
    {
        var arrivals = StageHistoryBuilder.Build(currentStageId: 4, Added,
        [
            new StageChange(1, 3, Added.AddDays(1)), // skipped stage 2
            new StageChange(3, 1, Added.AddDays(2)), // moved back
            new StageChange(1, 4, Added.AddDays(3)),
        ]);

        Assert.That(arrivals.Select(a => a.StageId), Is.EqualTo(new long[] { 1, 3, 1, 4 }));
    }

    [Test]
    public void A_logged_change_to_the_stage_the_deal_is_already_in_is_not_an_arrival()
    {
        var arrivals = StageHistoryBuilder.Build(currentStageId: 2, Added,
        [
            new StageChange(1, 2, Added.AddDays(1)),
            new StageChange(2, 2, Added.AddDays(2)),
        ]);

        Assert.That(arrivals.Select(a => a.StageId), Is.EqualTo(new long[] { 1, 2 }));
    }

    [Test]
    public void Changes_in_the_same_second_keep_the_order_the_crm_gave()
    {
        var second = Added.AddHours(1);
        var arrivals = StageHistoryBuilder.Build(currentStageId: 3, Added,
        [
            new StageChange(1, 2, second),
            new StageChange(2, 3, second),
        ]);

        Assert.That(arrivals.Select(a => a.StageId), Is.EqualTo(new long[] { 1, 2, 3 }));
    }
}
