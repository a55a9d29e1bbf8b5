package perpetua.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The exact and the histogram AUC on small hand-counted cases. */
class RocAucTest {

    @Test
    void exactAucCountsATieBetweenAPositiveAndANegativeAsOneHalf() {
        // Positives 0.9 and 0.5; negatives 0.5 and 0.1: pairs won 1 + 1 + 0.5 + 1 of 4.
        float[] scores = {0.9f, 0.5f, 0.5f, 0.1f};
        boolean[] positive = {true, true, false, false};
        assertThat(RocAuc.exact(scores, positive, 4)).isCloseTo(3.5 / 4, within(1e-12));
        // Only the first n count: 0.9 and 0.5 positive, 0.5 negative.
        assertThat(RocAuc.exact(scores, positive, 3)).isCloseTo(1.5 / 2, within(1e-12));
    }

    @Test
    void aSingleClassHasNoAuc() {
        assertThat(RocAuc.exact(new float[] {0.2f, 0.7f}, new boolean[] {true, true}, 2)).isNull();
        assertThat(RocAuc.histogram(new double[RocAuc.BINS], new double[RocAuc.BINS])).isNull();
    }

    @Test
    void theHistogramAucBoundsItsErrorBySameBinPairs() {
        double[] pos = new double[RocAuc.BINS];
        double[] neg = new double[RocAuc.BINS];
        pos[RocAuc.bin(0.9f)] += 1;
        neg[RocAuc.bin(0.1f)] += 1;
        pos[RocAuc.bin(0.5f)] += 1;
        neg[RocAuc.bin(0.5f)] += 1;
        double[] auc = RocAuc.histogram(pos, neg);
        assertThat(auc[0]).isCloseTo(3.5 / 4, within(1e-12));
        assertThat(auc[1]).isCloseTo(0.5 / 4, within(1e-12));
        assertThat(RocAuc.bin(Float.NaN)).isEqualTo(RocAuc.BINS - 1);
    }

    @Test
    void exactAucEqualsThePairCountOnRandomScoresWithTies() {
        java.util.Random random = new java.util.Random(19);
        float[] values = {Float.NaN, -0.0f, 0.0f, -1f, Float.NEGATIVE_INFINITY, 1e-30f, 0.5f};
        for (int trial = 0; trial < 200; trial++) {
            int n = 2 + random.nextInt(300);
            float[] scores = new float[n];
            boolean[] positive = new boolean[n];
            for (int i = 0; i < n; i++) {
                scores[i] =
                        random.nextInt(4) == 0
                                ? values[random.nextInt(values.length)]
                                : random.nextInt(20) / 20f - (random.nextBoolean() ? 0.3f : 0f);
                positive[i] = random.nextInt(3) == 0;
            }
            positive[0] = true;
            positive[1] = false;
            // Every (positive, negative) pair: won 1, tied 1/2 (Float.compare's order).
            double won = 0;
            int pairs = 0;
            for (int p = 0; p < n; p++) {
                for (int q = 0; q < n; q++) {
                    if (positive[p] && !positive[q]) {
                        int c = Float.compare(scores[p], scores[q]);
                        won += c > 0 ? 1 : c == 0 ? 0.5 : 0;
                        pairs++;
                    }
                }
            }
            assertThat(RocAuc.exact(scores, positive, n)).isCloseTo(won / pairs, within(1e-12));
        }
    }
}
