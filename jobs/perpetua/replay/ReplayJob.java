package perpetua.replay;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.nd4j.common.config.ND4JClassLoading;
import perpetua.ingest.SourceRecord;
import perpetua.job.OnlineLearningJob;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;

/**
 * A replay's Flink job, started on a local Flink at parallelism 1, with its outputs collected as
 * they come.
 *
 * <p>The prepared rows feed the job's topology after its Kafka source ({@link
 * OnlineLearningJob#learn}); the served predictions are scored against the rows' labels into one
 * {@link ReplayTally} stream. Each iterator must be read to its end, or closed, by {@link
 * ReplayResults}.
 *
 * @param job the running job
 * @param tallies each model's scores so far, the last one marked done
 * @param windows the Learner's metrics windows: the curve
 * @param refused the dead letters of refused rows
 * @param snapshots the models' snapshots (null when the final snapshots are not kept)
 */
record ReplayJob(
        JobClient job,
        CloseableIterator<ReplayTally> tallies,
        CloseableIterator<Metrics> windows,
        CloseableIterator<DeadLetter> refused,
        CloseableIterator<ModelSnapshot> snapshots) {

    /**
     * Starts the replay of {@code prepared} through a model for each spec.
     *
     * @param labelsFile where the rows' labels are written for the scoring operator to read
     * @param keepSnapshots whether the models' snapshots are collected
     */
    static ReplayJob start(
            ReplayStream.Prepared prepared,
            Path labelsFile,
            Map<String, ModelSpec> models,
            boolean keepSnapshots)
            throws Exception {
        // ND4J keeps the context class loader of the thread that first loads it. In a local
        // Flink that is the first job's user-code loader, closed when that job ends, so a later
        // replay in this JVM that first needs an ND4J class would fail; pin it to ours.
        ND4JClassLoading.setNd4jClassloaderFromClass(Evaluate.class);
        Configuration conf = new Configuration();
        // A replay that fails should stop and say why.
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        // A final snapshot is collected whole: as large as the models topic allows, and more.
        conf.setString("collect-sink.batch-size.max", "128mb");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        DataStream<SourceRecord> records =
                env.fromSource(
                                ReplaySource.of(prepared),
                                WatermarkStrategy.noWatermarks(),
                                "replay")
                        .uid("replay-source");
        OnlineLearningJob.Learned learned =
                OnlineLearningJob.learn(
                        records,
                        new OnlineLearningJob.Models(
                                "feedback", "models.control", models, null, Map.of()));
        ReplayScore.writeLabels(prepared.labels(), labelsFile);
        CloseableIterator<ReplayTally> tallies =
                learned.predictions()
                        .transform(
                                "replay score",
                                TypeInformation.of(ReplayTally.class),
                                new ReplayScore(
                                        labelsFile,
                                        List.copyOf(models.values()),
                                        prepared.labelled()))
                        .uid("replay-score")
                        .collectAsync();
        CloseableIterator<Metrics> windows = learned.metrics().collectAsync();
        CloseableIterator<DeadLetter> refused = learned.deadLetters().collectAsync();
        CloseableIterator<ModelSnapshot> snapshots =
                keepSnapshots ? learned.snapshots().collectAsync() : null;
        JobClient job = env.executeAsync("perpetua-evaluate");
        return new ReplayJob(job, tallies, windows, refused, snapshots);
    }
}
