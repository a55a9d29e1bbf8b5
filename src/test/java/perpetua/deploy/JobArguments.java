package perpetua.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.util.TimeUtils;
import perpetua.job.JobOptions;
import perpetua.job.RuntimeOptions;

/**
 * The job's command line against the cluster's configuration: the job's state backend and
 * checkpoint directory, when given, and its checkpoint interval, always set, override the
 * cluster's, so a deployment must pass the values its Flink configuration holds.
 */
final class JobArguments {
    private JobArguments() {}

    /**
     * Where the job started with {@code args} would run otherwise than {@code cluster} says.
     *
     * @throws IllegalArgumentException when the arguments are not the job's options
     */
    static List<String> disagreements(List<String> args, Configuration cluster) {
        JobOptions job = JobOptions.fromArgs(args.toArray(String[]::new));
        List<String> out = new ArrayList<>();
        compare(
                out,
                RuntimeOptions.STATE_BACKEND.key(),
                job.get(RuntimeOptions.STATE_BACKEND),
                StateBackendOptions.STATE_BACKEND.key(),
                cluster.get(StateBackendOptions.STATE_BACKEND));
        compare(
                out,
                RuntimeOptions.CHECKPOINT_DIR.key(),
                job.get(RuntimeOptions.CHECKPOINT_DIR),
                CheckpointingOptions.CHECKPOINTS_DIRECTORY.key(),
                cluster.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
        compare(
                out,
                RuntimeOptions.CHECKPOINT_INTERVAL.key(),
                job.get(RuntimeOptions.CHECKPOINT_INTERVAL),
                CheckpointingOptions.CHECKPOINTING_INTERVAL.key(),
                cluster.get(CheckpointingOptions.CHECKPOINTING_INTERVAL));
        return out;
    }

    /** A job value of null is an option not given: the cluster's setting applies. */
    private static void compare(
            List<String> out, String jobKey, Object job, String clusterKey, Object cluster) {
        if (job != null && !Objects.equals(job, cluster)) {
            out.add(
                    "--"
                            + jobKey
                            + " "
                            + shown(job)
                            + " but "
                            + clusterKey
                            + ": "
                            + shown(cluster));
        }
    }

    private static Object shown(Object value) {
        return value instanceof Duration d ? TimeUtils.formatWithHighestUnit(d) : value;
    }
}
