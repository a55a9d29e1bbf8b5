package perpetua.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.Task;

/** Ranks of one item among candidates, and the hit rate, NDCG and MRR of a window of them. */
class RankingTest {

    @Test
    void theRankCountsTheCandidatesAboveAndHalfTheTies() {
        float[] c = {0.9f, 0.1f, 0.5f, 0.5f, 0.3f};
        assertThat(Ranking.rank(0.95f, c, 0, 5)).isEqualTo(1);
        assertThat(Ranking.rank(0.4f, c, 0, 5)).isEqualTo(4);
        // Two ties: one counts as above.
        assertThat(Ranking.rank(0.5f, c, 0, 5)).isEqualTo(3);
        // Everything alike ranks in the middle, not first.
        assertThat(Ranking.rank(0f, new float[100], 0, 100)).isEqualTo(51);
        assertThat(Ranking.rank(Float.NaN, c, 0, 5)).isEqualTo(6);
        assertThat(Ranking.rank(0.2f, c, 1, 2)).isEqualTo(2);
    }

    @Test
    void hitNdcgAndReciprocalRankOfOneRelevantItem() {
        assertThat(Ranking.hit(10, 10)).isTrue();
        assertThat(Ranking.hit(11, 10)).isFalse();
        assertThat(Ranking.ndcg(1, 10)).isEqualTo(1.0);
        assertThat(Ranking.ndcg(3, 10)).isCloseTo(0.5, within(1e-12));
        assertThat(Ranking.ndcg(11, 10)).isZero();
        assertThat(Ranking.reciprocal(4)).isEqualTo(0.25);
    }

    @Test
    void aWindowAveragesItsRankedEventsAndStartsAfresh() {
        PrequentialEvaluator e =
                new PrequentialEvaluator(Task.REGRESSION, 4, MetricsWindowKind.COUNT, 0, 1, 0)
                        .rankingAt(2);
        for (int rank : new int[] {1, 3, 2}) {
            e.countPrediction(0, 0);
            e.addRank(rank);
            e.add(new float[0], 0, 3f, 3.5f, 1f);
        }
        e.countPrediction(0, 0);
        e.add(new float[0], 0, 3f, 4f, 1f); // labelled, not ranked
        Metrics m = e.emit("m", 1, 10);
        assertThat(m.getRanked()).isEqualTo(3);
        assertThat(m.getRankingK()).isEqualTo(2);
        assertThat(m.getHitRate()).isCloseTo(2 / 3.0, within(1e-12));
        double ndcg = (1 + 0 + 1 / (Math.log(3) / Math.log(2))) / 3;
        assertThat(m.getNdcg()).isCloseTo(ndcg, within(1e-12));
        assertThat(m.getMrr()).isCloseTo((1 + 1 / 3.0 + 0.5) / 3, within(1e-12));
        assertThat(e.summary()).containsKeys("hitRate", "ndcg", "mrr");

        e.countPrediction(0, 20);
        e.add(new float[0], 0, 3f, 4f, 1f);
        Metrics next = e.emit("m", 2, 30);
        assertThat(next.getRanked()).isZero();
        assertThat(next.getHitRate()).isNull();
    }

    @Test
    void aFadingWindowWeighsRecentRanksMore() {
        PrequentialEvaluator e =
                new PrequentialEvaluator(Task.BINARY, 10, MetricsWindowKind.FADING, 0, 0.5, 2)
                        .rankingAt(1);
        e.addRank(5); // a miss, then a hit that halves its weight
        e.addRank(1);
        Metrics m = e.emit("m", 1, 10);
        assertThat(m.getHitRate()).isCloseTo(1 / 1.5, within(1e-12));
    }

    @Test
    void aModelThatRanksNothingHasNoRankingMetrics() {
        PrequentialEvaluator e = new PrequentialEvaluator(Task.BINARY, 2);
        e.countPrediction(0, 0);
        e.add(new float[] {0.2f, 0.8f}, 0, 1f, 1f, 1f);
        Metrics m = e.emit("m", 1, 1);
        assertThat(m.getHitRate()).isNull();
        assertThat(m.getRanked()).isNull();
        assertThat(e.copy().ranking).isNull();
    }
}
