package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/** Learns synthetic problems that a linear model can solve and checks that it does. */
class NeuralModelLinearLearningTest {

    private static final int BATCHES = 200;
    private static final int BATCH_SIZE = 32;

    // True model: score = 2 x0 - x1 + 0.5 x2 + 1.5 std(a) + colour effect
    private static final double[] COLOUR_EFFECT = {1.0, -1.0, 0.5, -0.5};

    /** An event and its true linear score. */
    private record Sample(Event event, double[] scores) {}

    private static Sample sample(Random random, Task task) {
        List<Float> dense = new ArrayList<>();
        double[] x = new double[3];
        for (int j = 0; j < 3; j++) {
            x[j] = random.nextGaussian();
            dense.add((float) x[j]);
        }
        double a = random.nextGaussian();
        int colour = random.nextInt(4);
        Map<String, Double> numeric = new HashMap<>();
        numeric.put("a", 100 + 10 * a);
        Map<String, String> categorical = new HashMap<>();
        categorical.put("colour", ModelFixtures.COLOURS[colour]);
        double[] scores = {
            2 * x[0] - x[1] + 0.5 * x[2] + 1.5 * a + COLOUR_EFFECT[colour],
            -x[0] + 2 * x[2] - a,
            x[1] - x[0] + 2 * COLOUR_EFFECT[colour]
        };
        Object label;
        switch (task) {
            case BINARY:
                label = scores[0] > 0 ? 1 : 0;
                break;
            case MULTICLASS:
                int best = 0;
                for (int c = 1; c < 3; c++) {
                    best = scores[c] > scores[best] ? c : best;
                }
                label = best;
                break;
            default:
                label = scores[0] + 0.05 * random.nextGaussian();
                break;
        }
        Event event =
                Event.newBuilder()
                        .setId("e")
                        .setModel("m")
                        .setTime(0L)
                        .setDense(dense)
                        .setNumeric(numeric)
                        .setCategorical(categorical)
                        .setLabel(label)
                        .setWeight(1f)
                        .build();
        return new Sample(event, scores);
    }

    private static ModelSpec spec(Task task) {
        return ModelFixtures.spec(task, 8)
                .setDenseSize(3)
                .setNumericFeatures(List.of("a"))
                .setLearningRate(0.05f)
                .build();
    }

    /** Trains for BATCHES batches; returns {first loss, mean of last 10 losses}. */
    private static double[] train(NeuralModel model, FeatureEncoder encoder, Random random) {
        MicroBatch batch = encoder.newBatch();
        double first = Double.NaN;
        double lastSum = 0;
        for (int i = 0; i < BATCHES; i++) {
            batch.clear();
            for (int r = 0; r < BATCH_SIZE; r++) {
                encoder.encode(sample(random, model.spec().getTask()).event(), batch);
                encoder.commitMoments();
            }
            double loss = model.learn(batch);
            if (i == 0) {
                first = loss;
            }
            if (i >= BATCHES - 10) {
                lastSum += loss;
            }
        }
        return new double[] {first, lastSum / 10};
    }

    private static double accuracy(NeuralModel model, FeatureEncoder encoder, Random random) {
        MicroBatch batch = encoder.newBatch();
        for (int r = 0; r < 1000; r++) {
            encoder.encode(sample(random, model.spec().getTask()).event(), batch);
            encoder.commitMoments();
        }
        float[] scores = new float[batch.size() * model.scoreWidth()];
        float[] predicted = new float[batch.size()];
        model.predict(batch, scores, predicted);
        int correct = 0;
        for (int r = 0; r < batch.size(); r++) {
            correct += predicted[r] == batch.label(r) ? 1 : 0;
        }
        return correct / (double) batch.size();
    }

    @Test
    void logisticRegressionSeparatesASeparableProblem() {
        Random random = new Random(1);
        ModelSpec spec = spec(Task.BINARY);
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);

        double[] loss = train(model, encoder, random);

        assertThat(loss[0]).isCloseTo(Math.log(2), within(1e-6));
        assertThat(loss[1]).isLessThan(0.3 * loss[0]);
        assertThat(accuracy(model, encoder, random)).isGreaterThan(0.9);
        assertThat(model.steps()).isEqualTo(BATCHES);
    }

    @Test
    void softmaxRegressionSeparatesThreeClasses() {
        Random random = new Random(2);
        ModelSpec spec = spec(Task.MULTICLASS);
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);

        double[] loss = train(model, encoder, random);

        assertThat(loss[0]).isCloseTo(Math.log(3), within(1e-6));
        assertThat(loss[1]).isLessThan(0.4 * loss[0]);
        assertThat(accuracy(model, encoder, random)).isGreaterThan(0.85);
    }

    @Test
    void linearRegressionFitsALinearTarget() {
        Random random = new Random(3);
        ModelSpec spec = spec(Task.REGRESSION);
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);

        double[] loss = train(model, encoder, random);

        assertThat(loss[1]).isLessThan(0.05 * loss[0]);
        // Predictions track the target on fresh data.
        MicroBatch batch = encoder.newBatch();
        for (int r = 0; r < 200; r++) {
            encoder.encode(sample(random, Task.REGRESSION).event(), batch);
            encoder.commitMoments();
        }
        float[] predicted = new float[batch.size()];
        model.predict(batch, new float[0], predicted);
        double squaredError = 0;
        for (int r = 0; r < batch.size(); r++) {
            double e = predicted[r] - batch.label(r);
            squaredError += e * e;
        }
        assertThat(squaredError / batch.size()).isLessThan(0.2);
    }
}
