package perpetua.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static perpetua.testing.Cli.perpetua;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import perpetua.runtime.KafkaBroker;
import perpetua.runtime.KafkaConnection;
import perpetua.runtime.TopicReader;
import perpetua.runtime.Topics;
import perpetua.schemas.Event;
import perpetua.testing.CapturedOutput;
import perpetua.testing.Cli;
import perpetua.testing.Streams;
import perpetua.testing.TestCertificates;
import perpetua.wire.WireFormat;

/**
 * Perpetua on a secured Kafka: a real broker with a SASL_SSL listener (SCRAM-SHA-512, PLAIN and
 * OAUTHBEARER over TLS) and a mutual-TLS listener, certificates made in the test. The commands and
 * the job reach it through {@code --kafka-config}; wrong credentials fail within seconds, saying
 * so; no output and no log line of a run shows the password.
 */
class SecuredKafkaITCase {
    private static final String SASL = "SASLSSL";
    private static final String MTLS = "MTLS";
    private static final String USER = "perpetua-app";
    private static final String PASSWORD = "Pw-" + UUID.randomUUID();
    private static final String PLAIN_PASSWORD = "Plain-" + UUID.randomUUID();

    @TempDir static Path dir;
    private static KafkaBroker broker;
    private static Path caPem;
    private static Path clientPem;

    @BeforeAll
    static void startSecuredKafka() throws Exception {
        TestCertificates ca = TestCertificates.authority("perpetua-test-ca");
        TestCertificates.Identity server = ca.issue("broker");
        caPem = Files.writeString(dir.resolve("ca.pem"), ca.caPem());
        clientPem = Files.writeString(dir.resolve("client.pem"), ca.issue("client").keyStorePem());
        String sasl = "listener.name." + SASL.toLowerCase() + ".";
        String mtls = "listener.name." + MTLS.toLowerCase() + ".";
        Map<String, String> saslConfig = new java.util.HashMap<>(keyStore(sasl, server));
        saslConfig.put(sasl + "sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN,OAUTHBEARER");
        saslConfig.put(
                sasl + "scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        saslConfig.put(
                sasl + "plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_plainuser=\""
                        + PLAIN_PASSWORD
                        + "\";");
        saslConfig.put(
                sasl + "oauthbearer.sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
                        + " unsecuredLoginStringClaim_sub=\"broker\";");
        Map<String, String> mtlsConfig = new java.util.HashMap<>(keyStore(mtls, server));
        mtlsConfig.put(mtls + "ssl.client.auth", "required");
        mtlsConfig.put(mtls + "ssl.truststore.type", "PEM");
        mtlsConfig.put(mtls + "ssl.truststore.certificates", ca.caPem());
        broker =
                KafkaBroker.start(
                        dir.resolve("kafka"),
                        0,
                        List.of(
                                new KafkaBroker.Listener(SASL, "SASL_SSL", saslConfig),
                                new KafkaBroker.Listener(MTLS, "SSL", mtlsConfig)));
        // SCRAM credentials live in the cluster's metadata: set through the plain listener.
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.alterUserScramCredentials(
                            List.of(
                                    new UserScramCredentialUpsertion(
                                            USER,
                                            new ScramCredentialInfo(
                                                    ScramMechanism.SCRAM_SHA_512, 8192),
                                            PASSWORD)))
                    .all()
                    .get();
        }
    }

    private static Map<String, String> keyStore(String prefix, TestCertificates.Identity id) {
        return Map.of(
                prefix + "ssl.keystore.type", "PEM",
                prefix + "ssl.keystore.key", id.privateKeyPem(),
                prefix + "ssl.keystore.certificate.chain", id.certificateChainPem());
    }

    @AfterAll
    static void stopKafka() {
        if (broker != null) {
            broker.close();
        }
    }

    /** A client properties file for the SASL_SSL listener, as a user would write it. */
    private static Path scramConfig(String name, String password) throws IOException {
        return Files.writeString(
                dir.resolve(name),
                "bootstrap.servers="
                        + broker.bootstrapServers(SASL)
                        + "\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
                        + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule"
                        + " required username=\""
                        + USER
                        + "\" password=\""
                        + password
                        + "\";\nssl.truststore.type=PEM\nssl.truststore.location="
                        + caPem
                        + "\n");
    }

    private static Path csv(int rows) throws IOException {
        StringBuilder s = new StringBuilder("x,y,label\n");
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < rows; i++) {
            double x = rnd.nextGaussian();
            double y = rnd.nextGaussian();
            s.append(String.format("%.4f,%.4f,%d%n", x, y, x + y > 0 ? 1 : 0));
        }
        return Files.writeString(dir.resolve("rows-" + rows + ".csv"), s);
    }

    @Test
    void theWholePathRunsOverSaslSslAndNoOutputOrLogShowsThePassword() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String config = scramConfig("client-" + run + ".properties", PASSWORD).toString();
        List<String> topics =
                List.of(
                        "--topic.events", "events-" + run,
                        "--topic.predictions", "predictions-" + run,
                        "--topic.metrics", "metrics-" + run,
                        "--topic.models", "models-" + run,
                        "--topic.models-history", "history-" + run,
                        "--topic.deadletters", "deadletters-" + run,
                        "--topic.feedback", "feedback-" + run,
                        "--topic.control", "control-" + run);
        List<Cli.Run> runs = new ArrayList<>();
        String logs;
        String printed;
        try (CapturedOutput captured = new CapturedOutput()) {
            runs.add(
                    perpetua(
                            "publish",
                            "--kafka-config",
                            config,
                            "--topic",
                            "events-" + run,
                            "--create",
                            "--csv",
                            csv(300).toString(),
                            "--model",
                            "m",
                            "--label",
                            "label",
                            "--numeric",
                            "x,y"));
            assertThat(runs.get(0).exitCode()).as(captured.printed()).isZero();

            List<String> job =
                    new ArrayList<>(
                            List.of(
                                    "job",
                                    "--web-port",
                                    "0",
                                    "--no-resume",
                                    "--kafka-config",
                                    config,
                                    "--create-topics",
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
                                    dir.resolve("checkpoints-" + run).toUri().toString(),
                                    "--spec",
                                    "{\"model\":\"m\",\"task\":\"BINARY\",\"numericFeatures\":"
                                            + "[\"x\",\"y\"],\"maxBatch\":16,\"metricsWindow\":100}"));
            job.addAll(topics);
            runs.add(perpetua(job.toArray(String[]::new)));
            assertThat(runs.get(1).exitCode()).as(captured.printed()).isZero();

            Cli.Run consumed =
                    perpetua(
                            "consume",
                            "--kafka-config",
                            config,
                            "--topic",
                            "predictions-" + run,
                            "--idle-timeout",
                            "3");
            runs.add(consumed);
            assertThat(consumed.out().lines().filter(l -> l.contains("\"Prediction\"")))
                    .hasSize(300);

            Cli.Run list =
                    perpetua(
                            "models",
                            "list",
                            "--kafka-config",
                            config,
                            "--control-topic",
                            "control-" + run,
                            "--models-topic",
                            "models-" + run,
                            "--json");
            runs.add(list);
            assertThat(list.out()).contains("\"model\":\"m\"").contains("\"state\":\"learning\"");
            logs = captured.logs();
            printed = captured.printed();
        }
        // The logs hold the clients' configurations, with the JAAS config masked, never shown.
        assertThat(logs).contains("sasl.jaas.config = [hidden]").contains("SASL_SSL");
        assertThat(logs).doesNotContain(PASSWORD);
        assertThat(printed).doesNotContain(PASSWORD);
        for (Cli.Run r : runs) {
            assertThat(r.out()).doesNotContain(PASSWORD);
        }
    }

    @Test
    void wrongCredentialsFailWithinSecondsSayingWhy() throws Exception {
        String config = scramConfig("wrong.properties", "not-the-password").toString();
        long start = System.nanoTime();
        String printed;
        Cli.Run consume;
        Cli.Run job;
        try (CapturedOutput captured = new CapturedOutput()) {
            consume = perpetua("consume", "--kafka-config", config, "--topic", "any");
            job =
                    perpetua(
                            "job",
                            "--web-port",
                            "0",
                            "--no-resume",
                            "--kafka-config",
                            config,
                            "--checkpoint-dir",
                            dir.resolve("never").toUri().toString());
            printed = captured.printed();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(consume.exitCode()).isEqualTo(1);
        assertThat(job.exitCode()).isEqualTo(1);
        assertThat(printed)
                .contains("cannot use Kafka at " + broker.bootstrapServers(SASL))
                .contains("(SASL_SSL, SCRAM-SHA-512)")
                .contains("refused this client's credentials")
                .doesNotContain("not-the-password");
        assertThat(seconds).as("both refusals, in seconds").isLessThan(30);

        // A client that does not trust the broker's certificate is told so.
        Path untrusting =
                Files.writeString(
                        dir.resolve("untrusting.properties"),
                        Files.readString(Path.of(config))
                                .replaceAll("ssl.truststore.[a-z]+=.*\n", ""));
        KafkaConnection k = KafkaConnection.configure(null, untrusting, List.of());
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Topics.exists(k, "any")))
                .hasMessageContaining("the TLS handshake failed");
    }

    @Test
    void plainOauthbearerAndMutualTlsClientsPublishAndRead() throws Exception {
        KafkaConnection plain =
                KafkaConnection.configure(
                        broker.bootstrapServers(SASL),
                        null,
                        List.of(
                                "security.protocol=SASL_SSL",
                                "sasl.mechanism=PLAIN",
                                "sasl.jaas.config=org.apache.kafka.common.security.plain"
                                        + ".PlainLoginModule required username=\"plainuser\""
                                        + " password=\""
                                        + PLAIN_PASSWORD
                                        + "\";",
                                "ssl.truststore.type=PEM",
                                "ssl.truststore.location=" + caPem));
        KafkaConnection oauth =
                KafkaConnection.configure(
                        broker.bootstrapServers(SASL),
                        null,
                        List.of(
                                "security.protocol=SASL_SSL",
                                "sasl.mechanism=OAUTHBEARER",
                                "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer"
                                        + ".OAuthBearerLoginModule required"
                                        + " unsecuredLoginStringClaim_sub=\"alice\";",
                                "ssl.truststore.type=PEM",
                                "ssl.truststore.location=" + caPem));
        KafkaConnection mutual =
                KafkaConnection.configure(
                        broker.bootstrapServers(MTLS),
                        null,
                        List.of(
                                "security.protocol=SSL",
                                "ssl.truststore.type=PEM",
                                "ssl.truststore.location=" + caPem,
                                "ssl.keystore.type=PEM",
                                "ssl.keystore.location=" + clientPem));
        for (KafkaConnection k : List.of(plain, oauth, mutual)) {
            String topic = "t-" + UUID.randomUUID().toString().substring(0, 8);
            Topics.create(k, 1, Map.of(), topic);
            Event sent = Streams.binaryEvents("m", 1, 3).get(0);
            try (EventPublisher p = new EventPublisher(k, topic, null)) {
                p.send(sent);
                p.flush();
            }
            List<Event> read = new ArrayList<>();
            try (TopicReader r = new TopicReader(k, topic, true)) {
                r.readToEnd(
                        Duration.ofSeconds(30),
                        rec -> {
                            try {
                                read.add(WireFormat.codec(Event.class).decode(rec.value()));
                            } catch (IOException e) {
                                throw new AssertionError(e);
                            }
                        });
            }
            assertThat(read).as(k.toString()).containsExactly(sent);
        }
    }
}
