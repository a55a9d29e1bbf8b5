package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static perpetua.testing.Cli.perpetua;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import perpetua.cli.EventPublisher;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelState;
import perpetua.schemas.Prediction;
import perpetua.scoring.Scorer;
import perpetua.testing.KafkaBrokerExtension;
import perpetua.testing.Streams;
import perpetua.testing.TestJobs;
import perpetua.testing.TopicTail;
import perpetua.wire.WireFormat;

/**
 * A model's life on a real KRaft broker and a Flink MiniCluster: created, updated and retired
 * through the control topic, resumed from the model stream, learning from late labels, replaced by
 * a challenger, and scored outside Flink with the job's own numbers.
 */
class ModelLifeCycleITCase {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
    private static String bootstrap;

    @BeforeAll
    static void startKafka() {
        bootstrap = KAFKA.bootstrapServers();
    }

    /** Topics of one test. */
    private record Topics(String run) {
        String events() {
            return "events-" + run;
        }

        String feedback() {
            return "feedback-" + run;
        }

        String control() {
            return "control-" + run;
        }

        String predictions() {
            return "predictions-" + run;
        }

        String metrics() {
            return "metrics-" + run;
        }

        String models() {
            return "models-" + run;
        }

        String history() {
            return "history-" + run;
        }

        String deadletters() {
            return "deadletters-" + run;
        }
    }

    private static Topics topics() {
        return new Topics(UUID.randomUUID().toString().substring(0, 8));
    }

    private static JobOptions options(Topics t, String... extra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--bootstrap-servers", bootstrap,
                                "--topic.events", t.events(),
                                "--topic.feedback", t.feedback(),
                                "--topic.control", t.control(),
                                "--topic.predictions", t.predictions(),
                                "--topic.metrics", t.metrics(),
                                "--topic.models", t.models(),
                                "--topic.models-history", t.history(),
                                "--topic.deadletters", t.deadletters(),
                                "--group-id", "it-" + t.run(),
                                "--transactional-id-prefix", "it-" + UUID.randomUUID(),
                                "--checkpoint-interval", "300ms",
                                "--parallelism", "2"));
        args.addAll(List.of(extra));
        JobOptions o = JobOptions.fromArgs(args.toArray(String[]::new));
        KafkaIo.createTopics(o, 2);
        return o;
    }

    private static StreamExecutionEnvironment environment(JobOptions o) throws Exception {
        StreamExecutionEnvironment env = TestJobs.environment(o);
        OnlineLearningJob.defineWorkflow(
                env, KafkaIo.events(o), OnlineLearningJob.Models.of(o), KafkaIo.sinks(o));
        return env;
    }

    private static String[] cli(Topics t, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(
                List.of(
                        "--bootstrap-servers", bootstrap,
                        "--control-topic", t.control(),
                        "--models-topic", t.models(),
                        "--history-topic", t.history()));
        return all.toArray(String[]::new);
    }

    private static void publish(String topic, List<Event> events) {
        try (EventPublisher p = new EventPublisher(bootstrap, topic)) {
            events.forEach(p::send);
            p.flush();
        }
    }

    private static String spec(String model, String extra) {
        return "{\"model\":\""
                + model
                + "\",\"task\":\"BINARY\",\"denseSize\":4,\"numericFeatures\":[\"x\"],"
                + "\"hashBits\":10,\"optimizer\":\"ADAM\",\"learningRate\":0.05,\"maxBatch\":32,"
                + "\"maxDelayMs\":20,"
                + "\"snapshotEveryBatches\":0,\"snapshotEverySeconds\":0"
                + extra
                + "}";
    }

    private static Event probe(String model, String id) {
        Event e = Streams.binaryEvents(model, 1, 99).get(0);
        return Event.newBuilder(e).setId(id).setLabel(null).setNumeric(Map.of()).build();
    }

    private static Prediction of(List<Prediction> all, String eventId) {
        return all.stream().filter(p -> p.getEventId().equals(eventId)).findFirst().orElseThrow();
    }

    @Test
    void createLearnUpdateAndRetireThroughTheControlTopic() throws Exception {
        Topics t = topics();
        JobOptions o = options(t);
        JobClient job = environment(o).executeAsync("it-life");
        try (var predictions = new TopicTail<>(bootstrap, t.predictions(), Prediction.class);
                var models = new TopicTail<>(bootstrap, t.models(), ModelSnapshot.class);
                var dead = new TopicTail<>(bootstrap, t.deadletters(), DeadLetter.class)) {
            assertThat(perpetua(cli(t, "models", "create", "--spec", spec("life", ""))).exitCode())
                    .isZero();
            models.await("the created snapshot", WAIT, s -> !s.isEmpty());

            publish(t.events(), Streams.binaryEvents("life", 1000, 31));
            predictions.await("1000 predictions", WAIT, p -> p.size() == 1000);
            publish(t.events(), List.of(probe("life", "probe-1")));
            Prediction before =
                    of(
                            predictions.await("the first probe", WAIT, p -> p.size() == 1001),
                            "probe-1");
            assertThat(before.getModelVersion()).isGreaterThan(30);

            String faster = spec("life", ",\"learningRate\":0.5");
            assertThat(perpetua(cli(t, "models", "update", "--spec", faster)).exitCode()).isZero();
            ModelSnapshot updated =
                    models
                            .await(
                                    "the updated snapshot",
                                    WAIT,
                                    s -> s.stream().anyMatch(x -> "updated".equals(x.getEvent())))
                            .stream()
                            .filter(x -> "updated".equals(x.getEvent()))
                            .findFirst()
                            .orElseThrow();
            assertThat(updated.getSpec().getLearningRate()).isEqualTo(0.5f);
            assertThat(updated.getVersion()).isEqualTo(before.getModelVersion());
            publish(t.events(), List.of(probe("life", "probe-2")));
            Prediction after =
                    of(
                            predictions.await("the second probe", WAIT, p -> p.size() == 1002),
                            "probe-2");
            assertThat(after.getModelVersion()).isEqualTo(before.getModelVersion());
            assertThat(after.getScores()).isEqualTo(before.getScores());

            assertThat(perpetua(cli(t, "models", "retire", "--model", "life")).exitCode()).isZero();
            models.await(
                    "the final snapshot",
                    WAIT,
                    s -> s.get(s.size() - 1).getState() == ModelState.RETIRED);
            publish(t.events(), Streams.binaryEvents("life", 10, 32));
            dead.await(
                    "10 dead letters",
                    WAIT,
                    d ->
                            d.stream()
                                            .filter(
                                                    x ->
                                                            x.getReason()
                                                                    .equals("unknown model 'life'"))
                                            .count()
                                    == 10);
            assertThat(predictions.all()).hasSize(1002);
            assertThat(perpetua(cli(t, "models", "list")).out()).contains("retired");
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void aJobWithoutStateResumesFromTheModelStreamAndTheScorerAgreesWithIt() throws Exception {
        Topics t = topics();
        List<Event> events = Streams.binaryEvents("warm", 1200, 41);
        JobOptions first = options(t, "--bounded", "true", "--spec", spec("warm", ""));
        publish(t.events(), events.subList(0, 1000));
        environment(first).execute("it-warm-1");

        ModelSnapshot last;
        try (var models = new TopicTail<>(bootstrap, t.models(), ModelSnapshot.class)) {
            List<ModelSnapshot> all =
                    models.await(
                            "the final snapshot",
                            WAIT,
                            m -> m.stream().anyMatch(x -> "final".equals(x.getEvent())));
            last = all.get(all.size() - 1);
        }
        assertThat(last.getEvent()).isEqualTo("final");
        assertThat(last.getVersion()).isGreaterThan(25);

        try (Scorer scorer = Scorer.follow(bootstrap, t.models())) {
            assertThat(scorer.awaitVersion("warm", last.getVersion(), WAIT)).isTrue();
            // Scored outside Flink now, at the version the next job resumes from. Every event,
            // because the next job starts from the offsets the first committed, which may lie a
            // few events before the end of what the first one read.
            Map<String, Prediction> outside = new HashMap<>();
            scorer.score(events).forEach(p -> outside.put(p.getEventId(), p));
            List<Event> next = events.subList(1000, 1200);
            publish(t.events(), next);
            long secondStarted = System.currentTimeMillis();
            // No spec this time: the model comes back from its latest snapshot.
            environment(options(t, "--bounded", "true")).execute("it-warm-2");

            List<Prediction> resumed;
            try (var predictions = new TopicTail<>(bootstrap, t.predictions(), Prediction.class)) {
                resumed =
                        predictions
                                .await(
                                        "the second job's predictions of the 200 new events",
                                        WAIT,
                                        p ->
                                                p.stream()
                                                                .filter(
                                                                        x ->
                                                                                x.getPredictedAt()
                                                                                        >= secondStarted)
                                                                .filter(
                                                                        x ->
                                                                                x.getTime()
                                                                                        >= next.get(
                                                                                                        0)
                                                                                                .getTime())
                                                                .count()
                                                        == 200)
                                .stream()
                                .filter(x -> x.getPredictedAt() >= secondStarted)
                                .toList();
            }
            assertThat(resumed.get(0).getModelVersion()).isEqualTo(last.getVersion());
            assertThat(resumed.get(resumed.size() - 1).getModelVersion())
                    .isGreaterThan(last.getVersion());

            List<Prediction> firstBatch =
                    resumed.stream().filter(p -> p.getModelVersion() == last.getVersion()).toList();
            assertThat(firstBatch).isNotEmpty();
            for (Prediction job : firstBatch) {
                Prediction p = outside.get(job.getEventId());
                assertThat(p.getModelVersion()).isEqualTo(job.getModelVersion());
                assertThat(p.getLabel()).isEqualTo(job.getLabel());
                for (int k = 0; k < 2; k++) {
                    assertThat(p.getScores().get(k))
                            .isCloseTo(job.getScores().get(k), within(1e-5f));
                }
            }
        }
        try (var history = new TopicTail<>(bootstrap, t.history(), ModelSnapshot.class)) {
            assertThat(history.all())
                    .extracting(ModelSnapshot::getEvent)
                    .contains("created", "final", "resumed");
        }
    }

    @Test
    void lateLabelsAndExpiredWaitsScoreWhatWasServed() throws Exception {
        Topics t = topics();
        String spec =
                spec(
                        "late",
                        ",\"labelWaitMs\":5000,\"implicitLabel\":0.0,\"metricsWindow\":200,"
                                + "\"maxBatch\":16");
        JobClient job = environment(options(t, "--spec", spec)).executeAsync("it-late");
        try (var predictions = new TopicTail<>(bootstrap, t.predictions(), Prediction.class);
                var metrics = new TopicTail<>(bootstrap, t.metrics(), Metrics.class);
                var dead = new TopicTail<>(bootstrap, t.deadletters(), DeadLetter.class)) {
            List<Event> events = Streams.binaryEvents("late", 200, 51);
            List<Event> unlabelled = new ArrayList<>();
            events.forEach(e -> unlabelled.add(Event.newBuilder(e).setLabel(null).build()));
            publish(t.events(), unlabelled);
            List<Prediction> served =
                    predictions.await("200 predictions", WAIT, p -> p.size() == 200);

            // Labels for the even events; the odd ones get the implicit 0 when their wait ends.
            WireFormat.Codec<Feedback> codec = WireFormat.codec(Feedback.class);
            try (EventPublisher out = new EventPublisher(bootstrap, t.feedback())) {
                for (int i = 0; i < 200; i += 2) {
                    Event e = events.get(i);
                    out.sendRaw(
                            "late",
                            codec.encode(
                                    Feedback.newBuilder()
                                            .setEventId(e.getId())
                                            .setModel("late")
                                            .setTime(2L)
                                            .setLabel(e.getLabel())
                                            .build()));
                }
                out.sendRaw(
                        "late",
                        codec.encode(
                                Feedback.newBuilder()
                                        .setEventId("never-published")
                                        .setModel("late")
                                        .setTime(2L)
                                        .setLabel(1)
                                        .build()));
                out.flush();
            }
            Metrics window = metrics.await("the metrics window", WAIT, m -> !m.isEmpty()).get(0);

            double correct = 0;
            double logLoss = 0;
            for (int i = 0; i < 200; i++) {
                Event e = events.get(i);
                int label = i % 2 == 0 ? (Integer) e.getLabel() : 0;
                Prediction p = of(served, e.getId());
                correct += (Integer) p.getLabel() == label ? 1 : 0;
                double prob = Math.min(Math.max(p.getScores().get(label), 1e-7), 1 - 1e-7);
                logLoss -= Math.log(prob);
            }
            assertThat(window.getLabelled()).isEqualTo(200);
            assertThat(window.getAccuracy()).isCloseTo(correct / 200, within(1e-9));
            assertThat(window.getLogLoss()).isCloseTo(logLoss / 200, within(1e-6));
            assertThat(dead.await("the unmatched label", WAIT, d -> !d.isEmpty()))
                    .singleElement()
                    .extracting(DeadLetter::getReason)
                    .asString()
                    .startsWith("no event 'never-published' waits for a label");
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void aFasterChallengerIsPromotedAndASlowerOneNeverIs() throws Exception {
        Topics t = topics();
        String spec =
                spec(
                        "duel",
                        ",\"optimizer\":\"SGD\",\"learningRate\":0.001,\"maxBatch\":10,"
                                + "\"metricsWindow\":300,\"promotionWindows\":2,"
                                + "\"promotionMargin\":0.02,\"challengers\":["
                                + "{\"model\":\"fast\",\"optimizer\":\"ADAM\",\"learningRate\":0.05},"
                                + "{\"model\":\"slower\",\"learningRate\":0.0001}]");
        JobOptions o = options(t, "--bounded", "true", "--spec", spec);
        publish(t.events(), Streams.binaryEvents("duel", 3000, 61));
        environment(o).execute("it-duel");

        try (var metrics = new TopicTail<>(bootstrap, t.metrics(), Metrics.class);
                var history = new TopicTail<>(bootstrap, t.history(), ModelSnapshot.class)) {
            List<Metrics> all = metrics.await("metrics", WAIT, m -> m.size() >= 10);
            List<Metrics> promotions =
                    all.stream().filter(m -> "promotion".equals(m.getEvent())).toList();
            assertThat(promotions)
                    .singleElement()
                    .extracting(Metrics::getVariant)
                    .isEqualTo("fast");
            assertThat(all).anyMatch(m -> "slower".equals(m.getVariant()));
            ModelSnapshot promoted =
                    history.all().stream()
                            .filter(s -> "promotion".equals(s.getEvent()))
                            .findFirst()
                            .orElseThrow();
            assertThat(promoted.getSpec().getLearningRate()).isEqualTo(0.05f);
        }
    }
}
