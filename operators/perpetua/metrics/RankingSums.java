package perpetua.metrics;

import perpetua.schemas.Metrics;

/**
 * The sums of a window's ranked events from which its hit rate at k, NDCG at k and MRR follow: a
 * recommender ranks each event's item among sampled candidates before it learns the event (see
 * {@link Ranking}). Every ranked event weighs 1; under FADING each one first fades the earlier
 * ones, the sums stored divided by {@link #scale} as {@link TaskSums} does. A POJO for keyed state.
 */
public class RankingSums implements Cloneable {
    private static final double RENORMALIZE_BELOW = 1e-150;

    /** The cut-off of the hit rate and NDCG. */
    public int k;

    /** The factor that turns a stored sum into its faded value. */
    public double scale = 1.0;

    /** Ranked events, faded. */
    public double weight;

    public double hits;
    public double ndcg;
    public double reciprocal;

    /** Ranked events in the window (FADING: since the last record), not faded. */
    public long ranked;

    /** For Flink's POJO serializer only. */
    public RankingSums() {}

    /** Empty sums with cut-off {@code k}. */
    public static RankingSums atCutoff(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("the cut-off k must be >= 1: " + k);
        }
        RankingSums s = new RankingSums();
        s.k = k;
        return s;
    }

    /** Adds one ranked event, its item at {@code rank} (1: first). */
    void add(int rank, double fadingFactor) {
        if (rank < 1) {
            throw new IllegalArgumentException("a rank starts at 1: " + rank);
        }
        fade(fadingFactor);
        double w = 1.0 / scale;
        weight += w;
        hits += Ranking.hit(rank, k) ? w : 0.0;
        ndcg += w * Ranking.ndcg(rank, k);
        reciprocal += w * Ranking.reciprocal(rank);
        ranked++;
    }

    private void fade(double fadingFactor) {
        if (fadingFactor >= 1.0) {
            return;
        }
        scale *= fadingFactor;
        if (scale < RENORMALIZE_BELOW) {
            weight *= scale;
            hits *= scale;
            ndcg *= scale;
            reciprocal *= scale;
            scale = 1.0;
        }
    }

    /** Sets the ranking metrics of the window on {@code b}; null when nothing was ranked. */
    void figures(Metrics.Builder b) {
        boolean any = weight > 0;
        b.setHitRate(any ? hits / weight : null);
        b.setNdcg(any ? ndcg / weight : null);
        b.setMrr(any ? reciprocal / weight : null);
        b.setRanked(ranked);
        b.setRankingK(k);
    }

    /** The next window: empty sums, except under FADING, whose sums carry over and only fade. */
    void reset(boolean fading) {
        ranked = 0;
        if (fading) {
            return;
        }
        scale = 1.0;
        weight = 0.0;
        hits = 0.0;
        ndcg = 0.0;
        reciprocal = 0.0;
    }

    /** A copy; every field is a value. */
    RankingSums copy() {
        try {
            return (RankingSums) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
