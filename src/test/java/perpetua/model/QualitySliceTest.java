package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.job.ModelSpecs;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.runtime.CsvEvents;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSpec;

/**
 * Lower bounds on prequential quality (predict each micro-batch, then learn it, one pass) on slices
 * of the benchmark data that the project carries in {@code src/test/resources/quality} and {@code
 * data/}. The full-data figures, from {@code ./perpetua evaluate}, are in BENCHMARKS.md; these
 * bounds sit a little under what the slices give, so that a regression in the model, the encoder or
 * an optimizer fails here.
 */
class QualitySliceTest {

    private static final Path QUALITY = Path.of("src/test/resources/quality");
    private static final List<String> LETTER_NUMERICS =
            List.of(
                    "x.box", "y.box", "width", "high", "onpix", "x.bar", "y.bar", "x2bar", "y2bar",
                    "xybar", "x2ybr", "xy2br", "x.ege", "xegvy", "y.ege", "yegvx");

    /** Replays {@code events} through a model of {@code spec} and returns the whole-run metrics. */
    static Metrics prequential(ModelSpec spec, List<Event> events) {
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        PrequentialEvaluator evaluator = new PrequentialEvaluator(spec.getTask(), events.size());
        MicroBatch batch = encoder.newBatch();
        int size = spec.getMaxBatch();
        int width = Math.max(1, model.scoreWidth());
        float[] scores = new float[size * width];
        float[] predicted = new float[size];
        for (int from = 0; from < events.size(); from += size) {
            batch.clear();
            for (int i = from; i < Math.min(events.size(), from + size); i++) {
                encoder.encode(events.get(i), batch);
            }
            model.predict(batch, scores, predicted);
            encoder.commitMoments();
            for (int r = 0; r < batch.size(); r++) {
                evaluator.countPrediction(model.steps(), 0L);
                if (!Float.isNaN(batch.label(r))) {
                    evaluator.add(scores, r * width, predicted[r], batch.label(r), 1f);
                }
            }
            model.learn(batch);
        }
        assertThat(model.unhealthyBatches()).isZero();
        Metrics m = evaluator.emit(spec.getModel(), model.steps(), 1L);
        System.out.printf(
                "quality %s %s events=%d accuracy=%s auc=%s rmse=%s mae=%s%n",
                spec.getModel(),
                spec.getHidden().isEmpty() && spec.getEmbeddings().isEmpty() ? "linear" : "deep",
                events.size(),
                m.getAccuracy(),
                m.getAuc(),
                m.getRmse(),
                m.getMae());
        return m;
    }

    static List<Event> read(Path csv, CsvEvents.Roles roles, int limit, Long shuffleSeed)
            throws Exception {
        List<Event> events = new ArrayList<>();
        try (CsvEvents rows = new CsvEvents(csv, roles)) {
            while (rows.hasNext()) {
                events.add(rows.next());
            }
        }
        if (shuffleSeed != null) {
            Collections.shuffle(events, new Random(shuffleSeed));
        }
        return events.subList(0, Math.min(limit, events.size()));
    }

    private static CsvEvents.Roles roles(String label) {
        CsvEvents.Roles r = new CsvEvents.Roles();
        r.model = "m";
        r.label = label;
        return r;
    }

    private static String quoted(List<String> names) {
        return String.join(",", names.stream().map(n -> '"' + n + '"').toList());
    }

    @Test
    void letterMlp() throws Exception {
        CsvEvents.Roles r = roles("lettr");
        r.labelClasses = IntStream.rangeClosed('A', 'Z').mapToObj(c -> "" + (char) c).toList();
        r.numeric = LETTER_NUMERICS;
        List<Event> events = read(QUALITY.resolve("letter-recognition.csv.gz"), r, 20_000, 42L);
        ModelSpec spec =
                ModelSpecs.parse(
                                "{\"model\":\"m\",\"task\":\"MULTICLASS\",\"classes\":26,"
                                        + "\"numericFeatures\":["
                                        + quoted(LETTER_NUMERICS)
                                        + "],\"hidden\":[128],\"optimizer\":\"ADAM\","
                                        + "\"learningRate\":0.005,\"maxBatch\":16}")
                        .get("m");
        // All 20,000 letters: 0.78 measured; the bar is 0.75.
        assertThat(prequential(spec, events).getAccuracy()).isGreaterThan(0.75);
    }

    @Test
    void mnistMlpOnTheFirstThreeThousandDigits() throws Exception {
        CsvEvents.Roles r = roles("label");
        r.labelClasses = IntStream.range(0, 10).mapToObj(String::valueOf).toList();
        r.dense = List.of("p*");
        List<Event> events = read(QUALITY.resolve("mnist-3k.csv.gz"), r, 3_000, null);
        ModelSpec spec =
                ModelSpecs.parse(
                                "{\"model\":\"m\",\"task\":\"MULTICLASS\",\"classes\":10,"
                                        + "\"denseSize\":784,\"denseScale\":0.00392157,"
                                        + "\"hidden\":[128],\"wide\":false,\"optimizer\":\"ADAM\","
                                        + "\"learningRate\":0.002,\"maxBatch\":16}")
                        .get("m");
        assertThat(prequential(spec, events).getAccuracy()).isGreaterThan(BOUND_MNIST);
    }

    static final double BOUND_MNIST = 0.80;

    @Test
    void spamHashedText() throws Exception {
        CsvEvents.Roles r = roles("label");
        r.labelClasses = List.of("ham", "spam");
        r.text = "text";
        List<Event> events = read(QUALITY.resolve("spamassassin-1500.csv.gz"), r, 1_500, null);
        ModelSpec spec =
                ModelSpecs.parse(
                                "{\"model\":\"m\",\"task\":\"BINARY\",\"hashBits\":20,"
                                        + "\"textNgrams\":2,\"optimizer\":\"ADAM\","
                                        + "\"learningRate\":0.05,\"maxBatch\":8}")
                        .get("m");
        assertThat(prequential(spec, events).getAccuracy()).isGreaterThan(BOUND_SPAM);
    }

    static final double BOUND_SPAM = 0.88;

    @Test
    void flightsWideAndDeepBeatsLogisticRegression() throws Exception {
        CsvEvents.Roles r = perpetua.runtime.FlightsStream.roles();
        List<Event> events = read(Path.of("data/flights-100k.csv.gz"), r, 100_000, null);
        ModelSpec logistic =
                ModelSpecs.parse(
                                "{\"model\":\"flights\",\"task\":\"BINARY\","
                                        + "\"numericFeatures\":[\"distance\"],\"hashBits\":18,"
                                        + "\"optimizer\":\"ADAM\",\"learningRate\":0.02,"
                                        + "\"maxBatch\":256}")
                        .get("flights");
        ModelSpec wideAndDeep = flightsWideAndDeep();
        double lr = prequential(logistic, events).getAuc();
        double wd = prequential(wideAndDeep, events).getAuc();
        assertThat(wd).isGreaterThan(BOUND_FLIGHTS).isGreaterThan(lr);
    }

    static final double BOUND_FLIGHTS = 0.70;

    static ModelSpec flightsWideAndDeep() throws Exception {
        return ModelSpecs.parse(
                        "{\"model\":\"flights\",\"task\":\"BINARY\","
                                + "\"numericFeatures\":[\"distance\"],\"hashBits\":20,"
                                + "\"embeddings\":[{\"feature\":\"origin\",\"dim\":8},"
                                + "{\"feature\":\"destination\",\"dim\":8},"
                                + "{\"feature\":\"hour\",\"dim\":4},{\"feature\":\"dow\",\"dim\":4}],"
                                + "\"embeddingBits\":12,\"interactions\":[\"origin*destination\","
                                + "\"origin*hour\",\"destination*hour\",\"hour*dow\",\"origin*dow\","
                                + "\"destination*dow\"],"
                                + "\"hidden\":[64,32],\"optimizer\":\"ADAM\","
                                + "\"learningRate\":0.004,\"maxBatch\":64}")
                .get("flights");
    }

    @Test
    void diamondsMlpAndLinearRegressionOnLogPrice() throws Exception {
        CsvEvents.Roles r = roles("price");
        r.labelLog = true;
        r.numeric = List.of("carat", "depth", "table", "x", "y", "z");
        r.categorical = List.of("cut", "color", "clarity");
        List<Event> events = read(QUALITY.resolve("diamonds.csv.gz"), r, 60_000, 42L);
        String base =
                "\"model\":\"m\",\"task\":\"REGRESSION\",\"hashBits\":12,"
                        + "\"numericFeatures\":[\"carat\",\"depth\",\"table\",\"x\",\"y\",\"z\"],"
                        + "\"optimizer\":\"ADAM\",\"maxBatch\":16";
        Metrics linear =
                prequential(
                        ModelSpecs.parse("{" + base + ",\"learningRate\":0.01}").get("m"), events);
        Metrics mlp =
                prequential(
                        ModelSpecs.parse("{" + base + ",\"learningRate\":0.003,\"hidden\":[64,32]}")
                                .get("m"),
                        events);
        // ln(price) has a standard deviation of about 1.0; both models explain most of it.
        assertThat(linear.getRmse()).isLessThan(BOUND_DIAMONDS_RMSE);
        assertThat(mlp.getRmse()).isLessThan(BOUND_DIAMONDS_RMSE);
        assertThat(mlp.getMae()).isLessThan(linear.getMae());
    }

    static final double BOUND_DIAMONDS_RMSE = 0.30;
}
