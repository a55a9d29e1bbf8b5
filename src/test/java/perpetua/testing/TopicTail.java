package perpetua.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import perpetua.wire.WireFormat;

/** Follows a topic from its beginning with read_committed and keeps every decoded record. */
public final class TopicTail<T extends SpecificRecord> implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final WireFormat.Codec<T> codec;
    private final List<T> seen = new ArrayList<>();

    public TopicTail(String bootstrap, String topic, Class<T> type) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(64 << 20));
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(topic)
                .forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        codec = WireFormat.codec(type);
    }

    /** Every record committed so far. */
    public List<T> all() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            try {
                seen.add(codec.decode(r.value()));
            } catch (java.io.IOException e) {
                throw new AssertionError("unreadable record on " + r.topic(), e);
            }
        }
        return List.copyOf(seen);
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
