package perpetua.runtime;

import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.schemas.SpecAction;
import perpetua.wire.WireFormat;

/**
 * What the control and models topics say about each model: the latest {@link ModelSpec} published
 * on the control topic and the latest {@link ModelSnapshot} on the models topic, per model name.
 *
 * <p>Both topics are read from their beginning to their end as it stands when reading starts
 * ({@code read_committed}: up to the last stable offset), in offset order, so "latest" is the last
 * record of a model. A topic that does not exist reads as empty; a record that does not decode is
 * skipped.
 */
public final class ModelRegistry {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, ModelSpec> specs;
    private final Map<String, ModelSnapshot> snapshots;

    private ModelRegistry(Map<String, ModelSpec> specs, Map<String, ModelSnapshot> snapshots) {
        this.specs = Collections.unmodifiableMap(specs);
        this.snapshots = Collections.unmodifiableMap(snapshots);
    }

    /**
     * Reads both topics to their current end.
     *
     * @param controlTopic the control topic, or null to read only the models topic
     * @param modelsTopic the models topic, or null to read only the control topic
     */
    public static ModelRegistry read(String bootstrap, String controlTopic, String modelsTopic) {
        return read(KafkaConnection.to(bootstrap), controlTopic, modelsTopic);
    }

    /**
     * Reads both topics of the cluster {@code kafka} to their current end.
     *
     * @param controlTopic the control topic, or null to read only the models topic
     * @param modelsTopic the models topic, or null to read only the control topic
     */
    public static ModelRegistry read(
            KafkaConnection kafka, String controlTopic, String modelsTopic) {
        Map<String, ModelSpec> specs = new LinkedHashMap<>();
        Map<String, ModelSnapshot> snapshots = new LinkedHashMap<>();
        if (controlTopic != null) {
            WireFormat.Codec<ModelSpec> codec = WireFormat.codec(ModelSpec.class);
            readToEnd(
                    kafka,
                    controlTopic,
                    r -> decode(codec, r).ifPresent(s -> specs.put(s.getModel(), s)));
        }
        if (modelsTopic != null) {
            WireFormat.Codec<ModelSnapshot> codec = WireFormat.codec(ModelSnapshot.class);
            readToEnd(
                    kafka,
                    modelsTopic,
                    r -> decode(codec, r).ifPresent(s -> snapshots.put(s.getModel(), s)));
        }
        return new ModelRegistry(specs, snapshots);
    }

    /**
     * Returns the last snapshot of {@code model} with exactly {@code version} on {@code topic} (the
     * history topic keeps every snapshot).
     */
    public static Optional<ModelSnapshot> findVersion(
            KafkaConnection kafka, String topic, String model, long version) {
        WireFormat.Codec<ModelSnapshot> codec = WireFormat.codec(ModelSnapshot.class);
        ModelSnapshot[] found = {null};
        readToEnd(
                kafka,
                topic,
                r ->
                        decode(codec, r)
                                .filter(
                                        s ->
                                                s.getModel().equals(model)
                                                        && s.getVersion() == version)
                                .ifPresent(s -> found[0] = s));
        return Optional.ofNullable(found[0]);
    }

    /** Returns the latest spec of each model on the control topic, by model name. */
    public Map<String, ModelSpec> specs() {
        return specs;
    }

    /** Returns the latest snapshot of each model on the models topic, by model name. */
    public Map<String, ModelSnapshot> snapshots() {
        return snapshots;
    }

    public Optional<ModelSpec> spec(String model) {
        return Optional.ofNullable(specs.get(model));
    }

    public Optional<ModelSnapshot> snapshot(String model) {
        return Optional.ofNullable(snapshots.get(model));
    }

    /** Every model named on either topic, sorted. */
    public Set<String> names() {
        Set<String> names = new TreeSet<>(specs.keySet());
        names.addAll(snapshots.keySet());
        return names;
    }

    /** Whether the model is live: a non-retired spec or a non-retired snapshot. */
    public boolean exists(String model) {
        return state(model).map(s -> !s.equals("retired")).orElse(false);
    }

    /**
     * Returns the model's state: {@code retired} when its latest spec is a RETIRE or its latest
     * snapshot is RETIRED, {@code learning} when it has a snapshot, {@code pending} when only its
     * spec is published; empty for an unknown model.
     */
    public Optional<String> state(String model) {
        ModelSpec spec = specs.get(model);
        ModelSnapshot snap = snapshots.get(model);
        if (spec == null && snap == null) {
            return Optional.empty();
        }
        if (spec != null && spec.getAction() == SpecAction.RETIRE) {
            return Optional.of("retired");
        }
        if (snap != null && snap.getState() == ModelState.RETIRED) {
            return Optional.of("retired");
        }
        return Optional.of(snap != null ? "learning" : "pending");
    }

    /** The model's current spec: its latest on the control topic, else its latest snapshot's. */
    public Optional<ModelSpec> currentSpec(String model) {
        ModelSpec spec = specs.get(model);
        if (spec != null) {
            return Optional.of(spec);
        }
        return snapshot(model).map(ModelSnapshot::getSpec);
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> Optional<T> decode(
            WireFormat.Codec<T> codec, ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(codec.decode(r.value()));
        } catch (IOException | RuntimeException e) {
            System.err.printf(
                    "skipping undecodable record %s-%d@%d: %s%n",
                    r.topic(), r.partition(), r.offset(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Hands every record of {@code topic}, from the beginning to the end offsets as they stand now,
     * to {@code handler}; a topic that does not exist has no records.
     */
    public static void readToEnd(
            KafkaConnection kafka, String topic, Consumer<ConsumerRecord<byte[], byte[]>> handler) {
        if (!Topics.exists(kafka, topic)) {
            return;
        }
        try (TopicReader reader = new TopicReader(kafka, topic, true)) {
            reader.readToEnd(READ_TIMEOUT, handler);
        }
    }
}
