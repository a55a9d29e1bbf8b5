package perpetua.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;
import perpetua.job.OnlineLearningJob;
import perpetua.job.RetainedCheckpoints;
import perpetua.job.RuntimeOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the learning job on an embedded local Flink (with its web UI) against any Kafka.
 *
 * <p>Checkpoints go to {@code .perpetua/checkpoints} unless the job options name another directory,
 * and are kept when the job ends. Started again after a crash, the job resumes from the newest
 * complete checkpoint there, so that the models keep every step they had committed and the input is
 * read on from the checkpoint's offsets; {@code --from-savepoint} names another one, and {@code
 * --no-resume} starts without state (from the group's committed offsets and the models' latest
 * snapshots).
 */
@Command(
        name = "job",
        description = {
            "Run the learning job on a local Flink with web UI against any Kafka.",
            "Job options are given as --KEY VALUE; list them with `perpetua options`.",
            "It resumes from the newest checkpoint an earlier run left in its checkpoint"
                    + " directory.",
            "Example: perpetua job --bootstrap-servers 127.0.0.1:9092 --spec-file spec.json"
        })
final class LocalJob implements Callable<Integer> {
    @Option(
            names = "--web-port",
            defaultValue = "8081",
            description = "Flink web UI port (default: ${DEFAULT-VALUE}).")
    int webPort;

    @Option(
            names = "--from-savepoint",
            description =
                    "Start from this savepoint or retained checkpoint (a chk-N folder) instead of"
                            + " the newest checkpoint in the checkpoint directory.")
    String fromSavepoint;

    @Option(
            names = "--no-resume",
            description =
                    "Start without state, even when an earlier run left checkpoints: models"
                            + " warm-start from their snapshots, input from committed offsets.")
    boolean noResume;

    @CommandLine.Unmatched List<String> jobArgs = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        JobOptions options;
        OnlineLearningJob.Models models;
        try {
            List<String> args = new java.util.ArrayList<>(jobArgs);
            if (!args.contains("--" + RuntimeOptions.CHECKPOINT_DIR.key())) {
                // A local run keeps its checkpoints on disk: a model outgrows in-memory storage,
                // and a restarted job resumes from them.
                Path home = Path.of(System.getProperty("perpetua.home", "."));
                args.add("--" + RuntimeOptions.CHECKPOINT_DIR.key());
                args.add(home.resolve(".perpetua/checkpoints").toAbsolutePath().toUri().toString());
            }
            options = JobOptions.fromArgs(args.toArray(String[]::new));
            OnlineLearningJob.prepareTopics(options);
            models = OnlineLearningJob.Models.of(options);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        } catch (IllegalStateException e) {
            // Kafka cannot be reached or refuses the client: said in one line, no stack trace.
            System.err.println(e.getMessage());
            return 1;
        }
        Optional<String> restore = restorePath(options);
        restore.ifPresent(p -> System.err.println("resuming from " + p));
        StreamExecutionEnvironment env =
                localEnvironment(
                        webPort,
                        java.util.Objects.requireNonNullElse(
                                options.get(RuntimeOptions.PARALLELISM), 1),
                        restore);
        OnlineLearningJob.configure(env, options);
        OnlineLearningJob.defineWorkflow(
                env, KafkaIo.events(options), models, KafkaIo.sinks(options));
        System.err.printf("Flink web UI: http://127.0.0.1:%d%n", webPort);
        JobClient client = env.executeAsync(OnlineLearningJob.NAME);
        Thread cancel =
                new Thread(
                        () -> {
                            try {
                                client.cancel().get(30, java.util.concurrent.TimeUnit.SECONDS);
                            } catch (Exception finishedAlready) {
                                // a bounded job that ended has nothing to cancel
                            }
                        });
        Runtime.getRuntime().addShutdownHook(cancel);
        client.getJobExecutionResult().get();
        Runtime.getRuntime().removeShutdownHook(cancel);
        return 0;
    }

    /** The savepoint or checkpoint to start from, if any. */
    private Optional<String> restorePath(JobOptions options) {
        if (fromSavepoint != null) {
            return Optional.of(fromSavepoint);
        }
        if (noResume) {
            return Optional.empty();
        }
        return RetainedCheckpoints.latest(options.get(RuntimeOptions.CHECKPOINT_DIR))
                .map(p -> p.toUri().toString());
    }

    /** A local MiniCluster on 127.0.0.1 with the web UI on {@code webPort} (0: any free port). */
    static StreamExecutionEnvironment localEnvironment(int webPort, int parallelism) {
        return localEnvironment(webPort, parallelism, Optional.empty());
    }

    /**
     * A local MiniCluster that restarts a failed job as the cluster configuration does: with a
     * backoff from 1 s to 1 min and without giving up, so that the job rides out a broker outage
     * longer than the producers' delivery timeout.
     */
    static StreamExecutionEnvironment localEnvironment(
            int webPort, int parallelism, Optional<String> restore) {
        Configuration conf = new Configuration();
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.BIND_PORT, String.valueOf(webPort));
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, Math.max(1, parallelism));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF,
                java.time.Duration.ofSeconds(1));
        conf.set(
                RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF,
                java.time.Duration.ofMinutes(1));
        restore.ifPresent(p -> conf.set(StateRecoveryOptions.SAVEPOINT_PATH, p));
        return StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
    }
}
