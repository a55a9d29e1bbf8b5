package perpetua.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a topic from its beginning with {@code isolation.level=read_committed}, without a consumer
 * group: only records of committed transactions are seen.
 */
public final class TopicReader implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;

    public TopicReader(String bootstrapServers, String topic, boolean fromBeginning) {
        this(KafkaConnection.to(bootstrapServers), List.of(topic), fromBeginning);
    }

    public TopicReader(String bootstrapServers, List<String> topics, boolean fromBeginning) {
        this(KafkaConnection.to(bootstrapServers), topics, fromBeginning);
    }

    public TopicReader(KafkaConnection kafka, String topic, boolean fromBeginning) {
        this(kafka, List.of(topic), fromBeginning);
    }

    /**
     * Assigns every partition of {@code topics}, at their beginning or end.
     *
     * @throws IllegalArgumentException for a topic that does not exist
     * @throws IllegalStateException when the cluster cannot be reached or refuses this client
     */
    public TopicReader(KafkaConnection kafka, List<String> topics, boolean fromBeginning) {
        Properties p = kafka.consumerProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putIfAbsent(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new java.util.ArrayList<>();
        for (String topic : topics) {
            List<org.apache.kafka.common.PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            } catch (org.apache.kafka.common.KafkaException e) {
                consumer.close(Duration.ZERO);
                throw Topics.unreachable(kafka, e);
            }
            if (infos == null || infos.isEmpty()) {
                consumer.close();
                throw new IllegalArgumentException("topic '" + topic + "' does not exist");
            }
            infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        }
        consumer.assign(parts);
        if (fromBeginning) {
            consumer.seekToBeginning(parts);
        } else {
            consumer.seekToEnd(parts);
        }
    }

    /**
     * Hands each record to {@code handler} until it returns false, {@code idle} passes without a
     * record ({@code null}: never), or the thread is interrupted.
     *
     * @return the number of records handled
     */
    public long read(Duration idle, Predicate<ConsumerRecord<byte[], byte[]>> handler) {
        long count = 0;
        long lastRecord = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            var records = consumer.poll(Duration.ofMillis(200));
            if (records.isEmpty()) {
                if (idle != null && System.nanoTime() - lastRecord > idle.toNanos()) {
                    return count;
                }
                continue;
            }
            lastRecord = System.nanoTime();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                count++;
                if (!handler.test(r)) {
                    return count;
                }
            }
        }
        return count;
    }

    /**
     * Hands each record to {@code handler} until every partition is read up to the end it had when
     * this call began (the last stable offset under read_committed).
     *
     * @throws IllegalStateException when that takes longer than {@code timeout}
     * @return the number of records handled
     */
    public long readToEnd(
            Duration timeout, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> handler) {
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
        long deadline = System.nanoTime() + timeout.toNanos();
        long count = 0;
        while (!caughtUp(end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "reading " + consumer.assignment() + " to its end took over " + timeout);
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                handler.accept(r);
                count++;
            }
        }
        return count;
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
