package perpetua.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import perpetua.job.ModelSpecs;
import perpetua.replay.Evaluate;
import perpetua.replay.Summary;
import perpetua.schemas.ModelSpec;

/**
 * Perpetua's models on each benchmark stream, and their replay through {@link Evaluate}: the job's
 * own Learner and Evaluator in a local Flink, fed by the stream's CSV, roles, shuffle seed and
 * number of events, so that the replay sees the rows the peers saw, in the same order.
 *
 * <p>Each model is replayed on its own, so that its events/s is its own.
 */
final class PerpetuaModels {

    /**
     * What a row's spec is: tuned for its stream, the defaults (task and inputs only), or the
     * defaults with the {@code auto} search.
     */
    enum Kind {
        TUNED,
        DEFAULTS,
        SEARCH
    }

    /** One model: its row name, a short setting for the table, its spec as JSON, its kind. */
    record Model(String name, String setting, String json, Kind kind) {
        Model(String name, String setting, String json) {
            this(name, setting, json, Kind.TUNED);
        }

        ModelSpec spec() {
            try {
                return ModelSpecs.parse(json).values().iterator().next();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private PerpetuaModels() {}

    /** Fails unless the replay scored every event of the stream and refused none. */
    static void requireWhole(PeerStream s, Summary summary) {
        if (summary.labelled() != s.events.size() || summary.deadLetters() != 0) {
            throw new IllegalStateException(
                    String.format(
                            Locale.ROOT,
                            "the replay scored %d of the stream's %d events (%d refused)",
                            summary.labelled(),
                            s.events.size(),
                            summary.deadLetters()));
        }
    }

    /** The models measured on stream {@code s}. */
    static List<Model> of(PeerStream s) {
        List<Model> out = new ArrayList<>();
        switch (s.name) {
            case "flights" -> {
                out.add(
                        new Model(
                                "Perpetua logistic",
                                "lr: hashed 2^18, NORMALIZED_ADAGRAD (the default), maxBatch 256",
                                """
                                {"model":"lr","task":"BINARY","numericFeatures":["distance"],\
                                "hashBits":18,"maxBatch":256}"""));
                out.add(
                        new Model(
                                "Perpetua wide and deep",
                                "wd: hashed 2^18 + 3 crosses, embeddings of origin and"
                                        + " destination 8/8, hidden 16, Adam 0.01, maxBatch 64",
                                """
                                {"model":"wd","task":"BINARY","numericFeatures":["distance"],\
                                "hashBits":18,"embeddings":[{"feature":"origin","dim":8},\
                                {"feature":"destination","dim":8}],"embeddingBits":12,\
                                "interactions":["origin*destination","origin*hour",\
                                "destination*hour"],"hidden":[16],\
                                "optimizer":"ADAM","learningRate":0.01,"maxBatch":64}"""));
            }
            case "letter" -> {
                String numerics = quoted(s.numeric);
                out.add(
                        new Model(
                                "Perpetua softmax",
                                "linear softmax, Adam 0.05, maxBatch 32",
                                """
                                {"model":"letter-linear","task":"MULTICLASS","classes":26,\
                                "numericFeatures":%s,"optimizer":"ADAM","learningRate":0.05,\
                                "maxBatch":32}"""
                                        .formatted(numerics)));
                out.add(
                        new Model(
                                "Perpetua MLP",
                                "hidden 128, Adam 0.01, maxBatch 16",
                                """
                                {"model":"letter-mlp","task":"MULTICLASS","classes":26,\
                                "numericFeatures":%s,"hidden":[128],"optimizer":"ADAM",\
                                "learningRate":0.01,"maxBatch":16}"""
                                        .formatted(numerics)));
            }
            case "mnist" -> {
                out.add(
                        new Model(
                                "Perpetua MLP",
                                "dense 784 x 1/255, hidden 256, Adam 0.005, maxBatch 32",
                                """
                                {"model":"mnist-mlp","task":"MULTICLASS","classes":10,\
                                "denseSize":784,"denseScale":0.00392157,"hidden":[256],\
                                "optimizer":"ADAM","learningRate":0.005,"maxBatch":32,\
                                "wide":false}"""));
                out.add(
                        new Model(
                                "Perpetua softmax",
                                "dense 784 x 1/255, linear softmax, Adam 0.01, maxBatch 16",
                                """
                                {"model":"mnist-linear","task":"MULTICLASS","classes":10,\
                                "denseSize":784,"denseScale":0.00392157,"optimizer":"ADAM",\
                                "learningRate":0.01,"maxBatch":16,"wide":false}"""));
            }
            case "diamonds" -> {
                String numerics = quoted(s.numeric);
                out.add(
                        new Model(
                                "Perpetua linear",
                                "hashed 2^12, Adam 0.01, maxBatch 16",
                                """
                                {"model":"diamonds-linear","task":"REGRESSION","hashBits":12,\
                                "numericFeatures":%s,"optimizer":"ADAM","learningRate":0.01,\
                                "maxBatch":16}"""
                                        .formatted(numerics)));
                out.add(
                        new Model(
                                "Perpetua MLP",
                                "hashed 2^12, hidden 64,32, Adam 0.003, maxBatch 16",
                                """
                                {"model":"diamonds-mlp","task":"REGRESSION","hashBits":12,\
                                "numericFeatures":%s,"hidden":[64,32],"optimizer":"ADAM",\
                                "learningRate":0.003,"maxBatch":16}"""
                                        .formatted(numerics)));
            }
            default -> throw new IllegalArgumentException("no Perpetua models for " + s.name);
        }
        String inputs = inputs(s);
        out.add(
                new Model(
                        "Perpetua, defaults",
                        "task and inputs only",
                        "{\"model\":\"defaults\"," + inputs + "}",
                        Kind.DEFAULTS));
        out.add(
                new Model(
                        "Perpetua, auto search",
                        "task and inputs, \"search\": \"auto\"",
                        "{\"model\":\"auto\"," + inputs + ",\"search\":\"auto\"}",
                        Kind.SEARCH));
        return out;
    }

    /** The stream's task and inputs as spec fields: all that a spec with defaults names. */
    static String inputs(PeerStream s) {
        StringBuilder b = new StringBuilder("\"task\":\"").append(s.task).append('"');
        if (s.task == perpetua.schemas.Task.MULTICLASS) {
            b.append(",\"classes\":").append(s.classes);
        }
        if (s.denseSize > 0) {
            b.append(",\"denseSize\":").append(s.denseSize);
        }
        if (!s.numeric.isEmpty()) {
            b.append(",\"numericFeatures\":").append(quoted(s.numeric));
        }
        return b.toString();
    }

    /**
     * Replays stream {@code s} through {@code spec}: the stream's CSV and roles, its shuffle seed
     * (over the whole file, before the cap) and its number of events.
     */
    static Summary replay(PeerStream s, ModelSpec spec) throws Exception {
        return replay(s, spec, null, null);
    }

    /** Replays the first {@code events} of stream {@code s} through {@code spec}, quietly. */
    static Summary replay(PeerStream s, ModelSpec spec, long events) throws Exception {
        return Evaluate.run(
                s.csv,
                s.roles,
                spec,
                Evaluate.Options.defaults().shuffleSeed(s.shuffleSeed).limit(events));
    }

    /**
     * Replays as {@link #replay(PeerStream, ModelSpec)}, printing the curve and the life-cycle
     * records to {@code progress} and writing curve.csv and curve.png to {@code out}, when given.
     */
    static Summary replay(PeerStream s, ModelSpec spec, java.io.PrintStream progress, Path out)
            throws Exception {
        return Evaluate.run(
                s.csv,
                s.roles,
                spec,
                Evaluate.Options.defaults()
                        .shuffleSeed(s.shuffleSeed)
                        .limit(s.events.size())
                        .progress(progress)
                        .out(out));
    }

    private static String quoted(List<String> names) {
        return names.stream().map(n -> '"' + n + '"').toList().toString().replace(" ", "");
    }
}
