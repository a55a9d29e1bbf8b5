package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The first three steps of every update rule on one weight, against values worked out by hand.
 *
 * <p>The weight starts at 1, the learning rate is 0.1 and the gradients are 0.5, -1 and 2.
 */
class OptimizerRulesTest {

    private static final float LR = 0.1f;
    private static final float[] GRADIENTS = {0.5f, -1f, 2f};
    private static final double TOL = 2e-6;

    private static double[] run(Optimizer optimizer) {
        float[] w = {1f};
        double[] trace = new double[GRADIENTS.length];
        for (int t = 0; t < GRADIENTS.length; t++) {
            optimizer.update(w, new float[] {GRADIENTS[t]}, 0, 1, t + 1, LR);
            trace[t] = w[0];
        }
        return trace;
    }

    private static void assertTrace(Optimizer optimizer, double... expected) {
        double[] trace = run(optimizer);
        for (int t = 0; t < expected.length; t++) {
            assertThat(trace[t]).as("after step %d", t + 1).isCloseTo(expected[t], within(TOL));
        }
    }

    @Test
    void sgd() {
        // w -= 0.1 g: 1 - 0.05; + 0.1; - 0.2
        assertTrace(new Sgd(), 0.95, 1.05, 0.85);
    }

    @Test
    void momentum() {
        // v = 0.9 v + g: 0.5, -0.55, 1.505; w -= 0.1 v
        assertTrace(new Momentum(0.9f, false, 0, 1), 0.95, 1.005, 0.8545);
    }

    @Test
    void nesterov() {
        // v as above; w -= 0.1 (g + 0.9 v): 0.095, -0.1495, 0.33545
        assertTrace(new Momentum(0.9f, true, 0, 1), 0.905, 1.0545, 0.71905);
    }

    @Test
    void adaGrad() {
        // G = 0.25, 1.25, 5.25; w -= 0.1 g / sqrt(G): 0.1, -0.0894427, 0.0872872
        assertTrace(new AdaGrad(1e-8f, 0, 1), 0.9, 0.9894427, 0.9021555);
    }

    @Test
    void rmsProp() {
        // s = 0.9 s + 0.1 g^2 = 0.025, 0.1225, 0.51025; w -= 0.1 g / sqrt(s)
        assertTrace(new RmsProp(0.9f, 1e-8f, 0, 1), 0.6837722, 0.9694865, 0.6894995);
    }

    @Test
    void adam() {
        // t=1: m^ = 0.5, v^ = 0.25, step 0.1; t=2: m = -0.055, v = 0.00124975,
        // m^ = -0.2894737, v^ = 0.6251876, step -0.0366104; t=3 likewise
        assertTrace(new Adam(0.9f, 0.999f, 1e-8f, 0, 1), 0.9, 0.9366104, 0.8946448);
    }

    @Test
    void ftrl() {
        // t=1: n = 0.25, sigma = 0.5 / 0.1 = 5, z = 0.5 - 5 * 1 = -4.5,
        //      w = 4.5 / ((1 + 0.5) / 0.1) = 0.3
        // t=2: n = 1.25, sigma = 6.18034, z = -7.354102, w = 7.354102 / 21.18034 = 0.3472136
        // t=3: n = 5.25, sigma = 11.732538, z = -9.427799, w = 0.2864471
        assertTrace(new Ftrl(1f, 0f, 0, 1), 0.3, 0.3472136, 0.2864471);
    }

    @Test
    void ftrlWithL1ShrinksAndZeroes() {
        // l1 = 1 takes 1 off |z| before the division: 3.5 / 15, then 5.942079 / 21.18034, ...
        assertTrace(new Ftrl(1f, 1f, 0, 1), 0.2333333, 0.2805469, 0.2197804);
        // A coordinate whose |z| stays under l1 is exactly zero.
        float[] w = {0f};
        new Ftrl(1f, 1f, 0, 1).update(w, new float[] {0.5f}, 0, 1, 1, LR);
        assertThat(w[0]).isZero();
    }

    @Test
    void adamsMomentsNeverDecayIntoSubnormalFloats() {
        // A dead unit's weights: one gradient, then zeros for as long as it takes the moments to
        // fall past float's normal range (the first in ~770 steps, the second in ~66,000).
        Adam adam = new Adam(0.9f, 0.999f, 1e-8f, 0, 64);
        float[] w = new float[64];
        float[] grad = new float[64];
        java.util.Arrays.fill(grad, 1e-3f);
        adam.update(w, grad, 0, 64, 1, LR);
        float[] zero = new float[64];
        int[] sparse = {40, 41};
        for (int t = 2; t <= 80_000; t++) {
            // the dense range's loop and the coordinate rule, alike
            adam.update(w, zero, 0, 32, t, LR);
            adam.updateSparse(w, zero, sparse, 2, t, LR);
        }
        float[] state = adam.state();
        for (int at = 0; at < state.length; at++) {
            float x = state[at];
            assertThat(x == 0f || Math.abs(x) >= Float.MIN_NORMAL)
                    .as("state[%d] = %s", at, x)
                    .isTrue();
        }
        // the second moments of the decayed weights rest at their floor, the first near 0
        assertThat(state[64]).isCloseTo(Adam.V_FLOOR / 0.001f, within(1e-28f));
        assertThat(Math.abs(state[0])).isLessThan(1e-29f);
        assertThat(state).containsExactly(adamWrittenOut(80_000));
    }

    // The same run with the rule written out, moments floored and rounded as Adam documents.
    private static float[] adamWrittenOut(int steps) {
        float[] m = new float[64];
        float[] v = new float[64];
        for (int t = 1; t <= steps; t++) {
            for (int i = 0; i < 64; i++) {
                boolean touched = t == 1 || i < 32 || i == 40 || i == 41;
                if (!touched) {
                    continue;
                }
                float g = t == 1 ? 1e-3f : 0f;
                m[i] = (0.9f * m[i] + (1 - 0.9f) * g + Adam.M_GRID) - Adam.M_GRID;
                v[i] = 0.999f * v[i] + (1 - 0.999f) * g * g + Adam.V_FLOOR;
            }
        }
        float[] both = new float[128];
        System.arraycopy(m, 0, both, 0, 64);
        System.arraycopy(v, 0, both, 64, 64);
        return both;
    }

    @Test
    void stateFollowsTheOffsetOfTheOwnedRange() {
        AdaGrad adaGrad = new AdaGrad(1e-8f, 10, 2);
        float[] params = new float[12];
        float[] grad = new float[12];
        grad[11] = 3f;
        adaGrad.updateSparse(params, grad, new int[] {11}, 1, 1, LR);
        assertThat(adaGrad.state()).containsExactly(0f, 9f);
    }
}
