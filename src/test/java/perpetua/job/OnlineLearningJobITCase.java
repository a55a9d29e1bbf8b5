package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;
import static perpetua.testing.TopicTail.drain;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import perpetua.cli.EventPublisher;
import perpetua.runtime.Topics;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.testing.KafkaBrokerExtension;
import perpetua.testing.Streams;
import perpetua.testing.TestJobs;
import perpetua.wire.WireFormat;

/**
 * The whole job on a real KRaft broker and a Flink MiniCluster at parallelism 2: exactly one
 * prediction per valid event and one dead letter per corrupted record, under read_committed.
 */
class OnlineLearningJobITCase {
    private static final int PARALLELISM = 2;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(PARALLELISM)
                            .build());

    @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void tenThousandEventsWithOnePercentCorruptedGiveExactlyOnceOutputs() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String events = "events-" + run;
        String predictions = "predictions-" + run;
        String metrics = "metrics-" + run;
        String models = "models-" + run;
        String deadletters = "deadletters-" + run;
        String history = "history-" + run;
        String bootstrap = KAFKA.bootstrapServers();
        Topics.create(bootstrap, 2, events, predictions, metrics, deadletters);
        Topics.create(bootstrap, 1, Map.of("cleanup.policy", "compact"), models);
        Topics.create(bootstrap, 1, history, "feedback-" + run, "control-" + run);

        // Two models, 5,000 events each, interleaved; 100 records corrupted in five ways.
        List<Event> a = Streams.binaryEvents("alpha", 5000, 11);
        List<Event> b = Streams.binaryEvents("beta", 5000, 12);
        WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
        Random rnd = new Random(13);
        Set<String> corruptedIds = new HashSet<>();
        Map<String, Integer> reasons = new HashMap<>();
        try (EventPublisher publisher = new EventPublisher(bootstrap, events)) {
            for (int i = 0; i < 10_000; i++) {
                Event e = (i % 2 == 0 ? a : b).get(i / 2);
                if (i % 100 == 37) {
                    String kind = corrupt(i / 100 % 5, e, codec, rnd, publisher);
                    corruptedIds.add(e.getId());
                    reasons.merge(kind, 1, Integer::sum);
                } else {
                    publisher.send(e);
                }
            }
            publisher.flush();
        }
        assertThat(corruptedIds).hasSize(100);

        Map<String, ModelSpec> specs =
                Map.of(
                        "alpha", Streams.binarySpec("alpha", 32, 20),
                        "beta", Streams.binarySpec("beta", 32, 20));
        JobOptions options =
                JobOptions.fromArgs(
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic.feedback",
                        "feedback-" + run,
                        "--topic.control",
                        "control-" + run,
                        "--topic.models-history",
                        history,
                        "--topic.events",
                        events,
                        "--topic.predictions",
                        predictions,
                        "--topic.metrics",
                        metrics,
                        "--topic.models",
                        models,
                        "--topic.deadletters",
                        deadletters,
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
                        String.valueOf(PARALLELISM));
        StreamExecutionEnvironment env = TestJobs.environment(options);
        OnlineLearningJob.defineWorkflow(
                env,
                KafkaIo.events(options),
                new OnlineLearningJob.Models(
                        "feedback-" + run, "control-" + run, specs, null, Map.of()),
                KafkaIo.sinks(options));
        env.execute("it-" + run);

        List<Prediction> predicted = drain(bootstrap, predictions, Prediction.class);
        List<DeadLetter> dead = drain(bootstrap, deadletters, DeadLetter.class);
        List<Metrics> windows = drain(bootstrap, metrics, Metrics.class);
        List<ModelSnapshot> snapshots = drain(bootstrap, models, ModelSnapshot.class);

        assertThat(predicted).hasSize(9_900);
        Set<String> ids = new HashSet<>();
        predicted.forEach(p -> ids.add(p.getEventId()));
        assertThat(ids)
                .as("every event id once")
                .hasSize(9_900)
                .doesNotContainAnyElementsOf(corruptedIds);

        assertThat(dead).hasSize(100);
        Map<String, Integer> seen = new HashMap<>();
        for (DeadLetter d : dead) {
            assertThat(d.getSourceTopic()).isEqualTo(events);
            assertThat(d.getPayload().remaining()).isPositive();
            seen.merge(kind(d.getReason()), 1, Integer::sum);
        }
        assertThat(seen).isEqualTo(reasons);
        Set<String> positions = new HashSet<>();
        dead.forEach(d -> positions.add(d.getPartition() + "@" + d.getOffset()));
        assertThat(positions).hasSize(100);

        assertThat(windows).extracting(Metrics::getModel).contains("alpha", "beta");
        assertThat(snapshots).extracting(ModelSnapshot::getModel).contains("alpha", "beta");
        for (String model : List.of("alpha", "beta")) {
            List<Metrics> mine = windows.stream().filter(m -> m.getModel().equals(model)).toList();
            Metrics last = mine.get(mine.size() - 1);
            double positives =
                    (model.equals("alpha") ? a : b)
                                    .stream().filter(e -> (Integer) e.getLabel() == 1).count()
                            / 5000.0;
            double majority = Math.max(positives, 1 - positives);
            assertThat(last.getAccuracy())
                    .as(model + " beats the majority baseline")
                    .isGreaterThan(majority + 0.1);
        }
    }

    /**
     * Publishes event {@code e} corrupted in one of five ways; returns the expected reason kind.
     */
    private static String corrupt(
            int way, Event e, WireFormat.Codec<Event> codec, Random rnd, EventPublisher out) {
        switch (way) {
            case 0 -> {
                byte[] junk = new byte[20 + rnd.nextInt(30)];
                rnd.nextBytes(junk);
                junk[0] = 0x42;
                out.sendRaw(e.getModel(), junk);
                return "bad header";
            }
            case 1 -> {
                byte[] bytes = codec.encode(e);
                bytes[6] ^= 0x3C;
                out.sendRaw(e.getModel(), bytes);
                return "unknown schema";
            }
            case 2 -> {
                out.send(Event.newBuilder(e).setDense(List.of(1f, Float.NaN, 0f, 0f)).build());
                return "non-finite";
            }
            case 3 -> {
                out.send(Event.newBuilder(e).setDense(List.of(1f, 2f)).build());
                return "wrong dense size";
            }
            default -> {
                out.send(Event.newBuilder(e).setLabel(7).build());
                return "out of range";
            }
        }
    }

    private static String kind(String reason) {
        for (String k :
                List.of(
                        "bad header",
                        "unknown schema",
                        "non-finite",
                        "wrong dense size",
                        "out of range")) {
            if (reason.contains(k)) {
                return k;
            }
        }
        return reason;
    }
}
