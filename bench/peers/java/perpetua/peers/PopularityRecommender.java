package perpetua.peers;

import java.util.HashMap;
import java.util.Map;
import perpetua.catalog.InteractionMemory;
import perpetua.schemas.Event;

/**
 * The popularity baseline: every user is offered the items with the most interactions so far, and
 * every rating is predicted as the mean rating so far. It knows nothing of the user.
 */
final class PopularityRecommender implements RecommenderLearner {
    private final Map<String, Long> counts = new HashMap<>();
    private double ratingSum;
    private long ratings;

    @Override
    public String name() {
        return "Popularity";
    }

    @Override
    public double[] score(Event event, String[] items, InteractionMemory catalog) {
        double[] out = new double[items.length + 1];
        out[0] = counts.getOrDefault(event.getCategorical().get(RecommenderStreams.ITEM), 0L);
        for (int i = 0; i < items.length; i++) {
            out[i + 1] = counts.getOrDefault(items[i], 0L);
        }
        return out;
    }

    @Override
    public double predictThenLearn(Event event) {
        double mean = ratings == 0 ? 0.0 : ratingSum / ratings;
        counts.merge(event.getCategorical().get(RecommenderStreams.ITEM), 1L, Long::sum);
        ratingSum += PeerStream.label(event);
        ratings++;
        return mean;
    }
}
