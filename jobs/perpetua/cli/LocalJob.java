package perpetua.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;
import perpetua.job.OnlineLearningJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the learning job on an embedded local Flink (with its web UI) against any Kafka. */
@Command(
        name = "job",
        description = {
            "Run the learning job on a local Flink with web UI against any Kafka.",
            "Job options are given as --KEY VALUE; list them with `perpetua options`.",
            "Example: perpetua job --bootstrap-servers 127.0.0.1:9092 --spec-file spec.json"
        })
final class LocalJob implements Callable<Integer> {
    @Option(
            names = "--web-port",
            defaultValue = "8081",
            description = "Flink web UI port (default: ${DEFAULT-VALUE}).")
    int webPort;

    @Option(
            names = "--create-topics",
            description = "Create the job's topics that do not exist (models compacted).")
    boolean createTopics;

    @Option(
            names = "--partitions",
            defaultValue = "1",
            description = "Partitions of created topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @CommandLine.Unmatched List<String> jobArgs = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        JobOptions options;
        OnlineLearningJob.Models models;
        try {
            List<String> args = new java.util.ArrayList<>(jobArgs);
            if (!args.contains("--" + JobOptions.CHECKPOINT_DIR.key())) {
                // A local run keeps its checkpoints on disk: a model outgrows in-memory storage.
                java.nio.file.Path home =
                        java.nio.file.Path.of(System.getProperty("perpetua.home", "."));
                args.add("--" + JobOptions.CHECKPOINT_DIR.key());
                args.add(home.resolve(".perpetua/checkpoints").toAbsolutePath().toUri().toString());
            }
            options = JobOptions.fromArgs(args.toArray(String[]::new));
            if (createTopics) {
                KafkaIo.createTopics(options, partitions);
            }
            KafkaIo.requireTopics(options);
            models = OnlineLearningJob.Models.of(options);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        StreamExecutionEnvironment env =
                localEnvironment(webPort, options.get(JobOptions.PARALLELISM));
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

    /** A local MiniCluster on 127.0.0.1 with the web UI on {@code webPort} (0: any free port). */
    static StreamExecutionEnvironment localEnvironment(int webPort, int parallelism) {
        Configuration conf = new Configuration();
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.BIND_PORT, String.valueOf(webPort));
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, Math.max(1, parallelism));
        // Locally a failing job should stop and say why, not restart for ever.
        conf.set(
                org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY,
                "fixed-delay");
        conf.set(
                org.apache.flink.configuration.RestartStrategyOptions
                        .RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS,
                3);
        return StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
    }
}
