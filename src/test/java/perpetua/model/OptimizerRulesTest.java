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
    void stateFollowsTheOffsetOfTheOwnedRange() {
        AdaGrad adaGrad = new AdaGrad(1e-8f, 10, 2);
        float[] params = new float[12];
        float[] grad = new float[12];
        grad[11] = 3f;
        adaGrad.updateSparse(params, grad, new int[] {11}, 1, 1, LR);
        assertThat(adaGrad.state()).containsExactly(0f, 9f);
    }
}
