package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import perpetua.features.MicroBatch;
import perpetua.schemas.LearningRateSchedule;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/**
 * The fused step of a linear model's single row leaves the model the general step leaves, to the
 * bit: the same weights, AdaGrad state, step count, refusals and losses, row after row, over rows
 * with repeated slots, unlabelled and weighted rows, and rows the general step must refuse.
 */
class LinearRowStepTest {
    private static final int DENSE = 3;
    private static final int BITS = 5;

    static Stream<Arguments> specs() {
        return Stream.of(
                Arguments.of("binary, NORMALIZED_ADAGRAD", spec(Task.BINARY).build()),
                Arguments.of(
                        "binary, ADAGRAD with L2 and a schedule",
                        spec(Task.BINARY)
                                .setOptimizer(OptimizerKind.ADAGRAD)
                                .setLearningRate(0.2f)
                                .setL2(1e-3f)
                                .setSchedule(LearningRateSchedule.INVERSE_SCALING)
                                .setScheduleSteps(50)
                                .build()),
                Arguments.of(
                        "regression, target scaled",
                        spec(Task.REGRESSION).setScaleTarget(true).build()),
                Arguments.of(
                        "regression, warm bias, L2",
                        spec(Task.REGRESSION)
                                .setScaleTarget(false)
                                .setWarmBias(true)
                                .setL2(1e-2f)
                                .build()));
    }

    private static ModelSpec.Builder spec(Task task) {
        return ModelSpec.newBuilder()
                .setModel("m")
                .setTask(task)
                .setDenseSize(DENSE)
                .setNumericFeatures(List.of())
                .setHashBits(BITS)
                .setOptimizer(OptimizerKind.NORMALIZED_ADAGRAD)
                .setScaleDense(false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void theFusedStepLeavesTheModelTheGeneralStepLeaves(String name, ModelSpec spec) {
        NeuralModel general = new NeuralModel(spec);
        general.generalStepsOnly();
        NeuralModel fused =
                NeuralModel.restore(spec, general.parameters(), general.optimizerState(), 0);
        NeuralModel trained =
                NeuralModel.restore(spec, general.parameters(), general.optimizerState(), 0);
        assertThat(general.fusedSteps()).isEqualTo(-1);
        assertThat(fused.fusedSteps()).isZero();

        Random random = new Random(7);
        boolean binary = spec.getTask() == Task.BINARY;
        for (int i = 0; i < 2_000; i++) {
            MicroBatch row = row(random, binary, i);
            double expected = general.learn(row);
            double actual = fused.learn(row);
            trained.train(row);
            assertThat(Double.doubleToLongBits(actual))
                    .as("the loss of row %d", i)
                    .isEqualTo(Double.doubleToLongBits(expected));
            assertSame(fused, general, i);
            assertSame(trained, general, i);
        }
        // Every kind of row came by: learned fused, refused, and left to the general step.
        assertThat(fused.fusedSteps()).isBetween(1_500L, general.steps() - 1);
        assertThat(general.unhealthyBatches()).isPositive();
    }

    private static void assertSame(NeuralModel model, NeuralModel general, int i) {
        assertThat(bits(model.parameters()))
                .as("the weights after row %d", i)
                .isEqualTo(bits(general.parameters()));
        assertThat(bits(model.optimizerState()))
                .as("AdaGrad's sums after row %d", i)
                .isEqualTo(bits(general.optimizerState()));
        assertThat(model.steps()).isEqualTo(general.steps());
        assertThat(model.unhealthyBatches()).isEqualTo(general.unhealthyBatches());
        assertThat(model.lastProblem()).isEqualTo(general.lastProblem());
        assertThat(model.targetMoments()).isEqualTo(general.targetMoments());
    }

    /**
     * A row of random dense values and up to eight slots of 32, in order and often repeated; one in
     * ten unlabelled, one in fifty with a value that is not finite, one in fifty with its slots out
     * of order, and now and then a label far out of scale or a value of 0.
     */
    private static MicroBatch row(Random random, boolean binary, int i) {
        float[] dense = new float[DENSE];
        for (int j = 0; j < DENSE; j++) {
            dense[j] = random.nextInt(8) == 0 ? 0f : (float) random.nextGaussian();
        }
        int count = random.nextInt(9);
        int[] slots = new int[count];
        float[] values = new float[count];
        for (int j = 0; j < count; j++) {
            slots[j] = random.nextInt(1 << BITS);
            values[j] = random.nextBoolean() ? 1f : (float) random.nextGaussian();
        }
        Arrays.sort(slots);
        if (i % 50 == 17 && count > 1) {
            int last = slots[count - 1];
            slots[count - 1] = slots[0];
            slots[0] = last;
        }
        if (i % 50 == 29) {
            if (count > 0 && random.nextBoolean()) {
                values[0] = Float.POSITIVE_INFINITY;
            } else {
                dense[1] = Float.NaN;
            }
        }
        float label =
                i % 10 == 3
                        ? Float.NaN
                        : binary ? random.nextInt(2) : (float) (5 + 3 * random.nextGaussian());
        if (!binary && i % 97 == 41) {
            label = 1e30f;
        }
        float weight = i % 13 == 5 ? 0f : 0.5f + random.nextFloat();
        MicroBatch batch = new MicroBatch(DENSE);
        batch.addRow(dense, slots, values, count, null, null, label, weight);
        return batch;
    }

    private static int[] bits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }
}
