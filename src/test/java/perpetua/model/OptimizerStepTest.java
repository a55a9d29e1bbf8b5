package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.features.MicroBatch;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/**
 * Replays the first steps of a one-row regression by hand: x = 2, y = 1, one hashed slot.
 *
 * <p>Parameters are [bias, w, h] with z = bias + w * x + h; loss 0.5 (z - y)^2; d = z - y;
 * gradients: bias d, w d x (+ l2 w), h d (+ l2 h).
 */
class OptimizerStepTest {

    private static final float TOL = 1e-6f;

    private static ModelSpec spec(OptimizerKind kind, float l2) {
        return ModelSpec.newBuilder()
                .setModel("tiny")
                .setTask(Task.REGRESSION)
                .setDenseSize(1)
                .setNumericFeatures(List.of())
                .setHashBits(0)
                .setOptimizer(kind)
                .setLearningRate(0.1f)
                .setL2(l2)
                .setWarmBias(false)
                .setScaleTarget(false)
                .build();
    }

    private static MicroBatch row(boolean withSlot) {
        MicroBatch batch = new MicroBatch(1);
        batch.addRow(new float[] {2f}, new int[] {0}, withSlot ? 1 : 0, 1f, 1f);
        return batch;
    }

    private static void assertParams(NeuralModel model, double bias, double w, double h) {
        float[] p = model.parameters();
        assertThat(p[0]).as("bias").isCloseTo((float) bias, within(TOL));
        assertThat(p[1]).as("w").isCloseTo((float) w, within(TOL));
        assertThat(p[2]).as("h").isCloseTo((float) h, within(TOL));
    }

    @Test
    void sgdStepsEqualHandComputedValues() {
        NeuralModel model = new NeuralModel(spec(OptimizerKind.SGD, 0f));

        // z = 0, d = -1: bias = 0.1 * 1, w = 0.1 * 2, h = 0.1 * 1
        assertThat(model.learn(row(true))).isCloseTo(0.5, within(1e-9));
        assertParams(model, 0.1, 0.2, 0.1);
        // z = 0.1 + 0.4 + 0.1 = 0.6, d = -0.4: bias = 0.14, w = 0.2 + 0.08, h = 0.14
        assertThat(model.learn(row(true))).isCloseTo(0.08, within(1e-6));
        assertParams(model, 0.14, 0.28, 0.14);
        // z = 0.14 + 0.56 + 0.14 = 0.84, d = -0.16: bias = 0.156, w = 0.312, h = 0.156
        assertThat(model.learn(row(true))).isCloseTo(0.0128, within(1e-6));
        assertParams(model, 0.156, 0.312, 0.156);
        assertThat(model.steps()).isEqualTo(3);
    }

    @Test
    void sgdWithL2DecaysWeightsButNotBiasAndHashedOnlyWhenActive() {
        NeuralModel model = new NeuralModel(spec(OptimizerKind.SGD, 0.5f));

        // All weights 0, so L2 adds nothing yet: as without L2.
        model.learn(row(true));
        assertParams(model, 0.1, 0.2, 0.1);
        // z = 0.6, d = -0.4: g_w = -0.8 + 0.5 * 0.2 = -0.7, g_h = -0.4 + 0.5 * 0.1 = -0.35
        model.learn(row(true));
        assertParams(model, 0.14, 0.27, 0.135);
        // z = 0.14 + 0.54 + 0.135 = 0.815, d = -0.185:
        // g_w = -0.37 + 0.135 = -0.235, g_h = -0.185 + 0.0675 = -0.1175
        model.learn(row(true));
        assertParams(model, 0.1585, 0.2935, 0.14675);
        // Slot inactive: z = 0.1585 + 0.587 = 0.7455, d = -0.2545;
        // g_w = -0.509 + 0.14675 = -0.36225; h keeps its value (lazy L2)
        model.learn(row(false));
        assertParams(model, 0.18395, 0.329725, 0.14675);
    }

    @Test
    void adamStepsEqualHandComputedValues() {
        NeuralModel model = new NeuralModel(spec(OptimizerKind.ADAM, 0f));
        MicroBatch batch = row(false);

        // t = 1, d = -1: m = 0.1 g, v = 0.001 g^2; corrected m/sqrt(v) = g/|g| = -1
        // so every parameter moves by lr = 0.1 (less 1e-8 of epsilon): bias = w = 0.1
        assertThat(model.learn(batch)).isCloseTo(0.5, within(1e-9));
        assertParams(model, 0.1, 0.1, 0);
        // t = 2: z = 0.1 + 0.2 = 0.3, d = -0.7, g_bias = -0.7
        // m = 0.9 * -0.1 + 0.1 * -0.7 = -0.16; v = 0.999 * 0.001 + 0.001 * 0.49 = 0.001489
        // bias = 0.1 + 0.1 * (0.16 / 0.19) / sqrt(0.001489 / 0.001999) = 0.19757205
        // g_w = 2 g_bias at every step, and Adam is scale-invariant, so w moves alike.
        assertThat(model.learn(batch)).isCloseTo(0.245, within(1e-6));
        assertParams(model, 0.19757205, 0.19757205, 0);
        // t = 3: z = 0.19757 + 0.39514 = 0.59272, d = -0.40728
        // m = 0.9 * -0.16 + 0.1 * -0.40728 = -0.184728
        // v = 0.999 * 0.001489 + 0.001 * 0.165880 = 0.00165339
        // bias = 0.19757 + 0.1 * (0.184728 / 0.271) / sqrt(0.00165339 / 0.002997) = 0.28934612
        assertThat(model.learn(batch)).isCloseTo(0.5 * 0.40728385 * 0.40728385, within(1e-6));
        assertParams(model, 0.28934612, 0.28934612, 0);
        assertThat(model.steps()).isEqualTo(3);
    }

    @Test
    void sparseUpdateTouchesOnlyTheListedParametersAndTheirMoments() {
        Adam adam = new Adam(0.9f, 0.999f, 1e-8f, 0, 4);
        float[] params = {1f, 1f, 1f, 1f};
        float[] grad = {5f, 5f, 5f, 5f};

        adam.updateSparse(params, grad, new int[] {2, 0}, 2, 1, 0.1f);

        // First step moves by lr against the gradient's sign.
        assertThat(params).containsExactly(0.9f, 1f, 0.9f, 1f);
        float[] state = adam.state();
        // m = 0.1 * 5 = 0.5 and v = 0.001 * 25 = 0.025 on indices 0 and 2 only (up to float32:
        // 1 - 0.999f is 0.00099998713).
        assertThat(state[0]).isCloseTo(0.5f, within(1e-6f));
        assertThat(state[1]).isZero();
        assertThat(state[2]).isCloseTo(0.5f, within(1e-6f));
        assertThat(state[3]).isZero();
        assertThat(state[4]).isCloseTo(0.025f, within(1e-6f));
        assertThat(state[5]).isZero();
    }

    @Test
    void sgdFullUpdateRespectsItsRange() {
        Sgd sgd = new Sgd();
        float[] params = {1f, 1f, 1f};
        sgd.update(params, new float[] {2f, 2f, 2f}, 1, 3, 1, 0.5f);
        assertThat(params).containsExactly(1f, 0f, 0f);
        assertThat(sgd.state()).isEmpty();
    }
}
