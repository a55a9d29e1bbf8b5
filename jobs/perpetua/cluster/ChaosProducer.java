package perpetua.cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import perpetua.schemas.Event;
import perpetua.wire.WireFormat;

/**
 * The chaos drill's producer: {@code events} labelled events with unique sequence ids ({@code e-0},
 * {@code e-1}, ...) over {@code models} models at a steady rate, and after every hundredth event
 * one malformed record, whose position it remembers so that the oracle can find its dead letter.
 *
 * <p>It is idempotent and waits out a broker outage (sends block and retry for up to ten minutes),
 * so that the input holds every event exactly once however the broker fails.
 */
final class ChaosProducer implements Runnable {
    /** Where a malformed record landed. */
    record Position(int partition, long offset) {}

    private final String bootstrap;
    private final long first;
    private final long events;
    private final int models;
    private final double rate;
    private final long seed;
    private final AtomicLong published = new AtomicLong();
    private final List<Position> malformed = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running = true;
    private volatile long gate = Long.MAX_VALUE;
    private volatile long unpacedUntil;
    private final AtomicLong acked = new AtomicLong();

    ChaosProducer(String bootstrap, long events, int models, double rate, long seed) {
        this(bootstrap, 0, events, models, rate, seed);
    }

    /** A producer of the events {@code first} to {@code first + events - 1}. */
    ChaosProducer(String bootstrap, long first, long events, int models, double rate, long seed) {
        this.bootstrap = bootstrap;
        this.first = first;
        this.events = events;
        this.models = models;
        this.rate = rate;
        this.seed = seed;
    }

    /**
     * The job's arguments for a drill: this workload's models, checkpoints at {@code
     * checkpointInterval}, and its own transactional-id prefix and consumer group, so that a drill
     * never meets the transactions of an earlier run; {@code more} follow.
     */
    static List<String> jobArgs(
            String bootstrapServers,
            int models,
            String checkpointInterval,
            String prefix,
            String... more) {
        List<String> args =
                new java.util.ArrayList<>(
                        List.of(
                                "--bootstrap-servers",
                                bootstrapServers,
                                "--spec",
                                specs(models),
                                "--checkpoint-interval",
                                checkpointInterval,
                                "--transactional-id-prefix",
                                prefix,
                                "--group-id",
                                prefix));
        args.addAll(List.of(more));
        return List.copyOf(args);
    }

    /** The drill's models: logistic regressions on two numbers and a category. */
    static String specs(int models) {
        StringBuilder sb = new StringBuilder("[");
        for (int m = 0; m < models; m++) {
            sb.append(m == 0 ? "" : ",")
                    .append("{\"model\":\"")
                    .append(model(m))
                    .append(
                            "\",\"task\":\"BINARY\",\"numericFeatures\":[\"x\",\"y\"],"
                                    + "\"hashBits\":10,\"optimizer\":\"ADAM\",\"learningRate\":0.05,"
                                    + "\"maxBatch\":64,\"maxDelayMs\":50,\"metricsWindow\":2000,"
                                    + "\"snapshotEverySeconds\":5}");
        }
        return sb.append("]").toString();
    }

    static String model(int m) {
        return "chaos-" + m;
    }

    /** The sequence number of an event id of this producer, or -1. */
    static long sequence(String eventId) {
        if (eventId == null || !eventId.startsWith("e-")) {
            return -1;
        }
        try {
            return Long.parseLong(eventId.substring(2));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void run() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) TimeUnit.MINUTES.toMillis(10));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, TimeUnit.MINUTES.toMillis(10));
        WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
        Random random = new Random(seed);
        long start = System.nanoTime();
        long paced = first;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long i = first; i < first + events && failure.get() == null; i++) {
                if (i - first >= gate) {
                    producer.flush();
                    while (i - first >= gate) {
                        Thread.sleep(20);
                    }
                    // After a hold the rate starts again, rather than catching up in a burst.
                    start = System.nanoTime();
                    paced = i;
                }
                int m = (int) (i % models);
                byte[] key = model(m).getBytes(StandardCharsets.UTF_8);
                producer.send(
                        new ProducerRecord<>("events", key, codec.encode(event(i, m, random))),
                        (meta, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            } else {
                                acked.incrementAndGet();
                            }
                        });
                published.incrementAndGet();
                if (i % 100 == 99) {
                    producer.send(
                            new ProducerRecord<>("events", key, malformed(random, codec)),
                            (meta, e) -> {
                                if (e != null) {
                                    failure.compareAndSet(null, e);
                                } else {
                                    malformed.add(new Position(meta.partition(), meta.offset()));
                                }
                            });
                }
                if (i - first < unpacedUntil) {
                    // A burst: the pace starts again after it.
                    start = System.nanoTime();
                    paced = i + 1;
                } else {
                    pace(start, i - paced + 1);
                }
            }
            producer.flush();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        } finally {
            running = false;
        }
    }

    private static Event event(long i, int m, Random random) {
        double x = random.nextGaussian();
        double y = random.nextGaussian();
        double logit = 2 * x - y + (m % 3 - 1) * 0.5;
        int label = random.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
        return Event.newBuilder()
                .setId("e-" + i)
                .setModel(model(m))
                .setTime(System.currentTimeMillis())
                .setNumeric(Map.of("x", x, "y", y))
                .setLabel(label)
                .build();
    }

    /** Random bytes, a cut-off event, or a valid header over a garbage body, in turn. */
    private static byte[] malformed(Random random, WireFormat.Codec<Event> codec) {
        int kind = random.nextInt(3);
        if (kind == 0) {
            byte[] b = new byte[1 + random.nextInt(200)];
            random.nextBytes(b);
            b[0] = 0x42;
            return b;
        }
        byte[] valid = codec.encode(event(-1, 0, random));
        if (kind == 1) {
            return java.util.Arrays.copyOf(valid, 10 + random.nextInt(valid.length - 12));
        }
        byte[] garbage = java.util.Arrays.copyOf(valid, valid.length);
        for (int k = 10; k < garbage.length; k++) {
            garbage[k] = (byte) 0xFF;
        }
        return garbage;
    }

    private void pace(long start, long sent) throws InterruptedException {
        if (rate <= 0) {
            return;
        }
        long due = start + (long) (sent * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /**
     * Runs the drill's steps spread over the events: step {@code i} of {@code n} once {@code
     * (i+1)/(n+1)} of them are published. The producer waits at each step's mark until the step
     * starts, so that every fault meets events still to come, however long the faults before it
     * took.
     */
    void spreadOver(List<Runnable> steps) throws InterruptedException {
        int n = steps.size();
        for (int i = 0; i < n; i++) {
            long mark = (long) ((i + 1) * (double) events / (n + 1));
            gate = mark;
            while (published.get() < mark && running) {
                Thread.sleep(50);
            }
            gate = i + 1 < n ? (long) ((i + 2) * (double) events / (n + 1)) : Long.MAX_VALUE;
            steps.get(i).run();
        }
        gate = Long.MAX_VALUE;
    }

    /**
     * Sends the next {@code n} events as fast as the producer can and waits until the broker has
     * acknowledged them: the job then has a backlog, and outputs in flight, when a fault follows.
     */
    void burst(long n) throws InterruptedException {
        long target = published.get() + n;
        unpacedUntil = target;
        while (acked.get() < target && running && failure.get() == null) {
            Thread.sleep(10);
        }
    }

    long published() {
        return published.get();
    }

    boolean running() {
        return running;
    }

    List<Position> malformed() {
        return List.copyOf(malformed);
    }

    Throwable failure() {
        return failure.get();
    }
}
