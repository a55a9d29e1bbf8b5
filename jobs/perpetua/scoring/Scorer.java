package perpetua.scoring;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.model.Explainer;
import perpetua.model.ScoringModel;
import perpetua.runtime.KafkaConnection;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelState;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;
import perpetua.wire.WireFormat;

/**
 * Scores events in any JVM with the latest snapshot of each model on the models topic.
 *
 * <p>{@link #follow} starts a daemon thread that reads the models topic from its beginning ({@code
 * isolation.level=read_committed}, no consumer group) and keeps following it: every snapshot
 * replaces its model's {@link ScoringModel}, and a RETIRED snapshot removes the model. Predictions
 * equal the Learner's own for events it predicts at the same version.
 *
 * <p>Thread-safe: any number of threads may score at once. A model is swapped by replacing an
 * immutable reference; scoring with one model version is serialized by a lock on it.
 *
 * <pre>{@code
 * try (Scorer scorer = Scorer.follow("kafka:9092", "models")) {
 *     if (!scorer.awaitVersion("flights", 1, Duration.ofSeconds(30))) {
 *         throw new IllegalStateException("no snapshot of flights yet");
 *     }
 *     Prediction p = scorer.score(event);           // event.getModel() is "flights"
 *     List<Prediction> ps = scorer.score(events);   // one batch per model
 *     long version = scorer.version("flights").getAsLong();
 *     Explainer.Explanation why = scorer.explain(event); // what each input added
 *     Recommendation top = scorer.recommend("movies", "user-42", 10); // a recommender's items
 * }
 * }</pre>
 */
public final class Scorer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Scorer.class);

    private final Map<String, ScoringModel> models = new ConcurrentHashMap<>();
    private final Object changed = new Object();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Thread thread;
    private volatile boolean closed;

    private Scorer(KafkaConnection kafka, String topic) {
        Properties p = kafka.consumerProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
        this.consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.thread = new Thread(this::run, "perpetua-scorer-" + topic);
        this.thread.setDaemon(true);
    }

    /**
     * Starts following {@code modelsTopic}; returns at once, before any snapshot is read (see
     * {@link #awaitVersion}). A topic that does not exist yet is waited for.
     */
    public static Scorer follow(String bootstrapServers, String modelsTopic) {
        return follow(KafkaConnection.to(bootstrapServers), modelsTopic);
    }

    /** {@link #follow(String, String)} on a cluster that may need TLS or SASL settings. */
    public static Scorer follow(KafkaConnection kafka, String modelsTopic) {
        Scorer scorer = new Scorer(kafka, modelsTopic);
        scorer.thread.start();
        return scorer;
    }

    /** Returns the version of the model scoring now, empty when the model is unknown. */
    public OptionalLong version(String model) {
        ScoringModel m = models.get(model);
        return m == null ? OptionalLong.empty() : OptionalLong.of(m.version());
    }

    /** Returns the names of the models that can be scored now. */
    public java.util.Set<String> models() {
        return java.util.Set.copyOf(models.keySet());
    }

    /**
     * Waits until {@code model} scores with a version of at least {@code atLeast}.
     *
     * @return whether it does before {@code timeout}
     */
    public boolean awaitVersion(String model, long atLeast, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (true) {
                OptionalLong v = version(model);
                if (v.isPresent() && v.getAsLong() >= atLeast) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    return false;
                }
                changed.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Scores one event with the latest version of its model. */
    public Prediction score(Event event) {
        return score(List.of(event)).get(0);
    }

    /**
     * Scores {@code events}, one batch per model, each with the latest version of its model.
     *
     * @return one prediction per event, in order
     * @throws IllegalArgumentException when an event names a model this scorer does not know
     */
    public List<Prediction> score(List<Event> events) {
        long now = System.currentTimeMillis();
        Map<String, List<Integer>> byModel = new LinkedHashMap<>();
        for (int i = 0; i < events.size(); i++) {
            byModel.computeIfAbsent(events.get(i).getModel(), k -> new ArrayList<>()).add(i);
        }
        Prediction[] out = new Prediction[events.size()];
        for (Map.Entry<String, List<Integer>> e : byModel.entrySet()) {
            ScoringModel m = models.get(e.getKey());
            if (m == null) {
                throw new IllegalArgumentException(
                        "unknown model '" + e.getKey() + "'; known: " + models.keySet());
            }
            List<Event> batch = new ArrayList<>(e.getValue().size());
            e.getValue().forEach(i -> batch.add(events.get(i)));
            List<Prediction> predictions;
            synchronized (m) {
                predictions = m.score(batch, now);
            }
            for (int j = 0; j < predictions.size(); j++) {
                out[e.getValue().get(j)] = predictions.get(j);
            }
        }
        return Arrays.asList(out);
    }

    /**
     * The {@code k} items the latest version of recommender {@code model} ranks first for {@code
     * user}, leaving out the user's recent items as its snapshot remembers them.
     *
     * @throws IllegalArgumentException for an unknown model or one that is no recommender
     */
    public Recommendation recommend(String model, String user, int k) {
        ScoringModel m = known(model);
        synchronized (m) {
            return m.recommend(user, k, System.currentTimeMillis());
        }
    }

    /**
     * What each input of {@code event} added to the score of its model's latest version, largest
     * first.
     *
     * @throws IllegalArgumentException for an event of an unknown model
     */
    public Explainer.Explanation explain(Event event) {
        ScoringModel m = known(event.getModel());
        synchronized (m) {
            return m.explain(event);
        }
    }

    private ScoringModel known(String model) {
        ScoringModel m = models.get(model);
        if (m == null) {
            throw new IllegalArgumentException(
                    "unknown model '" + model + "'; known: " + models.keySet());
        }
        return m;
    }

    /** Stops following the topic; models already read can still score. */
    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    private void run() {
        WireFormat.Codec<ModelSnapshot> codec = WireFormat.codec(ModelSnapshot.class);
        try {
            List<TopicPartition> parts = new ArrayList<>();
            while (!closed && parts.isEmpty()) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
                if (infos == null || infos.isEmpty()) {
                    Thread.sleep(500);
                    continue;
                }
                infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (!closed) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        apply(codec, r);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.error("scorer stopped following {}", topic, e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void apply(WireFormat.Codec<ModelSnapshot> codec, ConsumerRecord<byte[], byte[]> r) {
        ModelSnapshot s;
        try {
            s = codec.decode(r.value());
        } catch (IOException | RuntimeException e) {
            LOG.warn("skipping undecodable snapshot at {}-{}@{}", topic, r.partition(), r.offset());
            return;
        }
        if (s.getState() == ModelState.RETIRED) {
            models.remove(s.getModel());
            LOG.info("model '{}' retired at version {}", s.getModel(), s.getVersion());
        } else {
            try {
                models.put(s.getModel(), ScoringModel.of(s));
            } catch (RuntimeException e) {
                LOG.warn("cannot score with snapshot {} of '{}'", s.getVersion(), s.getModel(), e);
                return;
            }
        }
        synchronized (changed) {
            changed.notifyAll();
        }
    }
}
