package perpetua.cli;

import java.util.Iterator;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import perpetua.runtime.KafkaConnection;
import perpetua.schemas.Event;
import perpetua.wire.WireFormat;

/**
 * Publishes events to a Kafka topic in single-object encoding, keyed by model name, optionally
 * paced to a rate. Idempotent producer with {@code acks=all}: a retry never doubles an event.
 * Batches are compressed with {@link Compression#DEFAULT} unless asked otherwise.
 */
public final class EventPublisher implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final AtomicLong acknowledged = new AtomicLong();

    public EventPublisher(String bootstrapServers, String topic) {
        this(KafkaConnection.to(bootstrapServers), topic, null);
    }

    /**
     * @param compression none, gzip, snappy, lz4 or zstd; null: the connection's {@code
     *     compression.type}, else {@link Compression#DEFAULT}
     */
    public EventPublisher(KafkaConnection kafka, String topic, String compression) {
        Properties p = kafka.producerProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "2");
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        Compression.apply(p, compression);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    /**
     * Publishes up to {@code limit} events ({@code <= 0}: all), at most {@code rate} per second
     * ({@code <= 0}: as fast as possible), reporting progress every {@code progressEvery} events.
     *
     * @return the number of events published
     */
    public long publish(
            Iterator<Event> events,
            long limit,
            double rate,
            long progressEvery,
            Consumer<Long> progress) {
        long start = System.nanoTime();
        long sent = 0;
        while (events.hasNext() && (limit <= 0 || sent < limit)) {
            if (failure.get() != null) {
                throw new IllegalStateException("publishing failed", failure.get());
            }
            if (rate > 0) {
                long due = start + (long) (sent * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            send(events.next());
            sent++;
            if (progressEvery > 0 && sent % progressEvery == 0) {
                progress.accept(sent);
            }
        }
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("publishing failed", failure.get());
        }
        return sent;
    }

    public void send(Event e) {
        producer.send(
                new ProducerRecord<>(topic, e.getModel(), codec.encode(e)),
                (meta, ex) -> {
                    if (ex != null) {
                        failure.compareAndSet(null, ex);
                    } else {
                        acknowledged.incrementAndGet();
                    }
                });
    }

    /** Sends raw bytes as they are, e.g. a corrupted record in a test. */
    public void sendRaw(String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key, value));
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
