package perpetua.learner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import perpetua.schemas.ModelSpec;
import perpetua.spec.SpecRules;

/**
 * The schedule of a model's search: its learners, the champion and its challengers, are measured on
 * the same labels; a rung lasts {@code rungWindows} metrics windows, then twice as long as the one
 * before, and at the end of each the learners are ranked by the mean of the model's main metric
 * over the rung's windows. The better half goes on (the best serves), the rest are retired, until
 * one is left and the search is over.
 *
 * <p>So the search costs all its learners for the first rung and half as many for each rung after:
 * {@code n} learners cost about {@code 2 rungWindows log2(n)} windows of {@code n}-fold work, then
 * one model's.
 */
final class SuccessiveHalving {
    private SuccessiveHalving() {}

    /**
     * Adds the windows that just closed to their learners' tallies; when the champion's closes the
     * rung's last window, the rung has ended and {@link ChampionPolicy} ranks the learners.
     */
    static void windowsClosed(ModelRuntime m, List<Variant> closed) {
        String metric = SpecRules.promotionMetric(m.spec());
        for (Variant v : closed) {
            Double value = ChampionPolicy.value(v.scorecard().lastWindow(), metric);
            if (value != null) {
                // RMSE is averaged as the mean squared error, so that the rung's mean is its RMSE.
                v.scorecard().tally("rmse".equals(metric) ? value * value : value);
            }
        }
        if (closed.contains(m.champion())) {
            m.search().championWindowClosed(m.spec().getSearch().getRungWindows());
        }
    }

    /** The learners best first by their rung's mean; one without a window there ranks last. */
    static List<Variant> ranked(ModelRuntime m) {
        String metric = SpecRules.promotionMetric(m.spec());
        boolean higher = SpecRules.higherIsBetter(metric);
        List<Variant> all = new ArrayList<>(m.variants());
        Comparator<Variant> byScore =
                Comparator.comparingDouble(
                        v -> {
                            double s = score(v, metric);
                            if (Double.isNaN(s)) {
                                return Double.POSITIVE_INFINITY;
                            }
                            return higher ? -s : s;
                        });
        // A stable sort: on a tie the champion, then the earlier challenger, goes first.
        all.sort(byScore);
        return all;
    }

    /** A learner's mean of {@code metric} over the rung; NaN before its first window there. */
    static double score(Variant v, String metric) {
        double mean = v.scorecard().tallyMean();
        return "rmse".equals(metric) ? Math.sqrt(mean) : mean;
    }

    /** The learners that go on from a rung of {@code n}: the better half, at least one. */
    static int kept(int n) {
        return (n + 1) / 2;
    }

    /** Whether the spec's search has a learner left to try besides the champion. */
    static boolean running(ModelSpec spec) {
        return spec.getSearch() != null && !spec.getChallengers().isEmpty();
    }
}
