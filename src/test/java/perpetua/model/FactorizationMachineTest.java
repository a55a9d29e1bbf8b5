package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
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
import perpetua.schemas.Event;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;
import perpetua.testing.SyntheticRatings;

/** The factorization machine part of a model: its score, its gradient, its start and learning. */
class FactorizationMachineTest {

    /** A factorization machine over every categorical of the rating stream, genres multi-valued. */
    private static ModelSpec.Builder fm(Task task) {
        return ModelSpec.newBuilder()
                .setModel("fm")
                .setTask(task)
                .setHashBits(6)
                .setFactors(3)
                .setFactorBits(5)
                .setMultiValued(List.of("genres"))
                .setOptimizer(OptimizerKind.ADAM)
                .setLearningRate(0.05f)
                .setL2(0.01f);
    }

    private static MicroBatch batchOf(FeatureEncoder encoder, List<Event> events) {
        MicroBatch batch = encoder.newBatch();
        for (Event e : events) {
            encoder.encode(e, batch);
        }
        encoder.commitMoments();
        return batch;
    }

    private static void perturb(NeuralModel model, Random random, double scale) {
        float[] theta = model.parameters();
        for (int i = 0; i < theta.length; i++) {
            theta[i] += (float) (scale * random.nextGaussian());
        }
        model.setParameters(theta);
    }

    @Test
    void theScoreAddsTheInteractionOfEveryPairOfInputs() {
        ModelSpec spec = fm(Task.REGRESSION).build();
        NeuralModel model = new NeuralModel(spec);
        perturb(model, new Random(3), 0.5);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        List<Event> events = SyntheticRatings.of(20, 30, 12, "fm", 5).events;
        MicroBatch batch = batchOf(encoder, events);
        float[] scores = model.scores(batch).clone();

        float[] p = model.parameters();
        int hashed = 1 + 0; // bias [1], dense [1 x 0]
        int factors = hashed + (1 << 6);
        for (int r = 0; r < batch.size(); r++) {
            double expected = p[0];
            for (int j = batch.slotStart()[r]; j < batch.slotStart()[r + 1]; j++) {
                expected += batch.slotValues()[j] * p[hashed + batch.slots()[j]];
            }
            int from = batch.factorStart()[r];
            int to = batch.factorStart()[r + 1];
            // user, item, 1 to 3 genres, decade: every input has its vector
            assertThat(to - from).isBetween(4, 6);
            for (int i = from; i < to; i++) {
                for (int j = i + 1; j < to; j++) {
                    double dot = 0;
                    for (int d = 0; d < 3; d++) {
                        dot +=
                                (double) p[factors + batch.factorIds()[i] * 3 + d]
                                        * p[factors + batch.factorIds()[j] * 3 + d];
                    }
                    expected += dot * batch.factorValues()[i] * batch.factorValues()[j];
                }
            }
            assertThat((double) scores[r]).isCloseTo(expected, within(1e-4));
        }
    }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (Task task : List.of(Task.BINARY, Task.REGRESSION)) {
            out.add(Arguments.of("factorization machine", fm(task).build()));
            out.add(
                    Arguments.of(
                            "matrix factorization",
                            fm(task).setFactorFeatures(List.of("user", "item")).build()));
            out.add(
                    Arguments.of(
                            "deep factorization machine",
                            fm(task).setEmbeddings(
                                            List.of(
                                                    new Embedding("genres", 2),
                                                    new Embedding("user", 2)))
                                    .setEmbeddingBits(4)
                                    .setHidden(List.of(new Layer(4, Activation.TANH, 0f)))
                                    .build()));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("shapes")
    void gradientMatchesCentralFiniteDifferences(String family, ModelSpec spec) {
        Random random = new Random(11);
        SyntheticRatings ratings = SyntheticRatings.of(15, 25, 10, "fm", 7);
        List<Event> events =
                spec.getTask() == Task.BINARY ? binary(ratings.events) : ratings.events;
        MicroBatch batch = batchOf(new FeatureEncoder(spec), events);
        NeuralModel model = new NeuralModel(spec);
        perturb(model, random, 0.3);
        float[] theta = model.parameters();

        float[] analytic = model.gradient(batch);
        double[] numeric = ModelFixtures.numericGradient(model, batch, theta, 2e-3);

        int factorsFrom = offsetOf(model.parameterTensors(), "factors");
        int factorsTo = factorsFrom + (1 << 5) * 3;
        int checked = 0;
        for (int i = 0; i < theta.length; i++) {
            double tolerance = 2e-3 + 2e-2 * Math.abs(numeric[i]);
            assertThat((double) analytic[i])
                    .as("gradient of parameter %d (%s)", i, family)
                    .isCloseTo(numeric[i], within(tolerance));
            if (i >= factorsFrom && i < factorsTo && Math.abs(numeric[i]) > 1e-3) {
                checked++;
            }
        }
        assertThat(checked).as("factor weights that carry data").isGreaterThan(10);
    }

    private static List<Event> binary(List<Event> events) {
        List<Event> out = new ArrayList<>();
        for (Event e : events) {
            double rating = ((Number) e.getLabel()).doubleValue();
            out.add(Event.newBuilder(e).setLabel(rating >= 3.5 ? 1 : 0).build());
        }
        return out;
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
    void factorsStartSmallAndLeaveTheStartOfEveryOtherParameterAsItWas() {
        ModelSpec plain =
                fm(Task.BINARY)
                        .setFactors(0)
                        .setEmbeddings(List.of(new Embedding("user", 2)))
                        .setHidden(List.of(new Layer(3, Activation.RELU, 0f)))
                        .build();
        ModelSpec withFactors = ModelSpec.newBuilder(plain).setFactors(4).build();
        List<Tensor> a = new NeuralModel(plain).parameterTensors();
        List<Tensor> b = new NeuralModel(withFactors).parameterTensors();
        for (Tensor t : a) {
            Tensor same = b.stream().filter(x -> x.getName().equals(t.getName())).findFirst().get();
            assertThat(Tensors.toFloats(same)).as(t.getName()).isEqualTo(Tensors.toFloats(t));
        }
        float[] factors =
                Tensors.toFloats(
                        b.stream().filter(x -> x.getName().equals("factors")).findFirst().get());
        assertThat(factors).hasSize((1 << 5) * 4);
        double sum = 0;
        for (float f : factors) {
            assertThat(Math.abs(f)).isLessThanOrEqualTo(ParameterLayout.FACTOR_INIT);
            sum += Math.abs(f);
        }
        assertThat(sum / factors.length).as("not all zero").isGreaterThan(0.002);

        // A linear model with factors: every linear weight still starts at zero.
        NeuralModel linear = new NeuralModel(fm(Task.REGRESSION).build());
        float[] p = linear.parameters();
        for (int i = 0; i < 1 + (1 << 6); i++) {
            assertThat(p[i]).isZero();
        }
    }

    @Test
    void aMulticlassModelCannotHaveFactors() {
        assertThatThrownBy(() -> new NeuralModel(fm(Task.MULTICLASS).setClasses(3).build()))
                .hasMessageContaining("BINARY or REGRESSION");
    }

    @Test
    void matrixFactorizationLearnsWhatBiasesAloneCannot() {
        SyntheticRatings ratings = SyntheticRatings.of(150, 200, 30_000, "mf", 1);
        ModelSpec.Builder base =
                ModelSpec.newBuilder()
                        .setModel("mf")
                        .setTask(Task.REGRESSION)
                        .setHashBits(12)
                        .setOptimizer(OptimizerKind.ADAGRAD)
                        .setLearningRate(0.1f)
                        .setL2(1e-4f);
        double biases = prequentialRmse(base.build(), ratings.events);
        double mf =
                prequentialRmse(
                        ModelSpec.newBuilder(base.build())
                                .setFactors(8)
                                .setFactorBits(12)
                                .setFactorFeatures(List.of("user", "item"))
                                .build(),
                        ratings.events);
        double fm =
                prequentialRmse(
                        ModelSpec.newBuilder(base.build())
                                .setFactors(8)
                                .setFactorBits(12)
                                .setMultiValued(List.of("genres"))
                                .build(),
                        ratings.events);
        // The ratings are low-rank in truth: biases alone cannot learn them, factors can (measured
        // here: biases 0.632, matrix factorization 0.570, factors over every input 0.596).
        assertThat(mf).isLessThan(biases - 0.04);
        assertThat(fm).isLessThan(biases - 0.02);
    }

    /** RMSE of the second half of the stream, each batch of 32 predicted before it is learned. */
    private static double prequentialRmse(ModelSpec spec, List<Event> events) {
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = encoder.newBatch();
        float[] scores = new float[0];
        float[] predicted = new float[32];
        double squares = 0;
        int n = 0;
        for (int from = 0; from < events.size(); from += 32) {
            batch.clear();
            int to = Math.min(events.size(), from + 32);
            for (int i = from; i < to; i++) {
                encoder.encode(events.get(i), batch);
            }
            encoder.commitMoments();
            model.predict(batch, scores, predicted);
            if (from >= events.size() / 2) {
                for (int r = 0; r < batch.size(); r++) {
                    double e = predicted[r] - batch.label(r);
                    squares += e * e;
                    n++;
                }
            }
            model.learn(batch);
        }
        return Math.sqrt(squares / n);
    }

    @Test
    void aModelRebuiltFromItsTensorsScoresAlike() {
        ModelSpec spec = fm(Task.BINARY).build();
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        List<Event> events = binary(SyntheticRatings.of(10, 20, 64, "fm", 9).events);
        MicroBatch batch = batchOf(encoder, events);
        for (int step = 0; step < 5; step++) {
            model.learn(batch);
        }
        NeuralModel copy =
                NeuralModel.fromTensors(
                        spec, model.parameterTensors(), model.optimizerTensors(), model.steps());
        int n = batch.size();
        assertThat(Arrays.copyOf(copy.scores(batch), n))
                .isEqualTo(Arrays.copyOf(model.scores(batch), n));
        model.learn(batch);
        copy.learn(batch);
        assertThat(copy.parameters()).isEqualTo(model.parameters());
    }
}
