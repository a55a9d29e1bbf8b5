package perpetua.metrics;

/**
 * Where one relevant item ranks among sampled candidates, and what that rank is worth: the
 * leave-one-in protocol of online recommendation (one item the user chose, N items sampled from
 * those the user had not interacted with).
 *
 * <ul>
 *   <li>rank: 1 + the candidates scored above the item + half of those scored equal (rounded down),
 *       so that a model that scores everything alike ranks the item in the middle, not first.
 *   <li>hit at k: rank <= k. NDCG at k with one relevant item: 1 / log2(1 + rank) when rank <= k,
 *       else 0 (the ideal DCG is 1). Reciprocal rank: 1 / rank.
 * </ul>
 */
public final class Ranking {
    private Ranking() {}

    /**
     * The rank of an item scored {@code score} among {@code count} candidates whose scores are
     * {@code candidates[from .. from + count)}; NaN scores rank last.
     */
    public static int rank(float score, float[] candidates, int from, int count) {
        int above = 0;
        int ties = 0;
        for (int i = from; i < from + count; i++) {
            float c = candidates[i];
            if (Float.isNaN(score)) {
                above += Float.isNaN(c) ? 0 : 1;
                ties += Float.isNaN(c) ? 1 : 0;
            } else if (c > score) {
                above++;
            } else if (c == score) {
                ties++;
            }
        }
        return 1 + above + ties / 2;
    }

    /** Whether a rank is a hit at cut-off {@code k}. */
    public static boolean hit(int rank, int k) {
        return rank <= k;
    }

    /** NDCG at {@code k} of one relevant item at {@code rank}. */
    public static double ndcg(int rank, int k) {
        return rank <= k ? 1.0 / (Math.log(1.0 + rank) / Math.log(2.0)) : 0.0;
    }

    /** The reciprocal rank. */
    public static double reciprocal(int rank) {
        return 1.0 / rank;
    }
}
