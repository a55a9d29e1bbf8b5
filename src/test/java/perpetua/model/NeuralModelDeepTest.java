package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.Activation;
import perpetua.schemas.Embedding;
import perpetua.schemas.Kernel;
import perpetua.schemas.Layer;
import perpetua.schemas.LearningRateSchedule;
import perpetua.schemas.Loss;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

/** Hidden layers, embeddings, the wide part, text, dropout and the health guard. */
class NeuralModelDeepTest {

    /** A small wide-and-deep spec: every input kind, two hidden layers, dropout on the first. */
    private static ModelSpec.Builder deep(Task task, Activation act, Kernel kernel) {
        return ModelFixtures.spec(task, 3)
                .setHidden(List.of(new Layer(5, act, 0.3f), new Layer(4, act, 0f)))
                .setEmbeddings(
                        List.of(
                                new Embedding("colour", 3),
                                new Embedding("shop", 2),
                                new Embedding(FeatureEncoder.TEXT_FIELD, 2)))
                .setEmbeddingBits(3)
                .setInteractions(List.of("colour*shop"))
                .setTextNgrams(2)
                .setKernel(kernel)
                .setL2(0.05f);
    }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (Activation act : Activation.values()) {
            for (Kernel kernel : List.of(Kernel.PRIMITIVE, Kernel.ND4J)) {
                out.add(Arguments.of(Task.BINARY, Loss.AUTO, act, kernel));
                out.add(Arguments.of(Task.MULTICLASS, Loss.AUTO, act, kernel));
                out.add(Arguments.of(Task.REGRESSION, Loss.SQUARED, act, kernel));
                out.add(Arguments.of(Task.REGRESSION, Loss.HUBER, act, kernel));
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void gradientMatchesCentralFiniteDifferences(
            Task task, Loss loss, Activation act, Kernel kernel) {
        Random random = new Random(17);
        ModelSpec spec = deep(task, act, kernel).setLoss(loss).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = ModelFixtures.randomBatch(random, task, encoder, 12);
        NeuralModel model = new NeuralModel(spec);
        float[] theta = model.parameters();
        for (int i = 0; i < theta.length; i++) {
            theta[i] += (float) (0.2 * random.nextGaussian());
        }
        model.setParameters(theta);

        float[] analytic = model.gradient(batch);

        // Central differences; the dropout mask is the same for both sides of each difference.
        double[] numericGradient = ModelFixtures.numericGradient(model, batch, theta, 2e-3);
        int checkedEmbedding = 0;
        int checkedLayers = 0;
        List<Tensor> blocks = model.parameterTensors();
        int embeddingFrom = offsetOf(blocks, "embedding.colour");
        int layersFrom = offsetOf(blocks, "layer1.weight");
        for (int i = 0; i < theta.length; i++) {
            double numeric = numericGradient[i];
            double tolerance = 2e-3 + 2e-2 * Math.abs(numeric);
            assertThat((double) analytic[i])
                    .as("gradient of parameter %d (%s %s %s %s)", i, task, loss, act, kernel)
                    .isCloseTo(numeric, within(tolerance));
            if (Math.abs(numeric) > 1e-3) {
                if (i >= embeddingFrom && i < layersFrom) {
                    checkedEmbedding++;
                } else if (i >= layersFrom) {
                    checkedLayers++;
                }
            }
        }
        // The check must have covered embedding rows and hidden weights that carry data.
        assertThat(checkedEmbedding).isGreaterThan(5);
        assertThat(checkedLayers).isGreaterThan(5);
    }

    private static int offsetOf(List<Tensor> blocks, String name) {
        int offset = 0;
        for (Tensor t : blocks) {
            if (t.getName().equals(name)) {
                return offset;
            }
            offset += Tensors.toFloats(t).length;
        }
        throw new AssertionError("no block " + name);
    }

    @Test
    void dropoutIsOffWhenPredicting() {
        Random random = new Random(5);
        ModelSpec withDropout =
                deep(Task.BINARY, Activation.RELU, Kernel.PRIMITIVE)
                        .setHidden(List.of(new Layer(16, Activation.RELU, 0.5f)))
                        .build();
        FeatureEncoder encoder = new FeatureEncoder(withDropout);
        NeuralModel model = new NeuralModel(withDropout);
        for (int b = 0; b < 5; b++) {
            model.learn(ModelFixtures.randomBatch(random, Task.BINARY, encoder, 20));
        }
        MicroBatch probe = ModelFixtures.randomBatch(random, Task.BINARY, encoder, 20);
        float[] first = new float[40];
        float[] second = new float[40];
        model.predict(probe, first, new float[20]);
        model.predict(probe, second, new float[20]);
        assertThat(second).containsExactly(first);

        ModelSpec noDropout =
                ModelSpec.newBuilder(withDropout)
                        .setHidden(List.of(new Layer(16, Activation.RELU, 0f)))
                        .build();
        float[] plain = new float[40];
        model.reconfigured(noDropout).predict(probe, plain, new float[20]);
        assertThat(plain).containsExactly(first);
        // Learning does drop units: the loss a step sees differs from the loss without dropout.
        assertThat(model.loss(probe)).isNotEqualTo(model.reconfigured(noDropout).loss(probe));
    }

    @Test
    void theSameSeedAndEventsGiveIdenticalModels() {
        ModelSpec spec = deep(Task.MULTICLASS, Activation.TANH, Kernel.ND4J).build();
        float[] a = train(spec, 9);
        float[] b = train(spec, 9);
        assertThat(b).containsExactly(a);
        float[] other = train(ModelSpec.newBuilder(spec).setSeed(43L).build(), 9);
        assertThat(other).isNotEqualTo(a);
    }

    private static float[] train(ModelSpec spec, long eventsSeed) {
        Random random = new Random(eventsSeed);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        NeuralModel model = new NeuralModel(spec);
        for (int b = 0; b < 6; b++) {
            model.learn(ModelFixtures.randomBatch(random, spec.getTask(), encoder, 16));
        }
        return model.parameters();
    }

    @Test
    void learningTheRowsJustPredictedIsLearningThemAfresh() {
        // The learned copy of predicted rows differs in its dense scaling alone: the pass that
        // learns it takes the embeddings and wide sums from the prediction, to the same bits.
        ModelSpec spec = deep(Task.BINARY, Activation.RELU, Kernel.PRIMITIVE).build();
        Random random = new Random(21);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch predicted = ModelFixtures.randomBatch(random, Task.BINARY, encoder, 12);
        MicroBatch rescaled = encoder.newBatch();
        float[] dense = new float[encoder.denseWidth()];
        for (int r = 0; r < predicted.size(); r++) {
            for (int j = 0; j < dense.length; j++) {
                dense[j] = predicted.dense()[r * dense.length + j] * 0.5f + 0.25f;
            }
            rescaled.addRowFrom(predicted, r, dense);
        }
        MicroBatch other = ModelFixtures.randomBatch(random, Task.BINARY, encoder, 12);

        for (MicroBatch learned : List.of(rescaled, other)) {
            NeuralModel predictedFirst = new NeuralModel(spec);
            NeuralModel fresh = new NeuralModel(spec);
            predictedFirst.predict(predicted, new float[24], new float[12]);
            double loss = predictedFirst.learn(learned);
            // The weights moved: the second step recomputes everything.
            predictedFirst.learn(learned);
            assertThat(fresh.learn(learned)).isEqualTo(loss);
            fresh.learn(learned);
            assertThat(predictedFirst.parameters()).containsExactly(fresh.parameters());
        }
    }

    @Test
    void aNonFiniteBatchLeavesTheModelBitIdenticalAndLearningGoesOn() {
        Random random = new Random(8);
        ModelSpec spec = deep(Task.REGRESSION, Activation.RELU, Kernel.PRIMITIVE).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        NeuralModel model = new NeuralModel(spec);
        model.learn(ModelFixtures.randomBatch(random, Task.REGRESSION, encoder, 16));
        float[] params = model.parameters();
        float[] state = model.optimizerState();

        MicroBatch poisoned = ModelFixtures.randomBatch(random, Task.REGRESSION, encoder, 16);
        poisoned.dense()[3] = Float.POSITIVE_INFINITY;
        model.learn(poisoned);
        assertThat(model.lastProblem()).contains("input is not finite");
        // Finite inputs whose gradient overflows float: a label and an input near the float limit.
        MicroBatch overflowing = ModelFixtures.randomBatch(random, Task.REGRESSION, encoder, 16);
        overflowing.labels()[0] = Float.MAX_VALUE;
        overflowing.dense()[0] = 1e30f;
        model.learn(overflowing);
        assertThat(model.lastProblem()).contains("not finite");

        assertThat(model.parameters()).containsExactly(params);
        assertThat(model.optimizerState()).containsExactly(state);
        assertThat(model.steps()).isEqualTo(1);
        assertThat(model.unhealthyBatches()).isEqualTo(2);

        model.learn(ModelFixtures.randomBatch(random, Task.REGRESSION, encoder, 16));
        assertThat(model.steps()).isEqualTo(2);
        assertThat(model.parameters()).isNotEqualTo(params);
    }

    @Test
    void aNonFiniteValueInAWideDenseBatchIsFoundAndNamesItsRow() {
        // 16 rows of 128 dense values: checked on vectors first where the JVM has them.
        ModelSpec spec =
                ModelSpec.newBuilder()
                        .setModel("wide-dense")
                        .setTask(Task.MULTICLASS)
                        .setClasses(3)
                        .setDenseSize(128)
                        .setNumericFeatures(List.of())
                        .setWide(false)
                        .setHidden(List.of(new Layer(8, Activation.RELU, 0f)))
                        .setMaxBatch(16)
                        .build();
        NeuralModel model = new NeuralModel(spec);
        Random random = new Random(3);
        for (float bad : new float[] {Float.NaN, Float.NEGATIVE_INFINITY}) {
            MicroBatch batch = new MicroBatch(128, 16);
            float[] row = new float[128];
            for (int r = 0; r < 16; r++) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = (float) random.nextGaussian();
                }
                if (r == 9) {
                    row[127] = bad;
                }
                batch.addRow(row, new int[0], 0, r % 3, 1f);
            }
            float[] before = model.parameters();
            model.learn(batch);
            assertThat(model.lastProblem()).isEqualTo("input is not finite: row 9");
            assertThat(model.parameters()).containsExactly(before);
        }
        assertThat(model.unhealthyBatches()).isEqualTo(2);
    }

    @Test
    void aStepBeyondTheWeightNormBoundIsUndone() {
        Random random = new Random(8);
        ModelSpec spec =
                ModelFixtures.spec(Task.BINARY, 4)
                        .setOptimizer(OptimizerKind.SGD)
                        .setLearningRate(1f)
                        .setMaxWeightNorm(0.01f)
                        .build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        NeuralModel model = new NeuralModel(spec);
        float[] before = model.parameters();
        model.learn(ModelFixtures.randomBatch(random, Task.BINARY, encoder, 16));
        assertThat(model.parameters()).containsExactly(before);
        assertThat(model.steps()).isZero();
        assertThat(model.unhealthyBatches()).isEqualTo(1);
        assertThat(model.lastProblem()).contains("maxWeightNorm");
    }

    @Test
    void clippingBoundsTheStepOfPlainSgd() {
        Random random = new Random(21);
        ModelSpec spec =
                ModelFixtures.spec(Task.REGRESSION, 4)
                        .setOptimizer(OptimizerKind.SGD)
                        .setLearningRate(1f)
                        .setClipNorm(0.5f)
                        .setWarmBias(false)
                        .build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = ModelFixtures.randomBatch(random, Task.REGRESSION, encoder, 16);
        NeuralModel model = new NeuralModel(spec);
        double rawNorm = norm(model.gradient(batch));
        assertThat(rawNorm).isGreaterThan(0.5);
        model.learn(batch);
        // Starting from zero, SGD with lr 1 moves by minus the clipped gradient.
        assertThat(norm(model.parameters())).isCloseTo(0.5, within(1e-5));
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    @Test
    void learningRateSchedules() {
        ModelSpec.Builder b =
                ModelFixtures.spec(Task.BINARY, 2).setLearningRate(0.1f).setScheduleSteps(10);
        NeuralModel constant = new NeuralModel(b.build());
        assertThat(constant.learningRate(1)).isEqualTo(0.1f);
        assertThat(constant.learningRate(1000)).isEqualTo(0.1f);
        NeuralModel inverse =
                new NeuralModel(
                        b.setSchedule(LearningRateSchedule.INVERSE_SCALING)
                                .setSchedulePower(0.5f)
                                .build());
        // 0.1 / (1 + 30 / 10)^0.5 = 0.05
        assertThat((double) inverse.learningRate(30)).isCloseTo(0.05, within(1e-7));
        NeuralModel step =
                new NeuralModel(
                        b.setSchedule(LearningRateSchedule.STEP_DECAY)
                                .setScheduleFactor(0.5f)
                                .build());
        // 0.1 * 0.5^floor(25 / 10) = 0.025
        assertThat((double) step.learningRate(9)).isCloseTo(0.1, within(1e-7));
        assertThat((double) step.learningRate(25)).isCloseTo(0.025, within(1e-7));
        step.setLearningRateBoost(10f);
        assertThat((double) step.learningRate(25)).isCloseTo(0.25, within(1e-6));
    }

    @Test
    void theKernelsAgree() {
        Random random = new Random(2);
        ModelSpec nd4j =
                deep(Task.MULTICLASS, Activation.LEAKY_RELU, Kernel.ND4J)
                        .setHidden(List.of(new Layer(32, Activation.LEAKY_RELU, 0f)))
                        .build();
        ModelSpec java = ModelSpec.newBuilder(nd4j).setKernel(Kernel.PRIMITIVE).build();
        NeuralModel a = new NeuralModel(nd4j);
        NeuralModel b = new NeuralModel(java);
        NeuralModel c;
        System.setProperty(VectorSupport.PROPERTY, "false");
        try {
            c = new NeuralModel(java);
        } finally {
            System.clearProperty(VectorSupport.PROPERTY);
        }
        assertThat(a.kernels()).containsOnly("ND4J");
        assertThat(b.kernels()).containsOnly("VECTOR");
        assertThat(c.kernels()).containsOnly("PRIMITIVE");
        FeatureEncoder encoder = new FeatureEncoder(nd4j);
        for (int step = 0; step < 5; step++) {
            MicroBatch batch = ModelFixtures.randomBatch(random, Task.MULTICLASS, encoder, 24);
            a.learn(batch);
            b.learn(batch);
            c.learn(batch);
        }
        MicroBatch probe = ModelFixtures.randomBatch(random, Task.MULTICLASS, encoder, 24);
        float[] pa = new float[24 * 3];
        float[] pb = new float[24 * 3];
        float[] pc = new float[24 * 3];
        a.predict(probe, pa, new float[24]);
        b.predict(probe, pb, new float[24]);
        c.predict(probe, pc, new float[24]);
        for (int i = 0; i < pa.length; i++) {
            assertThat(pb[i]).isCloseTo(pa[i], within(1e-4f));
            assertThat(pc[i]).isCloseTo(pa[i], within(1e-4f));
        }
    }

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of(
                        "linear, SGD",
                        ModelFixtures.spec(Task.BINARY, 4).setOptimizer(OptimizerKind.SGD).build()),
                Arguments.of(
                        "MLP with dropout, Adam",
                        ModelFixtures.spec(Task.MULTICLASS, 4)
                                .setHidden(
                                        List.of(
                                                new Layer(8, Activation.RELU, 0.2f),
                                                new Layer(6, Activation.SIGMOID, 0f)))
                                .build()),
                Arguments.of(
                        "wide and deep, FTRL wide and Adam deep",
                        deep(Task.BINARY, Activation.RELU, Kernel.AUTO)
                                .setWideOptimizer(OptimizerKind.FTRL)
                                .setL1(0.01f)
                                .build()),
                Arguments.of(
                        "hashed text, RMSProp",
                        ModelFixtures.spec(Task.BINARY, 6)
                                .setTextNgrams(2)
                                .setEmbeddings(List.of(new Embedding(FeatureEncoder.TEXT_FIELD, 4)))
                                .setSharedEmbeddings(true)
                                .setEmbeddingBits(4)
                                .setOptimizer(OptimizerKind.RMSPROP)
                                .build()),
                Arguments.of(
                        "MLP regression, Huber, Nesterov, AdaGrad wide",
                        ModelFixtures.spec(Task.REGRESSION, 4)
                                .setLoss(Loss.HUBER)
                                .setHidden(List.of(new Layer(8, Activation.TANH, 0f)))
                                .setOptimizer(OptimizerKind.NESTEROV)
                                .setWideOptimizer(OptimizerKind.ADAGRAD)
                                .build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void snapshotThenRestoreGivesIdenticalPredictionsAndSteps(String family, ModelSpec spec) {
        Random random = new Random(31);
        Task task = spec.getTask();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        NeuralModel original = new NeuralModel(spec);
        for (int b = 0; b < 5; b++) {
            original.learn(ModelFixtures.randomBatch(random, task, encoder, 16));
        }
        NeuralModel fromTensors =
                NeuralModel.fromTensors(
                        spec,
                        original.parameterTensors(),
                        original.optimizerTensors(),
                        original.steps());
        NeuralModel fromState =
                NeuralModel.restore(
                        spec, original.parameters(), original.optimizerState(), original.steps());
        MicroBatch next = ModelFixtures.randomBatch(random, task, encoder, 16);
        MicroBatch probe = ModelFixtures.randomBatch(random, task, encoder, 16);
        float[] expected = predictions(original, probe);
        assertThat(predictions(fromTensors, probe)).containsExactly(expected);
        assertThat(predictions(fromState, probe)).containsExactly(expected);
        original.learn(next);
        fromTensors.learn(next);
        fromState.learn(next);
        assertThat(fromTensors.parameters()).containsExactly(original.parameters());
        assertThat(fromState.parameters()).containsExactly(original.parameters());
    }

    private static float[] predictions(NeuralModel model, MicroBatch batch) {
        int n = batch.size();
        float[] scores = new float[n * Math.max(1, model.scoreWidth())];
        float[] predicted = new float[n];
        model.predict(batch, scores, predicted);
        float[] out = new float[scores.length + n];
        System.arraycopy(scores, 0, out, 0, scores.length);
        System.arraycopy(predicted, 0, out, scores.length, n);
        return out;
    }

    @Test
    void autoPicksTheKernelByTheMeasuredRule() {
        ModelSpec.Builder b =
                ModelFixtures.spec(Task.BINARY, 2).setWide(false).setNumericFeatures(List.of());
        // 16 x 784 x 256 = 3.2M multiply-adds: below the 4.2M from which ND4J won.
        NeuralModel mnist =
                new NeuralModel(
                        b.setDenseSize(784)
                                .setMaxBatch(16)
                                .setHidden(List.of(new Layer(256, Activation.RELU, 0f)))
                                .build());
        assertThat(mnist.kernels()).containsExactly("VECTOR", "VECTOR");
        // 256 x 1000 x 256 = 65.5M: ND4J's GEMM won by 5.5x.
        NeuralModel large = new NeuralModel(b.setDenseSize(1000).setMaxBatch(256).build());
        assertThat(large.kernels()).containsExactly("ND4J", "VECTOR");
        // 32 x 10,000 x 1: a wide linear layer, where ND4J won by 1.4x.
        NeuralModel wide =
                new NeuralModel(
                        b.setDenseSize(10_000).setMaxBatch(32).setHidden(List.of()).build());
        assertThat(wide.kernels()).containsExactly("ND4J");
    }
}
