package perpetua.testing;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import perpetua.job.JobOptions;
import perpetua.job.OnlineLearningJob;

/** The job's environment as integration tests run it on their MiniCluster. */
public final class TestJobs {
    private TestJobs() {}

    /**
     * The environment configured as the job configures it from {@code options}, but without
     * restarts: a test's job that fails must fail the test, not retry behind it.
     */
    public static StreamExecutionEnvironment environment(JobOptions options) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        env.configure(noRestarts);
        OnlineLearningJob.configure(env, options);
        return env;
    }
}
