package perpetua.peers;

import java.util.HashMap;
import java.util.Map;
import perpetua.catalog.InteractionMemory;
import perpetua.metrics.Ranking;
import perpetua.schemas.Event;

/**
 * Prequential quality of one recommender on a rating stream, with Perpetua's own protocol: before
 * an event is learned, its rating is predicted (RMSE, MAE) and its item ranked among candidates
 * drawn by an {@link InteractionMemory} as a Perpetua recommender of {@link RecommenderStreams}'
 * settings draws them (the same seed, bounds and sampling, so every learner is ranked on the very
 * candidates Perpetua's models were), with Perpetua's {@link Ranking} (hit rate and NDCG at k).
 *
 * <p>Only the learner's calls are timed; the memory's draws and bookkeeping are not.
 */
final class RankingPrequential {
    private final InteractionMemory memory;
    private final boolean byPopularity;
    private long events;
    private double absErrors;
    private double squaredErrors;
    private long ranked;
    private double hits;
    private double ndcg;
    private long nanos;

    RankingPrequential(boolean byPopularity) {
        this.memory =
                new InteractionMemory(
                        RecommenderStreams.CATALOG_SIZE,
                        RecommenderStreams.HISTORY_USERS,
                        RecommenderStreams.USER_HISTORY);
        this.byPopularity = byPopularity;
    }

    /** Ranks, predicts and learns one event, then remembers its interaction. */
    void add(RecommenderLearner learner, Event e) {
        Map<String, String> c = e.getCategorical();
        String user = c.get(RecommenderStreams.USER);
        String item = c.get(RecommenderStreams.ITEM);
        String[] candidates =
                memory.sample(
                        user,
                        item,
                        RecommenderStreams.CANDIDATES,
                        memory.random(RecommenderStreams.SEED),
                        byPopularity);
        long t0 = System.nanoTime();
        double[] scores = candidates == null ? null : learner.score(e, candidates, memory);
        double predicted = learner.predictThenLearn(e);
        nanos += System.nanoTime() - t0;
        double error = predicted - PeerStream.label(e);
        if (!Double.isFinite(error)) {
            throw new IllegalStateException(learner.name() + " predicted " + predicted);
        }
        events++;
        absErrors += Math.abs(error);
        squaredErrors += error * error;
        if (scores != null) {
            float[] s = new float[scores.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = (float) scores[i];
            }
            int rank = Ranking.rank(s[0], s, 1, candidates.length);
            ranked++;
            hits += Ranking.hit(rank, RecommenderStreams.K) ? 1 : 0;
            ndcg += Ranking.ndcg(rank, RecommenderStreams.K);
        }
        Map<String, String> itemSide = new HashMap<>();
        Map<String, String> userSide = new HashMap<>(c);
        userSide.remove(RecommenderStreams.USER);
        userSide.remove(RecommenderStreams.ITEM);
        for (String f : RecommenderStreams.ITEM_FEATURES) {
            String v = userSide.remove(f);
            if (v != null) {
                itemSide.put(f, v);
            }
        }
        memory.record(user, item, itemSide, userSide);
    }

    long events() {
        return events;
    }

    double rmse() {
        return events == 0 ? Double.NaN : Math.sqrt(squaredErrors / events);
    }

    double mae() {
        return events == 0 ? Double.NaN : absErrors / events;
    }

    double hitRate() {
        return ranked == 0 ? Double.NaN : hits / ranked;
    }

    double ndcg() {
        return ranked == 0 ? Double.NaN : ndcg / ranked;
    }

    long ranked() {
        return ranked;
    }

    double seconds() {
        return nanos / 1e9;
    }
}
