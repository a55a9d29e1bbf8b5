package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import perpetua.features.FeatureEncoder;
import perpetua.features.FeatureHasher;
import perpetua.features.MicroBatch;
import perpetua.features.OnlineStandardizer;
import perpetua.schemas.Activation;
import perpetua.schemas.Embedding;
import perpetua.schemas.Event;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/**
 * Explanations: a linear model's contributions computed by hand, and completeness (the
 * contributions add up to the score) for every model family, exactly where the parts are linear or
 * pairwise and within a stated bound for the integrated gradients of hidden layers.
 */
class ExplainerTest {

    /**
     * Where hidden layers are explained by integrated gradients: |sum of the contributions - score|
     * <= 1e-3 (1 + |score - bias - baseline|). Measured: at most 6.1e-4 (ReLU and tanh layers,
     * whose kinks the midpoint rule crosses), 4.1e-6 (sigmoid).
     */
    static final double IG_TOLERANCE = 1e-3;

    /**
     * Where every part is linear or pairwise, the sum is the score up to float rounding. Measured:
     * at most 1.3e-7.
     */
    static final double EXACT_TOLERANCE = 1e-5;

    private static Map<String, Double> byInput(Explainer.Explanation e) {
        Map<String, Double> out = new HashMap<>();
        for (Explainer.Term t : e.terms()) {
            out.put(t.input(), t.contribution());
        }
        return out;
    }

    @Test
    void aLinearModelsContributionsAreItsWeightsTimesItsInputs() {
        ModelSpec spec =
                ModelSpec.newBuilder()
                        .setModel("lin")
                        .setTask(Task.BINARY)
                        .setDenseSize(2)
                        .setNumericFeatures(List.of("a"))
                        .setHashBits(4)
                        .setInteractions(List.of("colour*shop"))
                        .setTextNgrams(1)
                        .setMultiValued(List.of("tags"))
                        .build();
        NeuralModel model = new NeuralModel(spec);
        // bias [1], dense [1 x 3]: dense0, dense1, a; hashed [1 x 16].
        float[] p = new float[model.parameterCount()];
        p[0] = 0.5f;
        p[1] = 1.0f;
        p[2] = -2.0f;
        p[3] = 0.25f;
        for (int slot = 0; slot < 16; slot++) {
            p[4 + slot] = 0.1f * (slot + 1);
        }
        model.setParameters(p);
        // a: mean 10, variance 16 / 4 = 4, so a = 14 is standardized to 2.
        OnlineStandardizer moments =
                new OnlineStandardizer(new long[] {4}, new double[] {10}, new double[] {16});
        Event event =
                Event.newBuilder()
                        .setId("e1")
                        .setModel("lin")
                        .setTime(0L)
                        .setDense(List.of(0.5f, -0.25f))
                        .setNumeric(Map.of("a", 14.0))
                        .setCategorical(Map.of("colour", "red", "shop", "s1", "tags", "x|y"))
                        .setText("good deal")
                        .build();

        Explainer.Explanation e = new Explainer(model, moments, null).explain(event);

        double half = 1 / Math.sqrt(2);
        Map<String, Double> expected = new HashMap<>();
        expected.put(Explainer.BIAS, 0.5);
        expected.put(Explainer.DENSE, 1.0 * 0.5 + -2.0 * -0.25);
        expected.put("a", 0.25 * 2);
        expected.put("colour=red", weight("colour", "red"));
        expected.put("shop=s1", weight("shop", "s1"));
        expected.put("tags=x", half * weight("tags", "x"));
        expected.put("tags=y", half * weight("tags", "y"));
        expected.put("colour*shop=red,s1", weight("colour*shop", "red\u0001s1"));
        expected.put("@text=good", half * weight(FeatureEncoder.TEXT_FIELD, "good"));
        expected.put("@text=deal", half * weight(FeatureEncoder.TEXT_FIELD, "deal"));
        Map<String, Double> actual = byInput(e);
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        double sum = 0;
        for (Map.Entry<String, Double> x : expected.entrySet()) {
            assertThat(actual.get(x.getKey())).as(x.getKey()).isCloseTo(x.getValue(), within(1e-6));
            sum += x.getValue();
        }
        // The score is the log-odds, and the terms are ordered by magnitude.
        assertThat(e.score()).isCloseTo(sum, within(1e-5));
        assertThat(e.total()).isCloseTo(sum, within(1e-5));
        assertThat(Math.abs(e.terms().get(0).contribution()))
                .isGreaterThanOrEqualTo(Math.abs(e.terms().get(1).contribution()));
        assertThat(e.top(3)).hasSize(3);
        MicroBatch batch = new FeatureEncoder(spec, moments, null).newBatch();
        new FeatureEncoder(spec, moments, null).encode(event, batch);
        float[] scores = new float[2];
        model.predict(batch, scores, new float[1]);
        assertThat((double) scores[1]).isCloseTo(1 / (1 + Math.exp(-sum)), within(1e-6));
    }

    private static double weight(String name, String value) {
        return 0.1f * (FeatureHasher.slot(name, value, 4) + 1);
    }

    static Stream<Arguments> families() {
        ModelSpec.Builder base =
                ModelSpec.newBuilder()
                        .setModel("m")
                        .setTask(Task.BINARY)
                        .setDenseSize(3)
                        .setNumericFeatures(List.of("a", "b"))
                        .setHashBits(6)
                        .setInteractions(List.of("colour*shop"))
                        .setTextNgrams(2)
                        .setMultiValued(List.of("tags"))
                        .setOptimizer(OptimizerKind.ADAM);
        List<Arguments> out = new ArrayList<>();
        for (Task task : Task.values()) {
            ModelSpec.Builder b = ModelSpec.newBuilder(base.build()).setTask(task);
            if (task == Task.MULTICLASS) {
                b.setClasses(3);
            }
            out.add(Arguments.of("linear", b.build(), EXACT_TOLERANCE));
            out.add(
                    Arguments.of(
                            "linear with embeddings",
                            ModelSpec.newBuilder(b.build())
                                    .setEmbeddings(
                                            List.of(
                                                    new Embedding("colour", 3),
                                                    new Embedding("tags", 2),
                                                    new Embedding(FeatureEncoder.TEXT_FIELD, 2)))
                                    .setEmbeddingBits(5)
                                    .build(),
                            EXACT_TOLERANCE));
            out.add(
                    Arguments.of(
                            "wide and deep",
                            ModelSpec.newBuilder(b.build())
                                    .setEmbeddings(
                                            List.of(
                                                    new Embedding("colour", 3),
                                                    new Embedding("tags", 2),
                                                    new Embedding(FeatureEncoder.TEXT_FIELD, 2)))
                                    .setEmbeddingBits(5)
                                    .setHidden(
                                            List.of(
                                                    new Layer(8, Activation.RELU, 0.2f),
                                                    new Layer(4, Activation.TANH, 0f)))
                                    .build(),
                            IG_TOLERANCE));
            if (task != Task.MULTICLASS) {
                out.add(
                        Arguments.of(
                                "factorization machine",
                                ModelSpec.newBuilder(b.build())
                                        .setFactors(4)
                                        .setFactorBits(6)
                                        .build(),
                                EXACT_TOLERANCE));
                out.add(
                        Arguments.of(
                                "deep factorization machine",
                                ModelSpec.newBuilder(b.build())
                                        .setFactors(4)
                                        .setFactorBits(6)
                                        .setEmbeddings(List.of(new Embedding("shop", 3)))
                                        .setEmbeddingBits(4)
                                        .setHidden(List.of(new Layer(6, Activation.SIGMOID, 0f)))
                                        .build(),
                                IG_TOLERANCE));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("families")
    void contributionsAddUpToTheScore(String family, ModelSpec spec, double tolerance) {
        Random random = new Random(23);
        NeuralModel model = new NeuralModel(spec);
        float[] theta = model.parameters();
        for (int i = 0; i < theta.length; i++) {
            theta[i] += (float) (0.4 * random.nextGaussian());
        }
        model.setParameters(theta);
        if (spec.getTask() == Task.REGRESSION) {
            // A rating model that learned its label standardized: mean 3.5, sd 0.9.
            model.setTargetMoments(new double[] {50, 3.5, 50 * 0.81});
        }
        FeatureEncoder learned = new FeatureEncoder(spec);
        MicroBatch warm = learned.newBatch();
        for (int i = 0; i < 50; i++) {
            learned.encode(event(random), warm);
        }
        learned.commitMoments();
        Explainer explainer = new Explainer(model, learned.standardizer(), learned.denseScaler());
        double worst = 0;
        for (int i = 0; i < 30; i++) {
            Event event = event(random);
            Explainer.Explanation e = explainer.explain(event);
            double baseline = byInput(e).getOrDefault(Explainer.BASELINE, 0.0);
            double bias = byInput(e).get(Explainer.BIAS);
            double error =
                    Math.abs(e.total() - e.score()) / (1 + Math.abs(e.score() - baseline - bias));
            worst = Math.max(worst, error);
            assertThat(error)
                    .as("%s: contributions %s against score %s", family, e.total(), e.score())
                    .isLessThanOrEqualTo(tolerance);
            // The score explained is the model's own: log-odds, the predicted class or value.
            assertThat(e.score()).isCloseTo(score(model, spec, learned, event), within(1e-4));
        }
        System.out.printf(
                "explanation completeness, %s %s: largest relative error %.2e (bound %.0e)%n",
                family, spec.getTask(), worst, tolerance);
    }

    /**
     * The model's own score for an event: log-odds, the predicted class's logit, or the value it
     * predicts in the label's units.
     */
    private static double score(
            NeuralModel model, ModelSpec spec, FeatureEncoder moments, Event event) {
        FeatureEncoder encoder =
                new FeatureEncoder(spec, moments.standardizer(), moments.denseScaler());
        MicroBatch batch = encoder.newBatch();
        encoder.encode(event, batch);
        encoder.discardPending();
        float[] logits = model.scores(batch);
        if (spec.getTask() == Task.REGRESSION) {
            float[] predicted = new float[1];
            model.predict(batch, new float[1], predicted);
            return predicted[0];
        }
        if (spec.getTask() != Task.MULTICLASS) {
            return logits[0];
        }
        int best = 0;
        for (int c = 1; c < spec.getClasses(); c++) {
            best = logits[c] > logits[best] ? c : best;
        }
        return logits[best];
    }

    private static Event event(Random random) {
        Map<String, Double> numeric = new HashMap<>();
        numeric.put("a", 10 + 3 * random.nextGaussian());
        if (random.nextBoolean()) {
            numeric.put("b", random.nextGaussian());
        }
        Map<String, String> categorical = new HashMap<>();
        categorical.put("colour", ModelFixtures.COLOURS[random.nextInt(4)]);
        categorical.put("shop", "s" + random.nextInt(6));
        if (random.nextInt(3) > 0) {
            categorical.put("tags", "t" + random.nextInt(4) + "|t" + (4 + random.nextInt(4)));
        }
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < random.nextInt(5); w++) {
            text.append(ModelFixtures.WORDS[random.nextInt(ModelFixtures.WORDS.length)])
                    .append(' ');
        }
        return Event.newBuilder()
                .setId("e")
                .setModel("m")
                .setTime(0L)
                .setDense(
                        List.of(
                                (float) random.nextGaussian(),
                                (float) random.nextGaussian(),
                                (float) random.nextGaussian()))
                .setNumeric(numeric)
                .setCategorical(categorical)
                .setText(text.toString())
                .build();
    }
}
