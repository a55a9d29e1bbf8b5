package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.SpecAction;
import perpetua.schemas.Task;
import perpetua.testing.HostileRecords;
import perpetua.testing.KafkaBrokerExtension;
import perpetua.testing.Streams;
import perpetua.testing.TestJobs;
import perpetua.testing.TopicTail;
import perpetua.wire.WireFormat;

/**
 * Hostile records on the events, feedback and control topics, among clean events, on a real KRaft
 * broker with the topics the job creates and the job on a Flink MiniCluster: each hostile record is
 * exactly one dead letter with its reason, each under the dead-letter topic's limit; the job runs
 * to the end; and the predictions of the clean events equal those of a run without the hostile
 * records.
 *
 * <p>Both runs are bounded and learn one event per batch ({@code maxBatch} 1), so that their
 * batches, and so their predictions, do not depend on when checkpoints come.
 */
class HostileInputITCase {
    private static final int CLEAN_EVENTS = 240;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(1)
                            .build());

    @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    /**
     * A record published on purpose, where it landed, and the reason its dead letter must give
     * (null: none), as a regular expression when {@code pattern}.
     */
    private record Sent(
            String name, String topic, long offset, byte[] value, String reason, boolean pattern) {}

    @Test
    void eachHostileRecordIsOneDeadLetterAndTheCleanPredictionsStayTheSame() throws Exception {
        List<Event> clean = Streams.binaryEvents("clean", CLEAN_EVENTS, 21);
        ModelSpec spec = Streams.binarySpec("clean", 1, 60_000);

        JobOptions quiet = options("quiet");
        try (Publisher out = new Publisher(quiet)) {
            for (Event e : clean) {
                out.events(e.getModel(), e);
            }
        }
        run(quiet, spec);
        Map<String, Prediction> expected = byEventId(predictions(quiet));
        assertThat(expected).hasSize(CLEAN_EVENTS);

        JobOptions hostile = options("hostile");
        List<Sent> sent = new ArrayList<>();
        try (Publisher out = new Publisher(hostile)) {
            List<Runnable> attacks = attacks(out, sent);
            int every = CLEAN_EVENTS / attacks.size();
            for (int i = 0; i < clean.size(); i++) {
                Event e = clean.get(i);
                // One clean event without a key: still an event, still one prediction.
                out.events(i == CLEAN_EVENTS / 2 ? null : e.getModel(), e);
                if (i % every == every - 1 && i / every < attacks.size()) {
                    attacks.get(i / every).run();
                }
            }
        }
        run(hostile, spec);

        // The clean events are predicted exactly as without the hostile records.
        Map<String, Prediction> served = byEventId(predictions(hostile));
        assertThat(served.keySet()).isEqualTo(expected.keySet());
        for (Map.Entry<String, Prediction> e : expected.entrySet()) {
            Prediction p = served.get(e.getKey());
            assertThat(p.getModelVersion())
                    .as(e.getKey())
                    .isEqualTo(e.getValue().getModelVersion());
            assertThat(p.getScores()).as(e.getKey()).isEqualTo(e.getValue().getScores());
            assertThat(p.getLabel()).as(e.getKey()).isEqualTo(e.getValue().getLabel());
        }

        // One dead letter per hostile record, at its position, with its reason, within the limit.
        List<DeadLetter> dead;
        try (var tail =
                new TopicTail<>(
                        KAFKA.bootstrapServers(),
                        hostile.get(KafkaTopicOptions.DEADLETTERS_TOPIC),
                        DeadLetter.class)) {
            dead = tail.all();
        }
        int limit = maxMessageBytes(hostile.get(KafkaTopicOptions.DEADLETTERS_TOPIC));
        assertThat(limit).isEqualTo(KafkaIo.OUTPUT_TOPIC_MAX_BYTES);
        assertThat(maxMessageBytes(hostile.get(KafkaTopicOptions.EVENTS_TOPIC)))
                .isEqualTo(KafkaIo.INPUT_TOPIC_MAX_BYTES);
        assertThat(maxMessageBytes(hostile.get(KafkaTopicOptions.CONTROL_TOPIC)))
                .isEqualTo(KafkaIo.CONTROL_TOPIC_MAX_BYTES);
        Map<String, DeadLetter> byPosition = new HashMap<>();
        WireFormat.Codec<DeadLetter> codec = WireFormat.codec(DeadLetter.class);
        for (DeadLetter d : dead) {
            assertThat(byPosition.put(d.getSourceTopic() + "@" + d.getOffset(), d))
                    .as("one dead letter per record")
                    .isNull();
            assertThat(codec.encode(d).length).isLessThan(limit);
        }
        List<Sent> refused = sent.stream().filter(s -> s.reason() != null).toList();
        assertThat(dead).hasSize(refused.size());
        for (Sent s : refused) {
            DeadLetter d = byPosition.get(s.topic() + "@" + s.offset());
            assertThat(d).as(s.name()).isNotNull();
            System.out.printf(
                    "%-34s %-22s %8d bytes%s: %s%n",
                    s.name(),
                    s.topic(),
                    d.getPayloadBytes(),
                    d.getPayloadTruncated() ? " (copy cut)" : "",
                    d.getReason());
            if (s.pattern()) {
                assertThat(d.getReason()).as(s.name()).matches(s.reason());
            } else {
                assertThat(d.getReason()).as(s.name()).isEqualTo(s.reason());
            }
            int copy = 64 * 1024;
            byte[] payload = new byte[d.getPayload().remaining()];
            d.getPayload().duplicate().get(payload);
            assertThat(d.getPayloadBytes()).isEqualTo(s.value().length);
            assertThat(payload)
                    .isEqualTo(Arrays.copyOf(s.value(), Math.min(copy, s.value().length)));
            assertThat(d.getPayloadTruncated()).isEqualTo(s.value().length > copy);
        }
    }

    /**
     * Random bytes, an empty value and a 5 MB value on {@code topic}. The 5 MB value is refused by
     * its size where the topic's records are bounded by {@code --max-record-bytes}, and as no Avro
     * record at all on the control topic, whose specs may be larger.
     */
    private static void shapeless(
            List<Runnable> attacks,
            Publisher out,
            List<Sent> sent,
            String topic,
            String key,
            byte[] garbage,
            byte[] fiveMegabytes,
            boolean sizeBounded) {
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "random bytes",
                                        topic,
                                        key,
                                        garbage,
                                        "not an Avro single-object message: bad header")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "empty value",
                                        topic,
                                        key,
                                        new byte[0],
                                        "empty record value")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "5 MB value",
                                        topic,
                                        key,
                                        fiveMegabytes,
                                        sizeBounded
                                                ? "record value is 5000000 bytes, over the limit of"
                                                        + " 1048576 (--max-record-bytes)"
                                                : "not an Avro single-object message: bad header")));
    }

    /**
     * The hostile records, each published when its turn comes among the clean events; each adds
     * what it sent to {@code sent}.
     */
    private static List<Runnable> attacks(Publisher out, List<Sent> sent) {
        Random rnd = new Random(5);
        byte[] garbage = new byte[64];
        rnd.nextBytes(garbage);
        garbage[0] = 0x42;
        byte[] fiveMegabytes = new byte[5_000_000];
        rnd.nextBytes(fiveMegabytes);
        Event sound =
                Event.newBuilder()
                        .setId("hostile")
                        .setModel("clean")
                        .setTime(1L)
                        .setDense(List.of(0f, 0f, 0f, 0f))
                        .setNumeric(Map.of("x", 1.0))
                        .setLabel(1)
                        .build();
        Feedback label =
                Feedback.newBuilder()
                        .setEventId("clean-3")
                        .setModel("clean")
                        .setTime(2L)
                        .setLabel(1)
                        .build();
        ModelSpec side = Streams.binarySpec("side", 8, 10);
        String events = out.options.get(KafkaTopicOptions.EVENTS_TOPIC);
        String feedback = out.options.get(KafkaTopicOptions.FEEDBACK_TOPIC);
        String control = out.options.get(KafkaTopicOptions.CONTROL_TOPIC);

        List<Runnable> attacks = new ArrayList<>();
        shapeless(attacks, out, sent, events, "clean", garbage, fiveMegabytes, true);
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "1 MB event id",
                                        events,
                                        "clean",
                                        encode(
                                                Event.newBuilder(sound)
                                                        .setId("i".repeat(1_000_000))
                                                        .build()),
                                        "event id is 1000000 characters, over the limit of 1024"
                                                + " (--max-id-length)")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "10,000-character model name",
                                        events,
                                        null,
                                        encode(
                                                Event.newBuilder(sound)
                                                        .setModel("m".repeat(10_000))
                                                        .build()),
                                        "model name is 10000 characters, over the limit of 200"
                                                + " (--max-model-name-length)")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "id claiming 1.5e9 bytes",
                                        events,
                                        "clean",
                                        HostileRecords.eventIdClaiming(HostileRecords.GIGABYTES),
                                        "malformed Avro body: field 'id' claims a string of"
                                                + " 1500000000 bytes where 0 follow; truncated or"
                                                + " corrupt")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "dense claiming 1.5e9 floats",
                                        events,
                                        "clean",
                                        HostileRecords.eventDenseClaiming(HostileRecords.GIGABYTES),
                                        "malformed Avro body: field 'dense' claims an array block"
                                                + " of 1500000000 items where 4 bytes follow (at"
                                                + " least 4 per item); truncated or corrupt")));
        attacks.add(
                () ->
                        sent.add(
                                out.like(
                                        "numeric claiming 1.5e9 entries",
                                        events,
                                        "clean",
                                        HostileRecords.eventNumericClaiming(
                                                HostileRecords.GIGABYTES),
                                        "malformed Avro body: field 'numeric' claims a map block of"
                                                + " 1500000000 items.*")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "NaN in dense",
                                        events,
                                        "clean",
                                        encode(
                                                Event.newBuilder(sound)
                                                        .setDense(List.of(0f, Float.NaN, 0f, 0f))
                                                        .build()),
                                        "non-finite value NaN in dense[1]")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "infinite numeric",
                                        events,
                                        "clean",
                                        encode(
                                                Event.newBuilder(sound)
                                                        .setNumeric(
                                                                Map.of(
                                                                        "x",
                                                                        Double.NEGATIVE_INFINITY))
                                                        .build()),
                                        "non-finite value -Infinity in numeric 'x'")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "negative weight",
                                        events,
                                        "clean",
                                        encode(Event.newBuilder(sound).setWeight(-2f).build()),
                                        "weight -2.0 must be finite and not negative")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "a Prediction on events",
                                        events,
                                        "clean",
                                        encode(
                                                Prediction.newBuilder()
                                                        .setEventId("p")
                                                        .setModel("clean")
                                                        .setModelVersion(1)
                                                        .setTime(1L)
                                                        .setLabel(1)
                                                        .build()),
                                        "a Prediction record where an Event was expected")));
        attacks.add(
                () ->
                        sent.add(
                                out.like(
                                        "truncated event",
                                        events,
                                        "clean",
                                        HostileRecords.truncated(sound, 2),
                                        "malformed Avro body: truncated: the Event body ends after"
                                                + " \\d+ bytes, inside field 'weight'")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "600 kB text, wrong dense size",
                                        events,
                                        "clean",
                                        encode(
                                                Event.newBuilder(sound)
                                                        .setDense(List.of(1f))
                                                        .setText("t".repeat(600_000))
                                                        .build()),
                                        "wrong dense size 1, model 'clean' expects 4")));
        shapeless(attacks, out, sent, feedback, "clean", garbage, fiveMegabytes, true);
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "event id claiming 1.5e9 bytes",
                                        feedback,
                                        "clean",
                                        HostileRecords.feedbackIdClaiming(HostileRecords.GIGABYTES),
                                        "malformed Avro body: field 'eventId' claims a string of"
                                                + " 1500000000 bytes where 3 follow; truncated or"
                                                + " corrupt")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "NaN label",
                                        feedback,
                                        "clean",
                                        encode(
                                                Feedback.newBuilder(label)
                                                        .setLabel(Double.NaN)
                                                        .build()),
                                        "non-finite label NaN")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "1 MB event id",
                                        feedback,
                                        "clean",
                                        encode(
                                                Feedback.newBuilder(label)
                                                        .setEventId("f".repeat(1_000_000))
                                                        .build()),
                                        "feedback event id is 1000000 characters, over the limit"
                                                + " of 1024 (--max-id-length)")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "an Event on feedback",
                                        feedback,
                                        "clean",
                                        encode(sound),
                                        "an Event record where a Feedback was expected")));
        shapeless(attacks, out, sent, control, "side", garbage, fiveMegabytes, false);
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "10,000-character model name",
                                        control,
                                        "long",
                                        encode(
                                                ModelSpec.newBuilder(side)
                                                        .setModel("m".repeat(10_000))
                                                        .build()),
                                        "model name is 10000 characters, over the limit of 200"
                                                + " (--max-model-name-length)")));
        attacks.add(
                () ->
                        sent.add(
                                out.like(
                                        "feature names claiming 1.5e9",
                                        control,
                                        "side",
                                        HostileRecords.specFeaturesClaiming(
                                                HostileRecords.GIGABYTES),
                                        "malformed Avro body: field 'numericFeatures' claims an"
                                                + " array block of 1500000000 items.*")));
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "a spec SpecRules refuses",
                                        control,
                                        "bad",
                                        encode(
                                                ModelSpec.newBuilder()
                                                        .setModel("bad")
                                                        .setTask(Task.MULTICLASS)
                                                        .setClasses(1)
                                                        .build()),
                                        "refused spec: model 'bad': classes must be >= 2")));
        attacks.add(
                () -> {
                    // A model of its own, then an update that cannot keep its weights.
                    sent.add(out.raw("a new model", control, "side", encode(side), null));
                    sent.add(
                            out.raw(
                                    "an update that changes the architecture",
                                    control,
                                    "side",
                                    encode(
                                            ModelSpec.newBuilder(side)
                                                    .setHashBits(12)
                                                    .setAction(SpecAction.UPSERT)
                                                    .build()),
                                    "update of 'side' refused: hashBits 10 -> 12 changes the"
                                            + " architecture or the input encoding; set"
                                            + " freshStart to start the model anew"));
                });
        attacks.add(
                () ->
                        sent.add(
                                out.raw(
                                        "a Feedback on control",
                                        control,
                                        "clean",
                                        encode(label),
                                        "a Feedback record where a ModelSpec was expected")));
        return attacks;
    }

    private static byte[] encode(org.apache.avro.specific.SpecificRecord record) {
        return HostileRecords.encode(record);
    }

    /** Publishes to the job's three input topics, one record at a time, and keeps its offsets. */
    private static final class Publisher implements AutoCloseable {
        final JobOptions options;
        private final KafkaProducer<String, byte[]> producer;
        private final WireFormat.Codec<Event> events = WireFormat.codec(Event.class);

        Publisher(JobOptions options) {
            this.options = options;
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                    String.valueOf(KafkaIo.INPUT_TOPIC_MAX_BYTES));
            producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        }

        void events(String key, Event e) {
            send(options.get(KafkaTopicOptions.EVENTS_TOPIC), key, events.encode(e));
        }

        /** Sends {@code value}, whose dead letter must give {@code reason} (null: none). */
        Sent raw(String name, String topic, String key, byte[] value, String reason) {
            return new Sent(name, topic, send(topic, key, value).offset(), value, reason, false);
        }

        /** Sends {@code value}, whose dead letter's reason must match {@code pattern}. */
        Sent like(String name, String topic, String key, byte[] value, String pattern) {
            return new Sent(name, topic, send(topic, key, value).offset(), value, pattern, true);
        }

        private RecordMetadata send(String topic, String key, byte[] value) {
            try {
                return producer.send(new ProducerRecord<>(topic, key, value)).get();
            } catch (Exception e) {
                throw new AssertionError("cannot publish to " + topic, e);
            }
        }

        @Override
        public void close() {
            producer.close();
        }
    }

    private static JobOptions options(String name) {
        String run = name + "-" + UUID.randomUUID().toString().substring(0, 8);
        JobOptions o =
                JobOptions.fromArgs(
                        "--bootstrap-servers", KAFKA.bootstrapServers(),
                        "--topic.events", "events-" + run,
                        "--topic.feedback", "feedback-" + run,
                        "--topic.control", "control-" + run,
                        "--topic.predictions", "predictions-" + run,
                        "--topic.metrics", "metrics-" + run,
                        "--topic.models", "models-" + run,
                        "--topic.models-history", "history-" + run,
                        "--topic.deadletters", "deadletters-" + run,
                        "--group-id", "it-" + run,
                        "--transactional-id-prefix", "it-" + run,
                        "--starting-offsets", "earliest",
                        "--bounded", "true",
                        "--checkpoint-interval", "300ms",
                        "--warm-start", "false");
        KafkaIo.createTopics(o, 1);
        return o;
    }

    private static void run(JobOptions o, ModelSpec spec) throws Exception {
        StreamExecutionEnvironment env = TestJobs.environment(o);
        OnlineLearningJob.defineWorkflow(
                env,
                KafkaIo.events(o),
                new OnlineLearningJob.Models(
                        o.get(KafkaTopicOptions.FEEDBACK_TOPIC),
                        o.get(KafkaTopicOptions.CONTROL_TOPIC),
                        Map.of(spec.getModel(), spec),
                        null,
                        Map.of(),
                        o.limits()),
                KafkaIo.sinks(o));
        env.execute("hostile-input");
    }

    private static List<Prediction> predictions(JobOptions o) {
        try (var tail =
                new TopicTail<>(
                        KAFKA.bootstrapServers(),
                        o.get(KafkaTopicOptions.PREDICTIONS_TOPIC),
                        Prediction.class)) {
            return tail.all();
        }
    }

    private static Map<String, Prediction> byEventId(List<Prediction> predictions) {
        Map<String, Prediction> out = new LinkedHashMap<>();
        for (Prediction p : predictions) {
            assertThat(out.put(p.getEventId(), p)).as("one prediction per event").isNull();
        }
        return out;
    }

    private static int maxMessageBytes(String topic) throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                KAFKA.bootstrapServers()))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
            return Integer.parseInt(c.get("max.message.bytes").value());
        }
    }
}
