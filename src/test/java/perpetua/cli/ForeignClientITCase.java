package perpetua.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static perpetua.testing.Cli.perpetua;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import perpetua.runtime.KafkaBroker;
import perpetua.schemas.Feedback;
import perpetua.wire.WireFormat;

/**
 * A client in another language, written from the README: Node.js with kafkajs and avsc ({@code
 * src/test/node/decode-topics.js}) publishes events that the job learns from, then decodes every
 * record of all eight topics with avsc, each fingerprint checked with its own CRC-64-AVRO. The
 * CLI's records are compressed with its default, which kafkajs must read without a codec.
 *
 * <p>Skipped, saying why, where Node.js or the script's packages ({@code npm ci} in {@code
 * src/test/node}, which {@code .ci/run} does) are absent.
 */
class ForeignClientITCase {
    private static final Path NODE_DIR = Path.of("src/test/node").toAbsolutePath();
    private static final Path SCHEMAS = Path.of("schemas/standalone").toAbsolutePath();

    @TempDir static Path dir;
    private static KafkaBroker broker;

    @BeforeAll
    static void startKafka() {
        Assumptions.assumeTrue(
                nodeVersion() != null,
                "Node.js (node) is not on the PATH: the foreign-client test is skipped");
        Assumptions.assumeTrue(
                Files.isDirectory(NODE_DIR.resolve("node_modules/avsc"))
                        && Files.isDirectory(NODE_DIR.resolve("node_modules/kafkajs")),
                "kafkajs and avsc are not installed: run `npm ci` in src/test/node (.ci/run does)");
        broker = KafkaBroker.start(dir.resolve("kafka"), 0);
    }

    @AfterAll
    static void stopKafka() {
        if (broker != null) {
            broker.close();
        }
    }

    private static String nodeVersion() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 ? out.trim() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Runs the Node client; returns its standard output, failing with its output otherwise. */
    private static List<String> node(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", "decode-topics.js"));
        command.addAll(List.of(args));
        Process p =
                new ProcessBuilder(command)
                        .directory(NODE_DIR.toFile())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("node ends").isTrue();
            assertThat(p.exitValue()).as("node: " + out).isZero();
            return out.lines().toList();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aNodeClientPublishesEventsAndDecodesEveryTopic() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> topics = new LinkedHashMap<>();
        for (String t :
                List.of(
                        "events",
                        "feedback",
                        "control",
                        "predictions",
                        "metrics",
                        "models",
                        "models-history",
                        "deadletters")) {
            topics.put(t, t + "-" + run);
        }
        String bootstrap = broker.bootstrapServers();
        List<String> topicOptions = new ArrayList<>();
        topics.forEach(
                (option, name) -> {
                    topicOptions.add("--topic." + option);
                    topicOptions.add(name);
                });
        List<String> create = new ArrayList<>(List.of("--bootstrap-servers", bootstrap));
        create.addAll(topicOptions);
        create.add("--create-topics");
        perpetua.job.OnlineLearningJob.prepareTopics(
                perpetua.job.JobOptions.fromArgs(create.toArray(String[]::new)));

        // The CLI publishes with its default compression, a spec goes to the control topic, and
        // a late label and a record of no known schema go in beside.
        Path csv = dir.resolve("rows.csv");
        StringBuilder rows = new StringBuilder("x,y,label\n");
        for (int i = 0; i < 200; i++) {
            double x = Math.sin(i * 0.7);
            rows.append(String.format("%.4f,%.4f,%d%n", x, Math.cos(i), x > 0 ? 1 : 0));
        }
        Files.writeString(csv, rows);
        assertThat(
                        perpetua(
                                        "publish",
                                        "--bootstrap-servers",
                                        bootstrap,
                                        "--topic",
                                        topics.get("events"),
                                        "--csv",
                                        csv.toString(),
                                        "--model",
                                        "m",
                                        "--label",
                                        "label",
                                        "--numeric",
                                        "x,y")
                                .exitCode())
                .isZero();
        assertThat(
                        perpetua(
                                        "models",
                                        "create",
                                        "--bootstrap-servers",
                                        bootstrap,
                                        "--control-topic",
                                        topics.get("control"),
                                        "--models-topic",
                                        topics.get("models"),
                                        "--spec",
                                        "{\"model\":\"n\",\"task\":\"BINARY\"}")
                                .exitCode())
                .isZero();
        try (EventPublisher raw = new EventPublisher(bootstrap, topics.get("feedback"));
                EventPublisher events = new EventPublisher(bootstrap, topics.get("events"))) {
            raw.sendRaw(
                    "m",
                    WireFormat.codec(Feedback.class)
                            .encode(
                                    Feedback.newBuilder()
                                            .setEventId("never-seen")
                                            .setModel("m")
                                            .setTime(0L)
                                            .setLabel(1)
                                            .build()));
            events.sendRaw("m", new byte[] {(byte) 0xC3, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0});
        }
        assertThat(node("publish", bootstrap, topics.get("events"), SCHEMAS.toString(), "m", "50"))
                .containsExactly("{\"published\":50}");

        List<String> job =
                new ArrayList<>(
                        List.of(
                                "job",
                                "--web-port",
                                "0",
                                "--no-resume",
                                "--bootstrap-servers",
                                bootstrap,
                                "--bounded",
                                "--starting-offsets",
                                "earliest",
                                "--group-id",
                                "g-" + run,
                                "--transactional-id-prefix",
                                "t-" + run,
                                "--checkpoint-interval",
                                "500ms",
                                "--checkpoint-dir",
                                dir.resolve("checkpoints").toUri().toString(),
                                "--spec",
                                "{\"model\":\"m\",\"task\":\"BINARY\",\"numericFeatures\":"
                                        + "[\"x\",\"y\"],\"maxBatch\":16,\"metricsWindow\":50,"
                                        + "\"labelWaitMs\":1000}"));
        job.addAll(topicOptions);
        assertThat(perpetua(job.toArray(String[]::new)).exitCode()).isZero();

        ObjectMapper json = new ObjectMapper();
        Map<String, JsonNode> decoded = new LinkedHashMap<>();
        for (String line :
                node("decode", bootstrap, SCHEMAS.toString(), String.join(",", topics.values()))) {
            JsonNode n = json.readTree(line);
            decoded.put(n.get("topic").asText(), n);
        }
        Map<String, String> expectedType =
                Map.of(
                        "events", "Event",
                        "feedback", "Feedback",
                        "control", "ModelSpec",
                        "predictions", "Prediction",
                        "metrics", "Metrics",
                        "models", "ModelSnapshot",
                        "models-history", "ModelSnapshot",
                        "deadletters", "DeadLetter");
        for (Map.Entry<String, String> t : topics.entrySet()) {
            JsonNode n = decoded.get(t.getValue());
            assertThat(n).as(t.getKey()).isNotNull();
            assertThat(n.get("records").asInt()).as(t.getKey()).isPositive();
            assertThat(n.get("undecodable").asInt()).as(t.getKey()).isZero();
            assertThat(n.get("badHeader").asInt()).as(t.getKey()).isZero();
            int unknown = t.getKey().equals("events") ? 1 : 0; // the record of no known schema
            assertThat(n.get("unknownFingerprint").asInt()).as(t.getKey()).isEqualTo(unknown);
            assertThat(n.get("types").get(expectedType.get(t.getKey())).asInt())
                    .as(t.getKey())
                    .isEqualTo(n.get("records").asInt() - unknown);
        }
        assertThat(decoded.get(topics.get("events")).get("records").asInt()).isEqualTo(251);
        // Every event, the CLI's and the Node client's, was predicted once.
        List<String> predicted = new ArrayList<>();
        decoded.get(topics.get("predictions"))
                .get("eventIds")
                .forEach(e -> predicted.add(e.asText()));
        assertThat(predicted).hasSize(250).doesNotHaveDuplicates().contains("node-0", "node-49");
    }
}
