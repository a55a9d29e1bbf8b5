package perpetua.peers;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import perpetua.catalog.InteractionMemory;
import perpetua.schemas.Event;
import vowpalWabbit.learner.VWLearners;
import vowpalWabbit.learner.VWScalarLearner;

/**
 * Vowpal Wabbit (through {@code vw-jni}) as a {@link RecommenderLearner} on a rating stream:
 * squared loss on the rating, namespaces {@code u} (user), {@code m} (movie), {@code g} (its
 * genres, one feature each) and {@code y} (its year), so that {@code -q um}, {@code --rank K} (with
 * {@code -q um}) and {@code --lrq umK} cross exactly user with movie and the genres and year stay
 * linear. VW's learn call returns its prediction from before the update; the event and its
 * candidates are scored by predict calls, which do not learn.
 */
final class VwRecommender implements RecommenderLearner {
    private static final Pattern SYNTAX = Pattern.compile("[\\s|:]");

    private final String name;
    private final VWScalarLearner vw;
    private final StringBuilder line = new StringBuilder(256);

    VwRecommender(String name, String arguments) {
        this.name = name;
        this.vw = VWLearners.create("--quiet " + arguments);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(Event event, String[] items, InteractionMemory catalog) {
        double[] out = new double[items.length + 1];
        out[0] = vw.predict(example(event, event.getCategorical(), false));
        Map<String, String> c = new HashMap<>(event.getCategorical());
        for (int i = 0; i < items.length; i++) {
            Map<String, String> side = catalog.features(items[i]);
            c.put(RecommenderStreams.ITEM, items[i]);
            c.put("genres", side == null ? "" : side.getOrDefault("genres", ""));
            c.put("year", side == null ? "" : side.getOrDefault("year", ""));
            out[i + 1] = vw.predict(example(event, c, false));
        }
        return out;
    }

    @Override
    public double predictThenLearn(Event event) {
        // VW's learn call returns the prediction it made before its update.
        return vw.learn(example(event, event.getCategorical(), true));
    }

    private String example(Event e, Map<String, String> c, boolean withLabel) {
        StringBuilder b = line;
        b.setLength(0);
        if (withLabel) {
            b.append(PeerStream.label(e));
        }
        b.append(" |u u").append(clean(c.get(RecommenderStreams.USER)));
        b.append(" |m m").append(clean(c.get(RecommenderStreams.ITEM)));
        b.append(" |g");
        String genres = c.getOrDefault("genres", "");
        for (String g : genres.split("\\|")) {
            if (!g.isEmpty()) {
                b.append(' ').append(clean(g));
            }
        }
        b.append(" |y y").append(clean(c.getOrDefault("year", "")));
        return b.toString();
    }

    private static String clean(String s) {
        return SYNTAX.matcher(s).replaceAll("_");
    }

    @Override
    public void close() throws Exception {
        vw.close();
    }
}
