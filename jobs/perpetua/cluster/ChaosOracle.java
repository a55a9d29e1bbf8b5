package perpetua.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.Prediction;
import perpetua.wire.WireFormat;

/**
 * The chaos drill's verifier: reads {@code predictions}, {@code deadletters}, {@code metrics} and
 * {@code models} with {@code read_committed} from the beginning, as any consumer of Perpetua would,
 * and counts every event id, every dead letter's source position and every model version it sees.
 *
 * <p>It runs until {@link #stop()}, then reads on to the end offsets of that moment, so that the
 * verdict covers everything the job committed.
 */
final class ChaosOracle implements Runnable {
    private static final List<String> TOPICS =
            List.of("predictions", "deadletters", "metrics", "models");

    private final String bootstrap;
    private final int[] predictedTimes;
    private final long[] predictedAt;
    private final Map<String, Integer> deadLetters = new HashMap<>();
    private final List<String> unexpectedDeadLetters = new ArrayList<>();
    private final Map<String, Long> predictionVersion = new HashMap<>();
    private final Map<String, Long> snapshotVersion = new HashMap<>();
    private final List<String> versionRegressions = new ArrayList<>();
    private long predictions;
    private long foreignPredictions;
    private long metrics;
    private long snapshots;
    private volatile long distinct;
    private volatile long lastPredictedAt;
    private volatile boolean stopping;
    private volatile Throwable failure;

    private final java.util.Collection<org.apache.avro.Schema> newerWriters;

    ChaosOracle(String bootstrap, long events) {
        this(bootstrap, events, List.of());
    }

    /**
     * An oracle that also reads records written with {@code newerWriters}, the schemas of a newer
     * build (an upgrade drill).
     */
    ChaosOracle(
            String bootstrap,
            long events,
            java.util.Collection<org.apache.avro.Schema> newerWriters) {
        this.newerWriters = newerWriters;
        this.bootstrap = bootstrap;
        this.predictedTimes = new int[Math.toIntExact(events)];
        this.predictedAt = new long[Math.toIntExact(events)];
    }

    @Override
    public void run() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 70 * 1024 * 1024);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 140 * 1024 * 1024);
        WireFormat.Codec<Prediction> predictionCodec =
                WireFormat.codec(Prediction.class, newerWriters);
        WireFormat.Codec<DeadLetter> deadLetterCodec =
                WireFormat.codec(DeadLetter.class, newerWriters);
        WireFormat.Codec<ModelSnapshot> snapshotCodec =
                WireFormat.codec(ModelSnapshot.class, newerWriters);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : TOPICS) {
                for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofMinutes(2))) {
                    partitions.add(new TopicPartition(topic, info.partition()));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = null;
            while (true) {
                if (stopping && end == null) {
                    end = consumer.endOffsets(partitions, Duration.ofMinutes(2));
                }
                if (end != null && reached(consumer, end)) {
                    return;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    switch (r.topic()) {
                        case "predictions" -> prediction(predictionCodec.decode(r.value()));
                        case "deadletters" -> deadLetter(deadLetterCodec.decode(r.value()));
                        case "models" -> snapshot(snapshotCodec.decode(r.value()));
                        default -> metrics++;
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    private static boolean reached(
            KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private synchronized void prediction(Prediction pr) {
        predictions++;
        long seq = ChaosProducer.sequence(pr.getEventId());
        if (seq < 0 || seq >= predictedTimes.length) {
            foreignPredictions++;
            return;
        }
        int i = (int) seq;
        if (predictedTimes[i]++ == 0) {
            distinct++;
            predictedAt[i] = pr.getPredictedAt();
        }
        lastPredictedAt = Math.max(lastPredictedAt, pr.getPredictedAt());
        // Predictions are keyed by model: one partition, in order, per model.
        Long last = predictionVersion.put(pr.getModel(), pr.getModelVersion());
        if (last != null && pr.getModelVersion() < last && versionRegressions.size() < 20) {
            versionRegressions.add(
                    "prediction of "
                            + pr.getEventId()
                            + " by "
                            + pr.getModel()
                            + " at version "
                            + pr.getModelVersion()
                            + " after version "
                            + last);
        }
    }

    private synchronized void deadLetter(DeadLetter d) {
        String key = d.getSourceTopic() + "/" + d.getPartition() + "/" + d.getOffset();
        deadLetters.merge(key, 1, Integer::sum);
        if (!"events".equals(d.getSourceTopic()) && unexpectedDeadLetters.size() < 20) {
            unexpectedDeadLetters.add(key + ": " + d.getReason());
        }
    }

    private synchronized void snapshot(ModelSnapshot s) {
        snapshots++;
        Long last = snapshotVersion.put(s.getModel(), s.getVersion());
        if (last != null && s.getVersion() < last && versionRegressions.size() < 20) {
            versionRegressions.add(
                    "snapshot of "
                            + s.getModel()
                            + " at version "
                            + s.getVersion()
                            + " after version "
                            + last);
        }
    }

    /** Waits until {@code n} distinct events have a committed prediction, or the timeout. */
    void awaitPredicted(long n, Duration timeout, BiConsumer<String, Object[]> say)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastSaid = 0;
        while (distinct < n && System.nanoTime() < deadline && failure == null) {
            if (System.nanoTime() - lastSaid > TimeUnit.SECONDS.toNanos(10)) {
                say.accept("%,d of %,d events predicted", new Object[] {distinct, n});
                lastSaid = System.nanoTime();
            }
            Thread.sleep(200);
        }
    }

    /**
     * Waits until a prediction made after {@code instant} is committed: the job runs again after a
     * fault. Returns false at the timeout.
     */
    boolean awaitPredictionAfter(Instant instant, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lastPredictedAt <= instant.toEpochMilli()) {
            if (System.nanoTime() > deadline || failure != null) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    void stop() {
        stopping = true;
    }

    /** The drill's outcome. */
    record Verdict(
            long events,
            long predicted,
            long missing,
            long duplicated,
            long deadLetters,
            long deadLettersMissing,
            long deadLettersDuplicated,
            int kills,
            int brokerRestarts,
            long recoveryMsMax,
            List<Long> recoveries,
            List<String> problems) {

        boolean ok() {
            return problems.isEmpty();
        }

        /** The drill's last line, in the documented form. */
        String line() {
            return String.format(
                    "chaos events=%d predicted=%d missing=%d duplicated=%d deadletters=%d kills=%d"
                            + " broker_restarts=%d recovery_ms_max=%d result=%s",
                    events,
                    predicted,
                    missing,
                    duplicated,
                    deadLetters,
                    kills,
                    brokerRestarts,
                    recoveryMsMax,
                    ok() ? "ok" : "failed");
        }
    }

    synchronized Verdict verdict(
            List<ChaosProducer.Position> malformed,
            List<Instant> kills,
            int brokerRestarts,
            List<String> openTransactions,
            long events) {
        List<String> problems = new ArrayList<>();
        if (failure != null) {
            problems.add("the oracle failed: " + failure);
        }
        long missing = 0;
        long duplicated = 0;
        List<String> examples = new ArrayList<>();
        for (int i = 0; i < predictedTimes.length; i++) {
            if (predictedTimes[i] == 0) {
                missing++;
                if (examples.size() < 5) {
                    examples.add("e-" + i + " missing");
                }
            } else if (predictedTimes[i] > 1) {
                duplicated += predictedTimes[i] - 1;
                if (examples.size() < 10) {
                    examples.add("e-" + i + " predicted " + predictedTimes[i] + " times");
                }
            }
        }
        if (missing > 0 || duplicated > 0) {
            problems.add(missing + " missing, " + duplicated + " doubled: " + examples);
        }
        if (foreignPredictions > 0) {
            problems.add(foreignPredictions + " predictions of events nobody published");
        }
        long found = 0;
        long lettersMissing = 0;
        long lettersDoubled = 0;
        for (ChaosProducer.Position m : malformed) {
            Integer n = deadLetters.get("events/" + m.partition() + "/" + m.offset());
            if (n == null) {
                lettersMissing++;
            } else {
                found++;
                lettersDoubled += n - 1;
            }
        }
        long strays = deadLetters.size() - found;
        if (lettersMissing > 0 || lettersDoubled > 0 || strays > 0) {
            problems.add(
                    "dead letters: "
                            + lettersMissing
                            + " malformed records without one, "
                            + lettersDoubled
                            + " doubled, "
                            + strays
                            + " for records that were not malformed "
                            + unexpectedDeadLetters);
        }
        if (!versionRegressions.isEmpty()) {
            problems.add("versions went backwards: " + versionRegressions);
        }
        if (!openTransactions.isEmpty()) {
            problems.add("transactions left open: " + openTransactions);
        }
        List<Long> recoveries = new ArrayList<>();
        long[] sorted = Arrays.copyOf(predictedAt, predictedAt.length);
        Arrays.sort(sorted);
        for (Instant kill : kills) {
            int at = Arrays.binarySearch(sorted, kill.toEpochMilli() + 1);
            int next = at >= 0 ? at : -at - 1;
            while (next < sorted.length && sorted[next] <= kill.toEpochMilli()) {
                next++;
            }
            if (next < sorted.length) {
                recoveries.add(sorted[next] - kill.toEpochMilli());
            } else {
                problems.add("no prediction was committed after the kill at " + kill);
            }
        }
        if (snapshots == 0 || metrics == 0) {
            problems.add(
                    "the job committed "
                            + snapshots
                            + " snapshots and "
                            + metrics
                            + " metrics records");
        }
        return new Verdict(
                events,
                predictions,
                missing,
                duplicated,
                found,
                lettersMissing,
                lettersDoubled,
                kills.size(),
                brokerRestarts,
                recoveries.stream().mapToLong(Long::longValue).max().orElse(0),
                recoveries,
                problems);
    }

    /** The transactions of {@code prefix} that the broker holds open. */
    static List<String> openTransactions(String bootstrap, String prefix) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        Set<TransactionState> open =
                Set.of(
                        TransactionState.ONGOING,
                        TransactionState.PREPARE_COMMIT,
                        TransactionState.PREPARE_ABORT);
        List<String> out = new ArrayList<>();
        try (Admin admin = Admin.create(p)) {
            for (TransactionListing t : admin.listTransactions().all().get(1, TimeUnit.MINUTES)) {
                if (t.transactionalId().startsWith(prefix) && open.contains(t.state())) {
                    out.add(t.transactionalId() + " " + t.state());
                }
            }
        }
        return out;
    }
}
