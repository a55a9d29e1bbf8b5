package perpetua.peers;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import perpetua.schemas.Event;
import perpetua.schemas.Task;
import vowpalWabbit.learner.VWLearner;
import vowpalWabbit.learner.VWLearners;
import vowpalWabbit.learner.VWScalarLearner;
import vowpalWabbit.learner.VWScalarsLearner;

/**
 * Vowpal Wabbit (through {@code vw-jni}) as a {@link StreamLearner}.
 *
 * <p>An event becomes one VW text example. Namespaces: {@code n} numeric and dense features (raw:
 * VW's default normalized adaptive update scales them), {@code o} origin, {@code d} destination,
 * {@code t} hour and day of week, {@code c} every other categorical; so {@code -q od} crosses
 * exactly origin with destination. Labels: BINARY {@code 1} / {@code -1}, MULTICLASS {@code k+1},
 * REGRESSION the value. VW's learn call returns the prediction it made before its update, so a
 * prequential step is one call.
 */
final class VwLearner implements StreamLearner {
    private static final Pattern SYNTAX = Pattern.compile("[\\s|:]");

    private final String name;
    private final String arguments;
    private final PeerStream stream;
    private final VWLearner vw;
    private final StringBuilder line = new StringBuilder(256);

    private VwLearner(String name, String arguments, PeerStream stream) {
        this.name = name;
        this.arguments = arguments;
        this.stream = stream;
        this.vw = VWLearners.create(arguments);
    }

    /** Logistic regression on hashed features, {@code extra} added to the arguments. */
    static VwLearner logistic(String name, String extra, PeerStream s) {
        return new VwLearner(
                name,
                ("--quiet -b 18 --loss_function logistic --link logistic " + extra).trim(),
                s);
    }

    /** One-against-all logistic over the stream's classes, with probabilities. */
    static VwLearner oneAgainstAll(String name, PeerStream s) {
        return new VwLearner(
                name,
                "--quiet -b 18 --oaa " + s.classes + " --loss_function logistic --probabilities",
                s);
    }

    /** Linear regression, squared loss. */
    static VwLearner squared(String name, PeerStream s) {
        return new VwLearner(name, "--quiet -b 18 --loss_function squared", s);
    }

    /** The VW command line this learner was created with. */
    String arguments() {
        return arguments;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] predict(Event event) {
        return scores(call(example(event, false), false));
    }

    @Override
    public void learn(Event event) {
        call(example(event, true), true);
    }

    @Override
    public double[] predictThenLearn(Event event) {
        return scores(call(example(event, true), true));
    }

    private Object call(String example, boolean learn) {
        if (vw instanceof VWScalarLearner scalar) {
            return learn ? scalar.learn(example) : scalar.predict(example);
        }
        VWScalarsLearner scalars = (VWScalarsLearner) vw;
        return learn ? scalars.learn(example) : scalars.predict(example);
    }

    private double[] scores(Object prediction) {
        if (stream.task == Task.REGRESSION) {
            return new double[] {(Float) prediction};
        }
        if (stream.task == Task.BINARY) {
            double p = (Float) prediction;
            return new double[] {1 - p, p};
        }
        float[] p = (float[]) prediction;
        double[] out = new double[stream.classes];
        for (int k = 0; k < out.length; k++) {
            out[k] = p[k];
        }
        return out;
    }

    private String example(Event e, boolean withLabel) {
        StringBuilder b = line;
        b.setLength(0);
        if (withLabel) {
            double y = PeerStream.label(e);
            switch (stream.task) {
                case BINARY -> b.append(y > 0 ? "1" : "-1");
                case MULTICLASS -> b.append((int) y + 1);
                default -> b.append(y);
            }
        }
        b.append(" |n");
        List<Float> dense = e.getDense();
        for (int i = 0; i < dense.size(); i++) {
            float v = dense.get(i);
            if (v != 0f) {
                b.append(" p").append(i).append(':').append(v);
            }
        }
        for (Map.Entry<String, Double> f : e.getNumeric().entrySet()) {
            b.append(' ').append(clean(f.getKey())).append(':').append(f.getValue());
        }
        for (Map.Entry<String, String> c : e.getCategorical().entrySet()) {
            b.append(" |").append(namespace(c.getKey())).append(' ');
            b.append(clean(c.getKey())).append('=').append(clean(c.getValue()));
        }
        return b.toString();
    }

    private static char namespace(String feature) {
        return switch (feature) {
            case "origin" -> 'o';
            case "destination" -> 'd';
            case "hour", "dow" -> 't';
            default -> 'c';
        };
    }

    /** VW reads whitespace, '|' and ':' as syntax. */
    private static String clean(String s) {
        return SYNTAX.matcher(s).replaceAll("_");
    }

    @Override
    public void close() throws Exception {
        vw.close();
    }
}
