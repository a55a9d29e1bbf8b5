package perpetua.job;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import perpetua.ingest.SourceRecord;
import perpetua.runtime.KafkaConnection;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;
import perpetua.wire.SingleObjectSerializer;

/**
 * The job's Kafka source and exactly-once sinks, built from {@link JobOptions}.
 *
 * <p>The source reads with {@code isolation.level=read_committed} and keeps each record's topic,
 * partition, offset and timestamp. Every sink is transactional ({@link
 * DeliveryGuarantee#EXACTLY_ONCE}) with its own transactional-id prefix; the model snapshot sink
 * allows records up to 64 MiB.
 */
public final class KafkaIo {
    /** The largest model snapshot the models topic and its producer accept. */
    public static final int MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

    /**
     * {@code max.message.bytes} of the events and feedback topics: well above the job's own {@code
     * --max-record-bytes}, so that a larger record still reaches the job and becomes a dead letter
     * instead of an error at its producer only.
     */
    public static final int INPUT_TOPIC_MAX_BYTES = 8 * 1024 * 1024;

    /**
     * {@code max.message.bytes} of the control topic: a spec may carry the snapshot it starts from
     * (up to {@link #MAX_SNAPSHOT_BYTES}), and a spec over {@code --max-spec-bytes} still reaches
     * the job.
     */
    public static final int CONTROL_TOPIC_MAX_BYTES = 72 * 1024 * 1024;

    /**
     * {@code max.message.bytes} of the predictions, metrics, dead-letter and recommendations
     * topics. The job's limits on ids, model names, classes, dead-letter copies and recommended
     * item ids keep each of their records well under it, whatever the input.
     */
    public static final int OUTPUT_TOPIC_MAX_BYTES = 1024 * 1024;

    private KafkaIo() {}

    /** Reads the events, feedback and control topics; records keep their topic. */
    public static KafkaSource<SourceRecord> events(JobOptions o) {
        KafkaSourceBuilder<SourceRecord> b =
                KafkaSource.<SourceRecord>builder()
                        .setProperties(o.kafka().consumerProperties())
                        .setTopics(
                                o.get(KafkaTopicOptions.EVENTS_TOPIC),
                                o.get(KafkaTopicOptions.FEEDBACK_TOPIC),
                                o.get(KafkaTopicOptions.CONTROL_TOPIC))
                        .setGroupId(o.get(RuntimeOptions.GROUP_ID))
                        .setDeserializer(new SourceRecordDeserializer())
                        .setProperty("isolation.level", "read_committed")
                        .setProperty("commit.offsets.on.checkpoint", "true");
        switch (o.get(RuntimeOptions.STARTING_OFFSETS)) {
            case "earliest" -> b.setStartingOffsets(OffsetsInitializer.earliest());
            case "latest" -> b.setStartingOffsets(OffsetsInitializer.latest());
            default ->
                    b.setStartingOffsets(
                            OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST));
        }
        if (o.get(RuntimeOptions.BOUNDED)) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return b.build();
    }

    /**
     * Creates the job's topics that do not exist yet, each with the record size it needs (see
     * README, "Topics and their limits"): the input topics above the job's own limits, so that an
     * oversized record becomes a dead letter; the output topics at {@link #OUTPUT_TOPIC_MAX_BYTES};
     * the control topic compacted; the models topic compacted and the history topic with the
     * configured retention, both accepting snapshots up to 64 MiB.
     */
    public static void createTopics(JobOptions o, int partitions) {
        KafkaConnection kafka = o.kafka();
        perpetua.runtime.Topics.create(
                kafka,
                partitions,
                maxBytes(INPUT_TOPIC_MAX_BYTES),
                o.get(KafkaTopicOptions.EVENTS_TOPIC),
                o.get(KafkaTopicOptions.FEEDBACK_TOPIC));
        perpetua.runtime.Topics.create(
                kafka,
                partitions,
                maxBytes(OUTPUT_TOPIC_MAX_BYTES),
                o.get(KafkaTopicOptions.PREDICTIONS_TOPIC),
                o.get(KafkaTopicOptions.METRICS_TOPIC),
                o.get(KafkaTopicOptions.DEADLETTERS_TOPIC),
                o.get(KafkaTopicOptions.RECOMMENDATIONS_TOPIC));
        perpetua.runtime.Topics.create(
                kafka,
                1,
                java.util.Map.of(
                        "cleanup.policy",
                        "compact",
                        "max.message.bytes",
                        String.valueOf(CONTROL_TOPIC_MAX_BYTES)),
                o.get(KafkaTopicOptions.CONTROL_TOPIC));
        String max = String.valueOf(MAX_SNAPSHOT_BYTES);
        perpetua.runtime.Topics.create(
                kafka,
                1,
                java.util.Map.of("cleanup.policy", "compact", "max.message.bytes", max),
                o.get(KafkaTopicOptions.MODELS_TOPIC));
        perpetua.runtime.Topics.create(
                kafka,
                1,
                java.util.Map.of(
                        "retention.ms",
                        String.valueOf(o.get(KafkaTopicOptions.HISTORY_RETENTION).toMillis()),
                        "max.message.bytes",
                        max),
                o.get(KafkaTopicOptions.MODELS_HISTORY_TOPIC));
    }

    private static java.util.Map<String, String> maxBytes(int bytes) {
        return java.util.Map.of("max.message.bytes", String.valueOf(bytes));
    }

    /**
     * Fails with the names of the job's topics that do not exist, so that a job does not start only
     * to fail at its first partition discovery.
     */
    public static void requireTopics(JobOptions o) {
        KafkaConnection kafka = o.kafka();
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (var option :
                java.util.List.of(
                        KafkaTopicOptions.EVENTS_TOPIC,
                        KafkaTopicOptions.FEEDBACK_TOPIC,
                        KafkaTopicOptions.CONTROL_TOPIC,
                        KafkaTopicOptions.PREDICTIONS_TOPIC,
                        KafkaTopicOptions.METRICS_TOPIC,
                        KafkaTopicOptions.MODELS_TOPIC,
                        KafkaTopicOptions.MODELS_HISTORY_TOPIC,
                        KafkaTopicOptions.DEADLETTERS_TOPIC,
                        KafkaTopicOptions.RECOMMENDATIONS_TOPIC)) {
            if (!perpetua.runtime.Topics.exists(kafka, o.get(option))) {
                missing.add(o.get(option) + " (--" + option.key() + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    "missing topics at "
                            + kafka
                            + ": "
                            + String.join(", ", missing)
                            + "; create them, or let the job create them with --create-topics");
        }
    }

    /** The output sinks of the job. */
    public static OnlineLearningJob.Sinks sinks(JobOptions o) {
        return new OnlineLearningJob.Sinks(
                sink(
                        o,
                        o.get(KafkaTopicOptions.PREDICTIONS_TOPIC),
                        Prediction.class,
                        "predictions"),
                sink(o, o.get(KafkaTopicOptions.METRICS_TOPIC), Metrics.class, "metrics"),
                sink(o, o.get(KafkaTopicOptions.MODELS_TOPIC), ModelSnapshot.class, "models"),
                sink(
                        o,
                        o.get(KafkaTopicOptions.MODELS_HISTORY_TOPIC),
                        ModelSnapshot.class,
                        "history"),
                sink(
                        o,
                        o.get(KafkaTopicOptions.DEADLETTERS_TOPIC),
                        DeadLetter.class,
                        "deadletters"),
                sink(
                        o,
                        o.get(KafkaTopicOptions.RECOMMENDATIONS_TOPIC),
                        Recommendation.class,
                        "recommendations"));
    }

    /**
     * How long a record may wait for the broker before the sink fails and the job restarts from its
     * last checkpoint: Kafka's default. An outage longer than this is ridden out by the restart
     * strategy, not by waiting in the producer, so that checkpoints never block for the length of
     * an outage.
     */
    static final java.time.Duration DELIVERY_TIMEOUT = java.time.Duration.ofMinutes(2);

    /**
     * How long a producer call (a send into a full buffer, a transaction's begin, commit or abort)
     * blocks when the broker cannot be reached; it bounds how long a failing task takes to cancel.
     */
    static final java.time.Duration MAX_BLOCK = java.time.Duration.ofSeconds(30);

    /** How long a sink's records wait to fill a batch, unless the Kafka settings say. */
    static final int SINK_LINGER_MS = 50;

    /** The size of a sink's batches, unless the Kafka settings say. */
    static final int SINK_BATCH_BYTES = 256 * 1024;

    /**
     * The sinks' producer settings: the cluster's (security, and any setting of the user's) first,
     * the sink's own needs over them; linger and batch size only where the user set none.
     */
    static Properties sinkProducerProperties(JobOptions o) {
        Properties props = o.kafka().producerProperties();
        props.setProperty(
                "transaction.timeout.ms",
                String.valueOf(o.get(RuntimeOptions.TRANSACTION_TIMEOUT).toMillis()));
        props.setProperty("max.request.size", String.valueOf(MAX_SNAPSHOT_BYTES));
        // A transactional sink's records become readable when the checkpoint after them commits
        // (a second or more), and a commit flushes whatever lingers: lingering longer costs no
        // latency a read_committed reader sees, and fewer, larger produce requests cost the broker
        // less (each one is checked against its transaction).
        props.putIfAbsent("linger.ms", String.valueOf(SINK_LINGER_MS));
        props.putIfAbsent("batch.size", String.valueOf(SINK_BATCH_BYTES));
        props.setProperty("delivery.timeout.ms", String.valueOf(DELIVERY_TIMEOUT.toMillis()));
        props.setProperty("max.block.ms", String.valueOf(MAX_BLOCK.toMillis()));
        return props;
    }

    static <T extends SpecificRecord> Sink<T> sink(
            JobOptions o, String topic, Class<T> type, String name) {
        Properties props = sinkProducerProperties(o);
        return new OutageTolerantKafkaSink<>(
                KafkaSink.<T>builder()
                        .setBootstrapServers(o.kafka().bootstrapServers())
                        .setKafkaProducerConfig(props)
                        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                        .setTransactionalIdPrefix(
                                o.get(RuntimeOptions.TRANSACTIONAL_ID_PREFIX) + "-" + name)
                        .setRecordSerializer(
                                KafkaRecordSerializationSchema.<T>builder()
                                        .setTopic(topic)
                                        .setKeySerializationSchema(new ModelNameKey<>())
                                        .setValueSerializationSchema(
                                                new SingleObjectSerializer<>(type))
                                        .build())
                        .build());
    }

    /** Every output record is keyed by its model's name: per-model order, compaction by model. */
    static final class ModelNameKey<T extends SpecificRecord> implements SerializationSchema<T> {
        private static final long serialVersionUID = 1L;

        @Override
        public byte[] serialize(T element) {
            Object model = element.get(element.getSchema().getField("model").pos());
            return model == null ? null : model.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Keeps the raw bytes and their position; decoding happens in the job, never here. */
    static final class SourceRecordDeserializer
            implements KafkaRecordDeserializationSchema<SourceRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<SourceRecord> out) {
            out.collect(
                    new SourceRecord(
                            r.topic(), r.partition(), r.offset(), r.timestamp(), r.value()));
        }

        @Override
        public TypeInformation<SourceRecord> getProducedType() {
            return TypeInformation.of(SourceRecord.class);
        }
    }
}
