package perpetua.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import perpetua.testing.Waits;

/** Integration tests of {@link KafkaBroker}, in this JVM and as a separate process. */
class KafkaBrokerITCase {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir Path dir;

    @Test
    void readCommittedSeesOnlyCommittedTransactions() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
            String topic = "tx-" + UUID.randomUUID();
            Topics.create(broker.bootstrapServers(), 1, topic);

            try (KafkaProducer<String, String> producer =
                    transactionalProducer(broker.bootstrapServers())) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>(topic, "k" + i, "committed-" + i));
                }
                producer.commitTransaction();

                producer.beginTransaction();
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>(topic, "k" + i, "aborted-" + i));
                }
                producer.flush();
                producer.abortTransaction();
            }

            List<String> values = readToEnd(broker.bootstrapServers(), topic);
            List<String> expected =
                    IntStream.range(0, 100).mapToObj(i -> "committed-" + i).toList();
            assertThat(values).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void restartReusesFormattedStorageAndCloseIsIdempotent() throws Exception {
        Path data = dir.resolve("kafka");
        String topic = "restart-" + UUID.randomUUID();
        KafkaBroker first = KafkaBroker.start(data, 0);
        Topics.create(first.bootstrapServers(), 2, Map.of("cleanup.policy", "compact"), topic);
        // Creating it again must be harmless.
        Topics.create(first.bootstrapServers(), 2, topic);
        first.close();
        first.close();

        try (KafkaBroker second = KafkaBroker.start(data, 0);
                Admin admin =
                        Admin.create(
                                Map.of(
                                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                        second.bootstrapServers()))) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertThat(topics).contains(topic);
        }
    }

    @Test
    void separateProcessStopsWhenStandardInputCloses() throws Exception {
        Path stderr = dir.resolve("broker-stderr.log");
        Process process = launchBrokerProcess(stderr);
        try {
            String bootstrap = awaitReady(process, stderr);

            String topic = "proc-" + UUID.randomUUID();
            Topics.create(bootstrap, 1, topic);
            try (KafkaProducer<String, String> producer = plainProducer(bootstrap)) {
                producer.send(new ProducerRecord<>(topic, "key", "hello"))
                        .get(30, TimeUnit.SECONDS);
            }
            assertThat(readToEnd(bootstrap, topic)).containsExactly("hello");

            process.getOutputStream().close();
            boolean exited = process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(exited).as("broker process exited after its stdin closed").isTrue();
            assertThat(process.exitValue()).isZero();
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void separateProcessStopsOnSigterm() throws Exception {
        Path stderr = dir.resolve("broker-stderr.log");
        Process process = launchBrokerProcess(stderr);
        try {
            awaitReady(process, stderr);
            process.destroy();
            boolean exited = process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(exited).as("broker process exited after SIGTERM").isTrue();
        } finally {
            process.destroyForcibly();
        }
    }

    private Process launchBrokerProcess(Path stderr) throws IOException {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder =
                new ProcessBuilder(
                        javaBin.toString(),
                        "-Xmx512m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        KafkaBroker.class.getName(),
                        "--dir",
                        dir.resolve("kafka").toString(),
                        "--port",
                        "0");
        builder.redirectError(stderr.toFile());
        return builder.start();
    }

    /** Reads the child's first line of standard output, which must be the READY line. */
    private static String awaitReady(Process process, Path stderr) throws Exception {
        // readLine blocks without a timeout of its own, so it runs aside and is awaited with one.
        BufferedReader stdout =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> readLine(stdout));
        String line = ready.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(line)
                .as(() -> "first stdout line; the broker's stderr:\n" + readQuietly(stderr))
                .startsWith("READY ");
        return line.substring("READY ".length());
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static KafkaProducer<String, String> transactionalProducer(String bootstrap) {
        Properties props = producerProps(bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-" + UUID.randomUUID());
        return new KafkaProducer<>(props);
    }

    private static KafkaProducer<String, String> plainProducer(String bootstrap) {
        return new KafkaProducer<>(producerProps(bootstrap));
    }

    private static Properties producerProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return props;
    }

    /**
     * Reads a topic from the beginning up to its end offsets with isolation level read_committed.
     */
    private static List<String> readToEnd(String bootstrap, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // With read_committed the end offsets are the last stable offsets, past the abort.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Waits.until(
                    "consuming " + topic + " up to " + end,
                    TIMEOUT,
                    () -> {
                        for (ConsumerRecord<String, String> record :
                                consumer.poll(Duration.ofMillis(100))) {
                            values.add(record.value());
                        }
                        return partitions.stream()
                                .allMatch(tp -> consumer.position(tp) >= end.get(tp));
                    });
        }
        return values;
    }
}
