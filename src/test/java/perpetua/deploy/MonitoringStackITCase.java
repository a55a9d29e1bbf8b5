package perpetua.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import perpetua.cli.EventPublisher;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;
import perpetua.job.KafkaTopicOptions;
import perpetua.job.OnlineLearningJob;
import perpetua.runtime.KafkaBroker;
import perpetua.schemas.Event;
import perpetua.testing.Streams;
import perpetua.testing.TestJobs;
import perpetua.testing.Waits;

/**
 * The compose stack's steps on real parts: deploy/kafka/create-topics.sh run with Kafka's own topic
 * tool against a KRaft broker, then the job, with docker-compose.yml's arguments and
 * deploy/flink/config.yaml's Prometheus reporter, on a Flink MiniCluster; a scrape of the reporter
 * while the job runs must hold a series for every selector, filter, grouping and legend label of
 * the Grafana dashboard.
 */
class MonitoringStackITCase {
    private static final int REPORTER_PORT = freePort();
    private static final int PARTITIONS = 3;
    private static final int EVENTS_PER_MODEL = 2_000;
    private static final int CORRUPTED = 5;
    private static final String MODEL = "flink_taskmanager_job_task_operator_model_";

    /** How often the wait scrapes the reporter: a scrape is a thousand lines to parse. */
    private static final long SCRAPE_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private static long lastScrape = System.nanoTime() - SCRAPE_EVERY_NANOS;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setConfiguration(reporterOfTheClusterConfig())
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir static Path dir;
    private static KafkaBroker broker;
    private static String topicScriptOutput;

    @BeforeAll
    static void startKafkaAndCreateTheTopics() throws Exception {
        broker = KafkaBroker.start(dir.resolve("kafka"), 0);
        topicScriptOutput = runCreateTopics();
    }

    @AfterAll
    static void stopKafka() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void theTopicScriptCreatesEveryTopicOfTheJobAsTheJobItselfWould() throws Exception {
        String bootstrap = broker.bootstrapServers();
        // The job's own --create-topics, under other names: the reference.
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", bootstrap));
        Map<String, String> theJobs = new java.util.TreeMap<>();
        for (ConfigOption<?> o : JobOptions.all()) {
            if (o.key().startsWith("topic.")) {
                String name = String.valueOf(o.defaultValue());
                theJobs.put(name, "job-" + name);
                args.addAll(List.of("--" + o.key(), "job-" + name));
            }
        }
        KafkaIo.createTopics(JobOptions.fromArgs(args.toArray(String[]::new)), PARTITIONS);

        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertThat(theJobs.keySet()).isEqualTo(DockerComposeFileTest.defaultTopics());
            for (Map.Entry<String, String> t : theJobs.entrySet()) {
                assertThat(shape(admin, t.getKey()))
                        .as(t.getKey() + " as the job creates it")
                        .isEqualTo(shape(admin, t.getValue()));
            }
            assertThat(shape(admin, "models")).contains("cleanup.policy=compact");
            assertThat(shape(admin, "events")).startsWith(PARTITIONS + " partitions");
        }
        // The job's own check before it starts.
        KafkaIo.requireTopics(JobOptions.fromArgs("--bootstrap-servers", bootstrap));
        // compose runs the step at every `up`: a second run leaves the topics as they are.
        assertThat(runCreateTopics()).contains("models.history");
        assertThat(topicScriptOutput).contains("Created topic models.");
    }

    /** A topic's partition count and the configs the job sets, as one comparable string. */
    private static String shape(Admin admin, String topic) throws Exception {
        TopicDescription d =
                admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(30, TimeUnit.SECONDS)
                        .get(topic);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config =
                admin.describeConfigs(List.of(resource))
                        .all()
                        .get(30, TimeUnit.SECONDS)
                        .get(resource);
        StringBuilder sb = new StringBuilder(d.partitions().size() + " partitions");
        for (String name : List.of("cleanup.policy", "max.message.bytes", "retention.ms")) {
            sb.append(", ").append(name).append('=').append(config.get(name).value());
        }
        return sb.toString();
    }

    @Test
    void everyDashboardQueryMatchesSeriesOfTheRunningJob() throws Exception {
        String bootstrap = broker.bootstrapServers();
        try (EventPublisher publisher = new EventPublisher(bootstrap, "events")) {
            for (Event e : Streams.binaryEvents("alpha", EVENTS_PER_MODEL, 21)) {
                publisher.send(e);
            }
            for (Event e : Streams.binaryEvents("beta", EVENTS_PER_MODEL, 22)) {
                publisher.send(e);
            }
            for (int i = 0; i < CORRUPTED; i++) {
                publisher.sendRaw("alpha", new byte[] {0x42, (byte) i, 7});
            }
            publisher.flush();
        }
        JobOptions options =
                JobOptions.fromArgs(composeArguments(bootstrap).toArray(String[]::new));
        StreamExecutionEnvironment env = TestJobs.environment(options);
        OnlineLearningJob.defineWorkflow(
                env,
                KafkaIo.events(options),
                new OnlineLearningJob.Models(
                        options.get(KafkaTopicOptions.FEEDBACK_TOPIC),
                        options.get(KafkaTopicOptions.CONTROL_TOPIC),
                        Map.of(
                                "alpha", Streams.binarySpec("alpha", 32, 20),
                                "beta", Streams.binarySpec("beta", 32, 20)),
                        null,
                        Map.of()),
                KafkaIo.sinks(options));
        JobClient job = env.executeAsync(OnlineLearningJob.NAME);
        try {
            PrometheusScrape scrape =
                    Waits.untilPresent(
                            "every event predicted, the corrupted ones refused, a metrics window"
                                    + " per model and two checkpoints, in the reporter's scrape",
                            Duration.ofMinutes(3),
                            MonitoringStackITCase::settledScrape);
            GrafanaDashboard dashboard = GrafanaDashboard.read(DeployFiles.DASHBOARD);

            assertThat(scrape.names()).containsAll(dashboard.metricNames());
            assertThat(dashboard.scrapeProblems(scrape)).isEmpty();
            for (String model : List.of("alpha", "beta")) {
                assertThat(scrape.sum(MODEL + "accuracy", Map.of("model", model)))
                        .as(model + " accuracy gauge")
                        .isBetween(0.6, 1.0);
                assertThat(scrape.sum(MODEL + "modelVersion", Map.of("model", model))).isPositive();
            }
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** A scrape once the run has settled, else empty (also while the reporter is not up). */
    private static Optional<PrometheusScrape> settledScrape() {
        if (System.nanoTime() - lastScrape < SCRAPE_EVERY_NANOS) {
            return Optional.empty();
        }
        lastScrape = System.nanoTime();
        PrometheusScrape s;
        try {
            s = PrometheusScrape.fetch("http://127.0.0.1:" + REPORTER_PORT + "/metrics");
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        boolean settled =
                s.sum(MODEL + "predictions", Map.of()) == 2 * EVENTS_PER_MODEL
                        && s.sum("flink_taskmanager_job_task_operator_deadLetters", Map.of())
                                == CORRUPTED
                        && s.of(MODEL + "accuracy").stream()
                                        .filter(x -> !Double.isNaN(x.value()))
                                        .count()
                                == 2
                        && s.sum("flink_jobmanager_job_numberOfCompletedCheckpoints", Map.of()) >= 2
                        && s.sum("flink_jobmanager_job_lastCheckpointSize", Map.of()) > 0;
        return settled ? Optional.of(s) : Optional.empty();
    }

    /**
     * docker-compose.yml's job arguments, with this test's broker, a checkpoint directory of its
     * own and a short checkpoint interval.
     */
    private static List<String> composeArguments(String bootstrap) throws IOException {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);
        List<String> args = new ArrayList<>(compose.jobCommand().orElseThrow().args());
        args.addAll(
                List.of(
                        "--bootstrap-servers",
                        bootstrap,
                        "--checkpoint-dir",
                        dir.resolve("checkpoints").toUri().toString(),
                        "--checkpoint-interval",
                        "500ms",
                        "--warm-start",
                        "false"));
        return args;
    }

    /** deploy/flink/config.yaml's metric reporter, on a free port. */
    private static Configuration reporterOfTheClusterConfig() {
        Configuration cluster = DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR);
        Map<String, String> reporter = new java.util.HashMap<>();
        cluster.toMap()
                .forEach(
                        (k, v) -> {
                            if (k.startsWith("metrics.reporter.")) {
                                reporter.put(k, v);
                            }
                        });
        reporter.put(MonitoringFiles.REPORTER_PORT, String.valueOf(REPORTER_PORT));
        return Configuration.fromMap(reporter);
    }

    /**
     * Runs deploy/kafka/create-topics.sh against the broker, with a kafka-topics.sh that runs
     * Kafka's TopicCommand (what the apache/kafka image's script runs) from this class path.
     */
    private static String runCreateTopics() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("kafka-bin"));
        Path tool = bin.resolve("kafka-topics.sh");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(
                tool,
                "#!/usr/bin/env bash\nexec '"
                        + java
                        + "' -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '"
                        + System.getProperty("java.class.path")
                        + "' org.apache.kafka.tools.TopicCommand \"$@\"\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path log = Files.createTempFile(dir, "create-topics", ".log");
        ProcessBuilder pb =
                new ProcessBuilder("bash", DeployFiles.CREATE_TOPICS.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
        pb.environment().put("BOOTSTRAP", broker.bootstrapServers());
        pb.environment().put("KAFKA_BIN", bin.toString());
        pb.environment().put("PARTITIONS", String.valueOf(PARTITIONS));
        Process p = pb.start();
        try {
            boolean done = p.waitFor(3, TimeUnit.MINUTES);
            String output = Files.readString(log);
            assertThat(done).as("create-topics.sh finished: " + output).isTrue();
            assertThat(p.exitValue()).as("create-topics.sh exit status: " + output).isZero();
            return output;
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
