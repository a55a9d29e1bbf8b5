package perpetua.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** deploy/flink/config.yaml: every key a current Flink 2.2 option with a value it accepts. */
class FlinkConfigFileTest {
    private static final FlinkOptionCatalog CATALOG = new FlinkOptionCatalog();

    @Test
    void flinkLoadsEveryKeyAndEachIsACurrentOptionWithAValidValue() throws Exception {
        Configuration conf = DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR);
        Map<String, String> flat = conf.toMap();

        assertThat(flat.keySet())
                .as("the keys Flink loaded are the keys written in the file")
                .isEqualTo(
                        flatten(
                                        DeployFiles.yaml(
                                                DeployFiles.FLINK_CONFIG_DIR.resolve(
                                                        "config.yaml")))
                                .keySet());
        assertThat(CATALOG.problems(flat)).isEmpty();
    }

    @Test
    void configuresDurableRetainedCheckpointsRocksDbAndARestartStrategyThatNeverGivesUp() {
        Configuration conf = DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR);

        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_INTERVAL))
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).startsWith("file:///");
        assertThat(conf.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).startsWith("file:///");
        assertThat(conf.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
                .isEqualTo(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        assertThat(conf.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
        assertThat(conf.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY))
                .isEqualTo("exponential-delay");
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS))
                .as("restart attempts are unbounded")
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(conf.get(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL))
                .containsExactly("org.nd4j.", "org.bytedeco.");
        assertThat(conf.toMap())
                .containsEntry(
                        "metrics.reporter.prom.factory.class",
                        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        assertThat(conf.get(RestOptions.PORT)).isEqualTo(8081);
        assertThat(conf.contains(TaskManagerOptions.NUM_TASK_SLOTS)).isTrue();
        assertThat(conf.contains(TaskManagerOptions.TOTAL_PROCESS_MEMORY)).isTrue();
        assertThat(conf.contains(JobManagerOptions.TOTAL_PROCESS_MEMORY)).isTrue();
    }

    @Test
    void leavesHostAddressesToEachDeployment() {
        Map<String, String> flat = DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR).toMap();

        assertThat(flat.keySet())
                .doesNotContain(
                        JobManagerOptions.ADDRESS.key(),
                        JobManagerOptions.BIND_HOST.key(),
                        TaskManagerOptions.HOST.key(),
                        TaskManagerOptions.BIND_HOST.key(),
                        RestOptions.ADDRESS.key(),
                        RestOptions.BIND_ADDRESS.key());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "state.checkpoints.dir: file:///tmp/cp | state.checkpoints.dir",
                "execution.checkpointing.interval: ten seconds | execution.checkpointing.interval",
                "restart-strategy.type: exponential-dely | restart-strategy.type",
                "state.backend.type: rockdb | state.backend.type",
                "taskmanager.memory.process.size: 3 gigs | taskmanager.memory.process.size",
                "metrics.reporter.prom.prot: 9249 | metrics.reporter.prom.prot",
                "metrics.reporter.prom.port: 92490 | metrics.reporter.prom.port",
                "metrics.reporter.jmx.interval: 10 s | metrics.reporter.jmx.factory.class",
            })
    void aBrokenCopyIsCaught(String line, String reportedKey, @TempDir Path dir) throws Exception {
        String original = Files.readString(DeployFiles.FLINK_CONFIG_DIR.resolve("config.yaml"));
        String key = line.substring(0, line.indexOf(':'));
        // Drop the key where the file sets it, then add the broken line.
        String broken =
                original.replaceAll("(?m)^" + java.util.regex.Pattern.quote(key) + ":.*$", "")
                        + "\n"
                        + line
                        + "\n";
        Files.writeString(dir.resolve("config.yaml"), broken);

        assertThat(CATALOG.problems(DeployFiles.flinkConfig(dir).toMap()))
                .anySatisfy(p -> assertThat(p).startsWith(reportedKey + ":"));
    }

    /** Nested YAML mappings as Flink reads them: keys joined with dots. */
    static Map<String, Object> flatten(Map<String, Object> yaml) {
        Map<String, Object> out = new TreeMap<>();
        yaml.forEach(
                (k, v) -> {
                    if (v instanceof Map<?, ?> m) {
                        flatten(DeployFiles.cast(m)).forEach((kk, vv) -> out.put(k + "." + kk, vv));
                    } else {
                        out.put(k, v);
                    }
                });
        return out;
    }
}
