package perpetua.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import perpetua.job.JobOptions;
import perpetua.job.KafkaTopicOptions;
import perpetua.job.OnlineLearningJob;

/**
 * docker-compose.yml, checked without a Docker engine: images, ports, dependencies, health checks,
 * mounts, and the job's command line.
 */
class DockerComposeFileTest {

    @Test
    void everyServiceIsPinnedBoundToLocalhostAndUsesOnlyFilesOfTheRepository() throws Exception {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);

        assertThat(compose.services())
                .containsOnlyKeys(
                        "kafka",
                        "topic-init",
                        "jobmanager",
                        "taskmanager",
                        "prometheus",
                        "grafana");
        assertThat(compose.problems()).isEmpty();
    }

    @Test
    void theJobRunsInApplicationModeWithOptionsTheJobKnowsAndTheClustersSettings()
            throws Exception {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);
        ComposeFile.JobCommand job = compose.jobCommand().orElseThrow();
        Map<String, Object> jobmanager = compose.services().get(job.service());

        assertThat((List<?>) jobmanager.get("command")).first().isEqualTo("standalone-job");
        assertThat(job.mainClass()).isEqualTo(OnlineLearningJob.class.getName());
        assertThat(
                        JobArguments.disagreements(
                                job.args(), DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR)))
                .isEmpty();

        JobOptions options = JobOptions.fromArgs(job.args().toArray(String[]::new));
        String bootstrap = options.get(KafkaTopicOptions.BOOTSTRAP_SERVERS);
        Map<?, ?> kafkaEnv = (Map<?, ?>) compose.services().get("kafka").get("environment");
        assertThat(String.valueOf(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS")))
                .as("the job's bootstrap servers are a listener the broker advertises")
                .contains("://" + bootstrap);
    }

    @Test
    void theTopicStepRunsTheScriptThatCreatesEveryTopicOfTheJob() throws Exception {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);
        Map<String, Object> init = compose.services().get("topic-init");
        String mount =
                ((List<?>) init.get("volumes"))
                        .stream()
                                .map(String::valueOf)
                                .filter(v -> v.startsWith("./deploy/kafka/create-topics.sh:"))
                                .findFirst()
                                .orElseThrow();
        String inContainer = mount.split(":")[1];

        assertThat(((List<?>) init.get("entrypoint")).stream().map(String::valueOf))
                .contains(inContainer);
        assertThat(topicsCreatedBy(Files.readString(DeployFiles.CREATE_TOPICS)))
                .isEqualTo(defaultTopics());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "image: prom/prometheus:v3.5.0 | image: prom/prometheus"
                        + " | prometheus: image prom/prometheus is not pinned",
                "image: grafana/grafana:12.1.1 | image: grafana/grafana:latest"
                        + " | grafana: image grafana/grafana:latest is not pinned",
                "\"127.0.0.1:9090:9090\" | \"9090:9090\""
                        + " | prometheus: port 9090 is not bound to 127.0.0.1",
                "\"127.0.0.1:3000:3000\" | \"127.0.0.1:9090:3000\""
                        + " | grafana: host port 9090 already published by prometheus",
                "condition: service_completed_successfully | condition: service_done"
                        + " | jobmanager: unknown condition service_done on topic-init",
                "prometheus:\\n        condition: service_healthy"
                        + " | prometheus-server:\\n        condition: service_healthy"
                        + " | grafana: depends on prometheus-server, which is no service",
                "restart: \"no\" | restart: on-failure"
                        + " | jobmanager: waits for topic-init to complete, which restarts",
                "./deploy/prometheus/prometheus.yml: | ./deploy/prometheus/prom.yml:"
                        + " | prometheus: bind mount ./deploy/prometheus/prom.yml does not exist",
                "./deploy/grafana/provisioning: | ../provisioning:"
                        + " | grafana: bind mount ../provisioning is outside the repository",
                "- kafka-data:/var/lib/kafka/data | - kafka-logs:/var/lib/kafka/data"
                        + " | kafka: volume kafka-logs is not declared",
                "start_period: 30s | start_periode: 30s"
                        + " | kafka: unknown healthcheck key start_periode",
                "    hostname: kafka |    host_name: kafka | kafka: unknown key host_name",
                "interval: 10s | interval: ten seconds"
                        + " | kafka: healthcheck interval 'ten seconds' is not a duration",
                "[\"CMD\", \"curl\" | [\"curl\""
                        + " | jobmanager: healthcheck test must start with CMD",
                "${PERPETUA_PARTITIONS:-2} | ${PERPETUA_PARTITIONS}"
                        + " | ${PERPETUA_PARTITIONS} has no default",
                "dockerfile: deploy/docker/Dockerfile | dockerfile: deploy/docker/Dockerfile.old"
                        + " | jobmanager: Dockerfile deploy/docker/Dockerfile.old is missing",
            })
    void aBrokenCopyIsCaught(String from, String to, String expected) throws Exception {
        String original = Files.readString(DeployFiles.COMPOSE);
        String target = from.replace("\\n", "\n");
        assertThat(original).contains(target);
        String broken =
                original.replaceFirst(
                        Pattern.quote(target), Matcher.quoteReplacement(to.replace("\\n", "\n")));

        List<String> problems =
                ComposeFile.parse(broken, DeployFiles.ROOT, DeployFiles.ROOT).problems();

        assertThat(problems).singleElement().asString().startsWith(expected);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "FROM flink:2.2.1-scala_2.12-java17 | FROM flink:2.2"
                        + " | FROM flink:2.2 is not pinned",
                "FROM maven:3.9.9-eclipse-temurin-17 AS build | FROM maven AS build"
                        + " | FROM maven is not pinned",
                "COPY schemas schemas | COPY schemata schemas"
                        + " | COPY source schemata is missing",
                "COPY jobs jobs | COPY data/flights-100k.csv.gz jobs"
                        + " | COPY source data/flights-100k.csv.gz is excluded by .dockerignore",
            })
    void aBrokenDockerfileIsCaught(String from, String to, String expected, @TempDir Path dir)
            throws Exception {
        Path real = DeployFiles.ROOT.resolve("deploy/docker/Dockerfile");
        assertThat(ImageRefs.dockerfileProblems(real, DeployFiles.ROOT)).isEmpty();
        String original = Files.readString(real);
        assertThat(original).contains(from);
        Path broken = dir.resolve("Dockerfile");
        Files.writeString(broken, original.replace(from, to));

        assertThat(ImageRefs.dockerfileProblems(broken, DeployFiles.ROOT))
                .anySatisfy(p -> assertThat(p).contains(expected));
    }

    @Test
    void aJobCommandWithAnOptionTheJobLacksIsRefused() {
        List<String> args =
                List.of("--bootstrap-servers", "kafka:19092", "--checkpoint-intervall", "10s");

        assertThatThrownBy(
                        () ->
                                JobArguments.disagreements(
                                        args,
                                        DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option --checkpoint-intervall");
    }

    @Test
    void aJobCommandThatWouldOverrideTheClusterWithOtherSettingsIsCaught() {
        List<String> args =
                List.of(
                        "--bootstrap-servers", "kafka:19092",
                        "--state-backend", "hashmap",
                        "--checkpoint-dir", "file:///elsewhere",
                        "--checkpoint-interval", "1min");

        assertThat(
                        JobArguments.disagreements(
                                args, DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR)))
                .containsExactly(
                        "--state-backend hashmap but state.backend.type: rocksdb",
                        "--checkpoint-dir file:///elsewhere but execution.checkpointing.dir:"
                                + " file:///opt/flink/data/checkpoints",
                        "--checkpoint-interval 1 min but execution.checkpointing.interval: 10 s");
    }

    @Test
    void optionsTheJobCommandLeavesOutAreTheClusters() {
        List<String> args = List.of("--bootstrap-servers", "kafka:19092");

        assertThat(
                        JobArguments.disagreements(
                                args, DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR)))
                .isEmpty();
    }

    /** The topics of the job's options, by their default names. */
    static Set<String> defaultTopics() {
        Set<String> out = new TreeSet<>();
        for (ConfigOption<?> o : JobOptions.all()) {
            if (o.key().startsWith("topic.")) {
                out.add(String.valueOf(o.defaultValue()));
            }
        }
        return out;
    }

    /** The topics a create-topics script's {@code topic NAME PARTITIONS ...} lines create. */
    static Set<String> topicsCreatedBy(String script) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^topic\\s+(\\S+)\\s").matcher(script);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
