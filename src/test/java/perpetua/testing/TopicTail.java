package perpetua.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import perpetua.runtime.TopicReader;
import perpetua.wire.WireFormat;

/** Follows a topic from its beginning with read_committed and keeps every decoded record. */
public final class TopicTail<T extends SpecificRecord> implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final WireFormat.Codec<T> codec;
    private final List<TopicPartition> parts = new ArrayList<>();
    private final List<T> seen = new ArrayList<>();

    /**
     * Every record of {@code topic} that a read_committed consumer sees from the beginning until
     * three seconds pass without a new one, decoded.
     */
    public static <T extends SpecificRecord> List<T> drain(
            String bootstrap, String topic, Class<T> type) throws Exception {
        WireFormat.Codec<T> codec = WireFormat.codec(type);
        List<T> out = new ArrayList<>();
        try (TopicReader reader = new TopicReader(bootstrap, topic, true)) {
            reader.read(
                    Duration.ofSeconds(3),
                    r -> {
                        try {
                            out.add(codec.decode(r.value()));
                        } catch (java.io.IOException ex) {
                            throw new AssertionError(ex);
                        }
                        return true;
                    });
        }
        return out;
    }

    public TopicTail(String bootstrap, String topic, Class<T> type) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(64 << 20));
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // A topic created a moment ago may not be in the broker's metadata yet.
        List<org.apache.kafka.common.PartitionInfo> infos =
                Waits.untilPresent(
                        "partitions of " + topic,
                        Duration.ofSeconds(30),
                        () ->
                                java.util.Optional.of(consumer.partitionsFor(topic))
                                        .filter(l -> !l.isEmpty()));
        infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        codec = WireFormat.codec(type);
    }

    /**
     * Every record committed when the call starts: it reads up to the partitions' end offsets as
     * read_committed sees them then (the last stable offsets), however many polls that takes.
     */
    public List<T> all() {
        Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                try {
                    seen.add(codec.decode(r.value()));
                } catch (java.io.IOException e) {
                    throw new AssertionError("unreadable record on " + r.topic(), e);
                }
            }
        } while (!reached(ends) && System.nanoTime() < deadline);
        return List.copyOf(seen);
    }

    private boolean reached(Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Waits until the records committed so far satisfy {@code condition}, and returns them. */
    public List<T> await(String what, Duration timeout, Predicate<List<T>> condition) {
        return Waits.untilPresent(
                what,
                timeout,
                () -> {
                    List<T> now = all();
                    return condition.test(now)
                            ? java.util.Optional.of(now)
                            : java.util.Optional.empty();
                });
    }

    @Override
    public void close() {
        consumer.close();
    }
}
