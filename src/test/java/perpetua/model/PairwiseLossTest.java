package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import perpetua.features.MicroBatch;

/** The pairwise ranking loss of implicit feedback: its value and its gradient, by hand. */
class PairwiseLossTest {

    private static MicroBatch rows(float... labels) {
        MicroBatch b = new MicroBatch(0, 0, labels.length);
        for (float label : labels) {
            b.addRow(new float[0], new int[0], 0, label, 1f);
        }
        return b;
    }

    private static float[] sigmoid(float[] z) {
        float[] p = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = (float) (1 / (1 + Math.exp(-z[i])));
        }
        return p;
    }

    private static double softplus(double z) {
        return Math.log1p(Math.exp(z));
    }

    @Test
    void eachNegativeIsComparedWithThePositiveBeforeIt() {
        // Event A (score 2) with negatives 0.5 and 3, event B (score -1) with negative -2.
        float[] z = {2f, 0.5f, 3f, -1f, -2f};
        float[] grad = new float[z.length];
        double loss = Losses.pairwise(rows(1, 0, 0, 1, 0), z, sigmoid(z), grad);
        // Three pairs, each weighing a third: softplus(z_neg - z_pos).
        double expected = (softplus(0.5 - 2) + softplus(3 - 2) + softplus(-2 + 1)) / 3;
        assertThat(loss).isCloseTo(expected, within(1e-6));
        double s1 = 1 / (1 + Math.exp(1.5));
        double s2 = 1 / (1 + Math.exp(-1));
        double s3 = 1 / (1 + Math.exp(1));
        assertThat((double) grad[1]).isCloseTo(s1 / 3, within(1e-6));
        assertThat((double) grad[2]).isCloseTo(s2 / 3, within(1e-6));
        assertThat((double) grad[0]).isCloseTo(-(s1 + s2) / 3, within(1e-6));
        assertThat((double) grad[3]).isCloseTo(-s3 / 3, within(1e-6));
        assertThat((double) grad[4]).isCloseTo(s3 / 3, within(1e-6));
    }

    @Test
    void itsGradientIsTheLossesSlope() {
        float[] z = {0.3f, -0.7f, 1.1f, 0.2f, 0.9f, -0.4f};
        MicroBatch b = rows(1, 0, 0, 0, 1, 0);
        float[] grad = new float[z.length];
        Losses.pairwise(b, z, sigmoid(z), grad);
        double h = 1e-3;
        for (int i = 0; i < z.length; i++) {
            float[] up = z.clone();
            float[] down = z.clone();
            up[i] += (float) h;
            down[i] -= (float) h;
            double slope =
                    (Losses.pairwise(b, up, sigmoid(up), new float[z.length])
                                    - Losses.pairwise(b, down, sigmoid(down), new float[z.length]))
                            / (2 * h);
            assertThat((double) grad[i]).as("row " + i).isCloseTo(slope, within(1e-4));
        }
    }

    @Test
    void aRowWithNothingToCompareWithIsLearnedFromItsLabel() {
        // A negative before any positive, then a positive whose negatives could not be drawn.
        float[] z = {0.5f, 1.5f};
        float[] p = sigmoid(z);
        float[] grad = new float[z.length];
        double loss = Losses.pairwise(rows(0, 1), z, p, grad);
        assertThat(loss).isCloseTo((softplus(0.5) + softplus(-1.5)) / 2, within(1e-6));
        assertThat((double) grad[0]).isCloseTo(p[0] / 2.0, within(1e-6));
        assertThat((double) grad[1]).isCloseTo((p[1] - 1) / 2.0, within(1e-6));
        assertThat(Losses.pairwise(rows(Float.NaN), new float[1], new float[1], new float[1]))
                .isNaN();
    }
}
