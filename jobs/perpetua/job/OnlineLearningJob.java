package perpetua.job;

import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import perpetua.ingest.AvroTypes;
import perpetua.ingest.DecodeAndValidate;
import perpetua.ingest.Observation;
import perpetua.ingest.SourceRecord;
import perpetua.learner.LearnerOperator;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;

/**
 * Learns every model named in the event stream and publishes predictions, metrics and snapshots.
 */
public final class OnlineLearningJob {
    public static final String NAME = "perpetua-online-learning";

    /** The four outputs of the workflow. */
    public record Sinks(
            Sink<Prediction> predictions,
            Sink<Metrics> metrics,
            Sink<ModelSnapshot> snapshots,
            Sink<DeadLetter> deadLetters) {}

    private OnlineLearningJob() {}

    public static void main(String[] args) throws Exception {
        JobOptions options;
        Map<String, ModelSpec> specs;
        try {
            options = JobOptions.fromArgs(args);
            specs = ModelSpecs.fromOptions(options);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, options);
        defineWorkflow(env, KafkaIo.events(options), specs, KafkaIo.sinks(options));
        env.execute(NAME);
    }

    /** Exactly-once checkpointing and the job's parallelism. */
    public static void configure(StreamExecutionEnvironment env, JobOptions options) {
        env.enableCheckpointing(
                options.get(JobOptions.CHECKPOINT_INTERVAL).toMillis(),
                CheckpointingMode.EXACTLY_ONCE);
        env.setParallelism(options.get(JobOptions.PARALLELISM));
    }

    /** The topology alone: decode and validate → keyBy(model) → Learner → sinks. */
    public static void defineWorkflow(
            StreamExecutionEnvironment env,
            Source<SourceRecord, ?, ?> source,
            Map<String, ModelSpec> specs,
            Sinks sinks) {
        DataStream<SourceRecord> records =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "events")
                        .uid("events-source");

        SingleOutputStreamOperator<Observation> valid =
                records.process(new DecodeAndValidate(specs))
                        .returns(TypeInformation.of(Observation.class))
                        .uid("decode-validate")
                        .name("decode and validate");

        SingleOutputStreamOperator<Prediction> predictions =
                valid.keyBy(Observation::model, TypeInformation.of(String.class))
                        .transform(
                                "learner",
                                AvroTypes.of(Prediction.class),
                                new LearnerOperator(specs))
                        .uid("learner");

        predictions.sinkTo(sinks.predictions()).uid("predictions-sink").name("predictions");
        predictions
                .getSideOutput(LearnerOperator.METRICS)
                .sinkTo(sinks.metrics())
                .uid("metrics-sink")
                .name("metrics");
        predictions
                .getSideOutput(LearnerOperator.SNAPSHOTS)
                .sinkTo(sinks.snapshots())
                .uid("models-sink")
                .name("models");
        valid.getSideOutput(DecodeAndValidate.DEAD_LETTERS)
                .sinkTo(sinks.deadLetters())
                .uid("deadletters-sink")
                .name("deadletters");
    }
}
