package perpetua.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import perpetua.cluster.FlinkRest;
import perpetua.cluster.JobJar;
import perpetua.job.JobOptions;
import perpetua.job.RuntimeOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code perpetua deploy}: uploads the job jar to any Flink cluster and runs it over the REST API.
 *
 * <p>A thin client: it needs neither Flink nor ND4J, only the JobManager's REST address. The job's
 * {@code main} runs on the JobManager, which checks the options, creates the topics when asked and
 * reads the models topic for the warm start.
 */
@Command(
        name = "deploy",
        mixinStandardHelpOptions = true,
        description = {
            "Upload the job jar to a Flink cluster and run the learning job; prints the job id.",
            "Job options are given as --KEY VALUE (see `perpetua options`).",
            "Example: perpetua deploy --jobmanager 127.0.0.1:8081 --bootstrap-servers"
                    + " 127.0.0.1:9092 --create-topics --spec-file spec.json",
            "Resume: perpetua deploy --from-savepoint PATH --parallelism 3 [job options]"
        })
final class Deploy implements Callable<Integer> {
    @Option(
            names = "--jobmanager",
            defaultValue = "127.0.0.1:8081",
            description = "The JobManager's REST address, HOST:PORT (default: ${DEFAULT-VALUE}).")
    String jobManager;

    @Option(
            names = "--jar",
            description = "The job jar (default: the project's target/perpetua-*.jar).")
    Path jar;

    @Option(
            names = "--from-savepoint",
            description =
                    "Start from this savepoint, or from a retained checkpoint (its chk-N folder).")
    String fromSavepoint;

    @Option(
            names = "--allow-non-restored-state",
            description = "Start even if the savepoint holds state no operator of this job takes.")
    boolean allowNonRestoredState;

    @CommandLine.Unmatched List<String> jobArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(jobArgs);
        Integer parallelism = null;
        try {
            // Checked here too, so that a typo fails at once and not in the JobManager's log.
            JobOptions options = JobOptions.fromArgs(args.toArray(String[]::new));
            if (args.contains("--" + RuntimeOptions.PARALLELISM.key())) {
                parallelism = options.get(RuntimeOptions.PARALLELISM);
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        Path job;
        try {
            job = jar != null ? jar : JobJar.in(Path.of(System.getProperty("perpetua.home", ".")));
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage() + ", or give --jar");
            return 2;
        }
        if (!Files.isRegularFile(job)) {
            System.err.println("no job jar " + job);
            return 2;
        }
        FlinkRest rest = new FlinkRest(jobManager);
        String jarId = rest.uploadJar(job);
        String jobId;
        try {
            jobId =
                    rest.runJar(
                            jarId,
                            new FlinkRest.Run(
                                    "perpetua.job.OnlineLearningJob",
                                    args,
                                    parallelism,
                                    fromSavepoint,
                                    allowNonRestoredState));
        } finally {
            rest.deleteJar(jarId);
        }
        System.err.printf(
                "job %s runs%s; web UI: %s/#/job/running/%s%n",
                jobId,
                fromSavepoint == null ? "" : " from " + fromSavepoint,
                rest.address(),
                jobId);
        System.out.println(jobId);
        return 0;
    }

    @Command(
            name = "savepoint",
            mixinStandardHelpOptions = true,
            description = {
                "Take a savepoint of a running job (or stop it with one); prints its path.",
                "Example: perpetua savepoint --job JOB_ID --stop"
            })
    static final class Savepoint implements Callable<Integer> {
        @Option(
                names = "--jobmanager",
                defaultValue = "127.0.0.1:8081",
                description = "The JobManager's REST address (default: ${DEFAULT-VALUE}).")
        String jobManager;

        @Option(names = "--job", required = true, description = "The job's id.")
        String jobId;

        @Option(
                names = "--stop",
                description =
                        "Stop the job with the savepoint: the last transactions are committed"
                                + " first, so that nothing is lost or doubled when it resumes.")
        boolean stop;

        @Option(
                names = "--dir",
                description = "Target directory (default: the cluster's savepoint directory).")
        String dir;

        @Option(
                names = "--timeout",
                defaultValue = "300",
                description = "Seconds to wait for the savepoint (default: ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            String path =
                    new FlinkRest(jobManager)
                            .savepoint(jobId, stop, dir, Duration.ofSeconds(timeoutSeconds));
            System.err.printf(
                    "savepoint of job %s written%s%n", jobId, stop ? "; the job stopped" : "");
            System.out.println(path);
            return 0;
        }
    }
}
