package perpetua.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import perpetua.job.ModelSpecs;
import perpetua.model.ScoringModel;
import perpetua.replay.Evaluate;
import perpetua.replay.Summary;
import perpetua.runtime.CsvEvents;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Recommendation;
import perpetua.schemas.Sampling;

/**
 * The recommendation benchmark on a rating stream ({@code movielens}): the peers (MOA's BRISMF and
 * baseline predictors, Vowpal Wabbit's matrix factorization and quadratic models, popularity) and
 * Perpetua's recommenders, each prequential over the same events with the same ranking protocol,
 * and the latency of a recommendation over the whole catalog from Perpetua's final snapshot.
 *
 * <p>The protocol is Perpetua's own (its spec fields in brackets): before an event is learned, its
 * item is ranked among {@link #CANDIDATES} [rankingCandidates] items its user had not rated, drawn
 * with seed {@link #SEED} [seed] uniformly or by popularity [sampling]; hit rate and NDCG at {@link
 * #K} [rankingK]. The memory's bounds (catalog, users, items per user) hold every item and every
 * rating of MovieLens latest-small, so "not rated" is exact.
 */
final class RecommenderStreams {
    static final String USER = "user";
    static final String ITEM = "movie";
    static final List<String> ITEM_FEATURES = List.of("genres", "year");
    static final long SEED = 42;
    static final int CANDIDATES = 100;
    static final int K = 10;
    static final int CATALOG_SIZE = 100_000;
    static final int HISTORY_USERS = 1_000;
    static final int USER_HISTORY = 5_000;

    /** Timed recommendations per Perpetua model, after {@link #WARMUP} untimed ones. */
    static final int TIMED = 1_000;

    static final int WARMUP = 200;

    /** A learner of the recommendation benchmark: a peer, or a Perpetua spec and its roles. */
    record Candidate(
            String name,
            String setting,
            Callable<RecommenderLearner> create,
            String json,
            boolean implicit) {}

    /** The latency of one model's recommendations over the whole catalog, milliseconds. */
    record Latency(String model, int catalog, double p50, double p99, double mean, int calls) {}

    private RecommenderStreams() {}

    /** The learners of the benchmark, with their settings as the report states them. */
    static List<Candidate> candidates(Sampling sampling) {
        List<Candidate> out = new ArrayList<>();
        out.add(
                new Candidate(
                        "MOA BRISMFPredictor",
                        "defaults: 20 features, lRate 0.001, rFactor 0.01, 100 iterations",
                        () -> MoaRecommender.brismf("MOA BRISMFPredictor", ""),
                        null,
                        false));
        out.add(
                new Candidate(
                        "MOA BaselinePredictor",
                        "defaults",
                        () -> MoaRecommender.baseline("MOA BaselinePredictor"),
                        null,
                        false));
        String vw = "-b 20 --loss_function squared";
        for (String[] v :
                List.of(
                        // The best of the VW settings tried on this stream (BENCHMARKS.md).
                        new String[] {
                            "VW --rank 10", vw + " -q um --rank 10 --l2 0.001 -l 0.05 --power_t 0"
                        },
                        new String[] {"VW -q um", vw + " -q um"},
                        new String[] {
                            "VW --lrq um10", vw + " --lrq um10 --lrqdropout -l 0.015 --power_t 0"
                        })) {
            out.add(new Candidate(v[0], v[1], () -> new VwRecommender(v[0], v[1]), null, false));
        }
        out.add(
                new Candidate(
                        "Popularity",
                        "interaction counts so far; rating: the mean so far",
                        PopularityRecommender::new,
                        null,
                        false));
        String common =
                ("\"itemFeature\":\"movie\",\"itemFeatures\":[\"genres\",\"year\"],"
                                + "\"userFeature\":\"user\",\"multiValued\":[\"genres\"],"
                                + "\"rankingCandidates\":%d,\"rankingK\":%d,\"sampling\":\"%s\","
                                + "\"catalogSize\":%d,\"historyUsers\":%d,\"userHistory\":%d,"
                                + "\"seed\":%d,\"metricsWindow\":10000")
                        .formatted(
                                CANDIDATES,
                                K,
                                sampling,
                                CATALOG_SIZE,
                                HISTORY_USERS,
                                USER_HISTORY,
                                SEED);
        out.add(
                new Candidate(
                        "Perpetua, defaults",
                        "the task, the inputs and the recommender's roles only: the spec"
                                + " defaults (linear, NORMALIZED_ADAGRAD, maxBatch 1)",
                        null,
                        "{\"model\":\"ml-defaults\",\"task\":\"REGRESSION\",%s}".formatted(common),
                        false));
        out.add(
                new Candidate(
                        "Perpetua MF",
                        "matrix factorization: factors 32 of user and movie, wide biases of"
                                + " every input, AdaGrad 0.05, maxBatch 1",
                        null,
                        ("{\"model\":\"ml-mf\",\"task\":\"REGRESSION\",\"hashBits\":16,"
                                        + "\"factors\":32,\"factorBits\":16,"
                                        + "\"factorFeatures\":[\"user\",\"movie\"],"
                                        + "\"optimizer\":\"ADAGRAD\",\"learningRate\":0.05,"
                                        + "\"l2\":0.0001,\"maxBatch\":1,%s}")
                                .formatted(common),
                        false));
        out.add(
                new Candidate(
                        "Perpetua FM",
                        "factorization machine: factors 32 of user, movie, genres, year;"
                                + " AdaGrad 0.05, maxBatch 1",
                        null,
                        ("{\"model\":\"ml-fm\",\"task\":\"REGRESSION\",\"hashBits\":16,"
                                        + "\"factors\":32,\"factorBits\":16,"
                                        + "\"optimizer\":\"ADAGRAD\",\"learningRate\":0.05,"
                                        + "\"l2\":0.0001,\"maxBatch\":1,%s}")
                                .formatted(common),
                        false));
        out.add(
                new Candidate(
                        "Perpetua FM implicit",
                        "implicit feedback (a rating is an interaction, label 1): factorization"
                                + " machine as above, 4 sampled negatives per interaction,"
                                + " AdaGrad 0.1, maxBatch 1",
                        null,
                        ("{\"model\":\"ml-implicit\",\"task\":\"BINARY\",\"hashBits\":16,"
                                        + "\"factors\":32,\"factorBits\":16,"
                                        + "\"negativeSamples\":4,"
                                        + "\"optimizer\":\"ADAGRAD\",\"learningRate\":0.1,"
                                        + "\"l2\":0.0001,\"maxBatch\":1,%s}")
                                .formatted(common),
                        true));
        out.add(
                new Candidate(
                        "Perpetua FM implicit, sequence",
                        "the implicit factorization machine with each interaction's context: its"
                                + " user's last 20 movies (recentItems 20) and its movie's"
                                + " activity (itemActivity); 8 sampled negatives per interaction,"
                                + " AdaGrad 0.1, maxBatch 1",
                        null,
                        ("{\"model\":\"ml-sequence\",\"task\":\"BINARY\",\"hashBits\":16,"
                                        + "\"factors\":32,\"factorBits\":16,"
                                        + "\"negativeSamples\":8,"
                                        + "\"recentItems\":20,\"itemActivity\":true,"
                                        + "\"optimizer\":\"ADAGRAD\",\"learningRate\":0.1,"
                                        + "\"l2\":0.0001,\"maxBatch\":1,%s}")
                                .formatted(common),
                        true));
        out.add(
                new Candidate(
                        "Perpetua FM implicit, sequence, co-occurrence, pairwise",
                        "the sequence model with each movie's co-occurrence with its user's last"
                                + " 20 movies (cooccurrenceBits 20: @cooc) and the pairwise loss of"
                                + " BPR over each interaction and its 8 negatives (pairwise);"
                                + " 2^18 wide and factor rows, AdaGrad 0.05, maxBatch 1",
                        null,
                        ("{\"model\":\"ml-pairwise\",\"task\":\"BINARY\",\"hashBits\":18,"
                                        + "\"factors\":32,\"factorBits\":18,"
                                        + "\"negativeSamples\":8,"
                                        + "\"recentItems\":20,\"itemActivity\":true,"
                                        + "\"cooccurrenceBits\":20,\"pairwise\":true,"
                                        + "\"optimizer\":\"ADAGRAD\",\"learningRate\":0.05,"
                                        + "\"l2\":0.0001,\"maxBatch\":1,%s}")
                                .formatted(common),
                        true));
        return out;
    }

    /** Runs a peer over the stream, prequentially. */
    static PeerBenchmark.Row runPeer(PeerStream s, Candidate c, Sampling sampling)
            throws Exception {
        RankingPrequential q = new RankingPrequential(sampling == Sampling.POPULARITY);
        try (RecommenderLearner learner = c.create().call()) {
            int report = Math.max(1, s.events.size() / 10);
            for (int i = 0; i < s.events.size(); i++) {
                q.add(learner, s.events.get(i));
                if ((i + 1) % report == 0 && i + 1 < s.events.size()) {
                    System.err.printf(
                            Locale.ROOT,
                            "  %s / %s: %,d events, %.1f s, hr10 %.4f%n",
                            s.name,
                            c.name(),
                            i + 1,
                            q.seconds(),
                            q.hitRate());
                }
            }
        }
        return new PeerBenchmark.Row(
                s,
                c.name(),
                c.setting(),
                q.events(),
                false,
                new PeerBenchmark.Quality(
                        Double.NaN,
                        Double.NaN,
                        Double.NaN,
                        q.rmse(),
                        q.mae(),
                        q.hitRate(),
                        q.ndcg()),
                q.seconds(),
                null,
                false);
    }

    /**
     * Replays the stream through a Perpetua recommender with {@code ./perpetua evaluate}'s code and
     * measures the latency of its recommendations from its final snapshot.
     */
    static PeerBenchmark.Row runPerpetua(PeerStream s, Candidate c, List<Latency> latencies)
            throws Exception {
        ModelSpec spec = spec(c.json());
        CsvEvents.Roles roles = s.roles.copy();
        if (c.implicit()) {
            // Every rating is an interaction: label 1.
            roles.labelAbove = 0.0;
        }
        AtomicReference<ModelSnapshot> last = new AtomicReference<>();
        Summary summary =
                Evaluate.run(
                        s.csv,
                        roles,
                        spec,
                        Evaluate.Options.defaults()
                                .limit(s.events.size())
                                .finalSnapshots(last::set));
        System.err.println("  " + s.name + " / " + c.name() + ": " + summary.line());
        PerpetuaModels.requireWhole(s, summary);
        if (last.get() != null) {
            latencies.add(latency(c.name(), last.get(), s));
        }
        return new PeerBenchmark.Row(
                s,
                c.name(),
                c.setting(),
                summary.labelled(),
                false,
                PeerBenchmark.Quality.of(summary),
                summary.seconds(),
                null,
                true);
    }

    /**
     * The latency of {@link ScoringModel#recommend} (what {@code Scorer.recommend} runs under its
     * lock) for the top 10 over the whole catalog, users taken in turn from the stream.
     */
    static Latency latency(String name, ModelSnapshot snapshot, PeerStream s) {
        ScoringModel model = ScoringModel.of(snapshot);
        List<String> users =
                s.events.stream().map(e -> e.getCategorical().get(USER)).distinct().toList();
        double[] millis = new double[TIMED];
        for (int i = 0; i < WARMUP + TIMED; i++) {
            String user = users.get(i % users.size());
            long t0 = System.nanoTime();
            Recommendation r = model.recommend(user, K, 0L);
            long t1 = System.nanoTime();
            if (r.getItems().size() != K) {
                throw new IllegalStateException("recommended " + r.getItems().size() + " items");
            }
            if (i >= WARMUP) {
                millis[i - WARMUP] = (t1 - t0) / 1e6;
            }
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(millis).average().orElse(Double.NaN);
        return new Latency(
                name,
                model.memory().size(),
                sorted[(int) Math.floor(0.50 * (TIMED - 1))],
                sorted[(int) Math.floor(0.99 * (TIMED - 1))],
                mean,
                TIMED);
    }

    static ModelSpec spec(String json) {
        try {
            return ModelSpecs.parse(json).values().iterator().next();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether an event's user and item are those of this benchmark's stream. */
    static boolean fits(Event e) {
        return e.getCategorical().containsKey(USER) && e.getCategorical().containsKey(ITEM);
    }
}
