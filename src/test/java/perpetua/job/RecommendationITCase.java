package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static perpetua.testing.TopicTail.drain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import perpetua.cli.EventPublisher;
import perpetua.model.Explainer;
import perpetua.model.ScoringModel;
import perpetua.runtime.Topics;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;
import perpetua.schemas.RecommendedItem;
import perpetua.schemas.Task;
import perpetua.scoring.Scorer;
import perpetua.testing.Cli;
import perpetua.testing.KafkaBrokerExtension;
import perpetua.testing.SyntheticRatings;
import perpetua.testing.TestJobs;

/**
 * A recommender in the whole job on a real KRaft broker and a Flink MiniCluster: every request
 * event answered once on the recommendations topic under read_committed, ranking metrics on the
 * metrics topic, explained predictions; then the final snapshot served by the Scorer and by {@code
 * ./perpetua recommend} and {@code ./perpetua explain}.
 */
class RecommendationITCase {
    private static final String MODEL = "movies";
    private static final int RATINGS = 3000;
    private static final int REQUESTS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir static Path kafkaDir;

    private static ModelSpec spec() {
        return ModelSpec.newBuilder()
                .setModel(MODEL)
                .setTask(Task.REGRESSION)
                .setHashBits(12)
                .setFactors(8)
                .setFactorBits(12)
                .setMultiValued(List.of("genres"))
                .setItemFeature("item")
                .setItemFeatures(List.of("genres", "decade"))
                .setUserHistory(1000)
                .setRankingCandidates(50)
                .setOptimizer(OptimizerKind.ADAGRAD)
                .setLearningRate(0.1f)
                .setMaxBatch(20)
                .setMetricsWindow(500)
                .setExplainEvery(100)
                .setExplainTop(4)
                .build();
    }

    @Test
    void requestsAreAnsweredOnceAndTheSnapshotRecommendsAndExplains() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String events = "events-" + run;
        String predictions = "predictions-" + run;
        String metrics = "metrics-" + run;
        String models = "models-" + run;
        String recommendations = "recommendations-" + run;
        String bootstrap = KAFKA.bootstrapServers();
        Topics.create(bootstrap, 2, events, predictions, metrics, recommendations);
        Topics.create(bootstrap, 1, Map.of("cleanup.policy", "compact"), models);
        Topics.create(
                bootstrap,
                1,
                "history-" + run,
                "deadletters-" + run,
                "feedback-" + run,
                "control-" + run);

        // Ratings, with a request of user u(i % 10) after every 100th; what each user rated
        // before their request is what the answer must leave out.
        SyntheticRatings stream = SyntheticRatings.of(40, 200, RATINGS, MODEL, 21);
        Map<String, Set<String>> ratedBefore = new HashMap<>();
        Map<String, Set<String>> rated = new HashMap<>();
        try (EventPublisher publisher = new EventPublisher(bootstrap, events)) {
            for (int k = 0; k < RATINGS; k++) {
                Event e = stream.events.get(k);
                publisher.send(e);
                rated.computeIfAbsent(user(e), u -> new HashSet<>()).add(item(e));
                if (k % 100 == 99) {
                    String id = "ask-" + (k / 100);
                    String user = "u" + (k / 100 % 10);
                    ratedBefore.put(id, Set.copyOf(rated.getOrDefault(user, Set.of())));
                    publisher.send(
                            Event.newBuilder()
                                    .setId(id)
                                    .setModel(MODEL)
                                    .setTime(e.getTime())
                                    .setCategorical(Map.of("user", user))
                                    .setRecommend(5)
                                    .build());
                }
            }
            publisher.flush();
        }

        JobOptions options =
                JobOptions.fromArgs(
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic.events",
                        events,
                        "--topic.predictions",
                        predictions,
                        "--topic.metrics",
                        metrics,
                        "--topic.models",
                        models,
                        "--topic.models-history",
                        "history-" + run,
                        "--topic.deadletters",
                        "deadletters-" + run,
                        "--topic.feedback",
                        "feedback-" + run,
                        "--topic.control",
                        "control-" + run,
                        "--topic.recommendations",
                        recommendations,
                        "--group-id",
                        "it-" + run,
                        "--transactional-id-prefix",
                        "it-" + run,
                        "--starting-offsets",
                        "earliest",
                        "--bounded",
                        "true",
                        "--checkpoint-interval",
                        "500ms",
                        "--parallelism",
                        "2");
        StreamExecutionEnvironment env = TestJobs.environment(options);
        OnlineLearningJob.defineWorkflow(
                env,
                KafkaIo.events(options),
                new OnlineLearningJob.Models(
                        "feedback-" + run, "control-" + run, Map.of(MODEL, spec()), null, Map.of()),
                KafkaIo.sinks(options));
        env.execute("it-" + run);

        List<Recommendation> answers = drain(bootstrap, recommendations, Recommendation.class);
        List<Prediction> predicted = drain(bootstrap, predictions, Prediction.class);
        List<Metrics> windows = drain(bootstrap, metrics, Metrics.class);
        List<ModelSnapshot> snapshots = drain(bootstrap, models, ModelSnapshot.class);

        assertThat(answers)
                .as("one answer per request")
                .extracting(Recommendation::getRequestId)
                .containsExactlyInAnyOrderElementsOf(ratedBefore.keySet());
        for (Recommendation r : answers) {
            assertThat(r.getModel()).isEqualTo(MODEL);
            // An early request may find fewer items in the catalog than it asks for.
            assertThat(r.getItems()).hasSize(Math.min(5, r.getCandidates()));
            if (Integer.parseInt(r.getRequestId().substring(4)) >= 10) {
                assertThat(r.getItems()).hasSize(5);
            }
            assertThat(r.getItems())
                    .extracting(RecommendedItem::getItem)
                    .as("nothing %s rated before %s", r.getUser(), r.getRequestId())
                    .doesNotContainAnyElementsOf(ratedBefore.get(r.getRequestId()));
            assertThat(r.getItems())
                    .extracting(RecommendedItem::getScore)
                    .isSortedAccordingTo((a, b) -> Float.compare(b, a));
        }
        assertThat(predicted).as("requests are not predicted").hasSize(RATINGS);
        assertThat(predicted.stream().map(Prediction::getEventId).distinct().count())
                .isEqualTo(RATINGS);
        List<Prediction> explained =
                predicted.stream().filter(p -> !p.getContributions().isEmpty()).toList();
        assertThat(explained).hasSize(RATINGS / 100);
        explained.forEach(p -> assertThat(p.getContributions()).hasSize(4));

        // The last metrics window is the last 500 predictions (one model: one key, one
        // partition), and its hit rate is theirs.
        Metrics last =
                windows.stream().filter(m -> m.getHitRate() != null).reduce((a, b) -> b).get();
        List<Prediction> lastWindow = predicted.subList(RATINGS - 500, RATINGS);
        assertThat(lastWindow).allMatch(p -> p.getRank() != null);
        assertThat(last.getHitRate()).isCloseTo(hitRate(lastWindow), within(1e-9));
        assertThat(last.getNdcg()).isPositive();
        assertThat(last.getMrr()).isPositive();
        // 50 candidates and the item: chance is 10 / 51 = 0.196, with a standard error of 0.01
        // over the second half's 1,500 ranks.
        assertThat(hitRate(predicted.subList(RATINGS / 2, RATINGS)))
                .as("hit rate at 10 of 51")
                .isGreaterThan(0.23);

        ModelSnapshot latest =
                snapshots.stream()
                        .filter(s -> s.getModel().equals(MODEL))
                        .reduce((a, b) -> b)
                        .orElseThrow();
        ScoringModel direct = ScoringModel.of(latest);
        Recommendation expected = direct.recommend("u3", 5, 0L);
        assertThat(expected.getItems())
                .extracting(RecommendedItem::getItem)
                .doesNotContainAnyElementsOf(rated.get("u3"));

        try (Scorer scorer = Scorer.follow(bootstrap, models)) {
            assertThat(scorer.awaitVersion(MODEL, latest.getVersion(), Duration.ofSeconds(60)))
                    .isTrue();
            Recommendation served = scorer.recommend(MODEL, "u3", 5);
            assertThat(served.getItems()).isEqualTo(expected.getItems());
            assertThat(served.getModelVersion()).isEqualTo(latest.getVersion());
            Explainer.Explanation why = scorer.explain(stream.events.get(0));
            assertThat(why.total()).isCloseTo(why.score(), within(1e-3));
        }

        Cli.Run cli =
                Cli.perpetua(
                        "recommend",
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic.models",
                        models,
                        "--model",
                        MODEL,
                        "--user",
                        "u3",
                        "--k",
                        "5");
        assertThat(cli.exitCode()).isZero();
        JsonNode printed = JSON.readTree(cli.out().strip());
        List<String> items = new ArrayList<>();
        printed.get("items").forEach(i -> items.add(i.get("item").asText()));
        assertThat(items)
                .containsExactlyElementsOf(
                        expected.getItems().stream().map(RecommendedItem::getItem).toList());

        Path csv = kafkaDir.resolve("explain-" + run + ".csv");
        StringBuilder rows = new StringBuilder("id,user,item,genres,decade,rating\n");
        List<Event> asked = stream.events.subList(0, 3);
        for (Event e : asked) {
            Map<String, String> c = e.getCategorical();
            rows.append(String.join(",", e.getId(), user(e), item(e), c.get("genres")))
                    .append(',')
                    .append(c.get("decade"))
                    .append(',')
                    .append(e.getLabel())
                    .append('\n');
        }
        Files.writeString(csv, rows);
        Cli.Run explain =
                Cli.perpetua(
                        "explain",
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic.models",
                        models,
                        "--model",
                        MODEL,
                        "--csv",
                        csv.toString(),
                        "--id",
                        "id",
                        "--categorical",
                        "user,item,genres,decade",
                        "--label",
                        "rating",
                        "--top",
                        "3");
        assertThat(explain.exitCode()).isZero();
        List<String> lines = explain.out().lines().toList();
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            Explainer.Explanation want = direct.explain(asked.get(i));
            assertThat(line.get("eventId").asText()).isEqualTo(asked.get(i).getId());
            assertThat(line.get("score").asDouble()).isCloseTo(want.score(), within(1e-6));
            assertThat(line.get("sumOfContributions").asDouble())
                    .isCloseTo(line.get("score").asDouble(), within(1e-3));
            assertThat(line.get("contributions")).hasSize(3);
            assertThat(line.get("contributions").get(0).get("input").asText())
                    .isEqualTo(want.terms().get(0).input());
        }
    }

    private static double hitRate(List<Prediction> ranked) {
        return ranked.stream().filter(p -> p.getRank() <= 10).count() / (double) ranked.size();
    }

    private static String user(Event e) {
        return e.getCategorical().get("user");
    }

    private static String item(Event e) {
        return e.getCategorical().get("item");
    }
}
