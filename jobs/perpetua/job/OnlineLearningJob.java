package perpetua.job;

import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.ingest.AvroTypes;
import perpetua.ingest.DeadLetterLimit;
import perpetua.ingest.DecodeAndValidate;
import perpetua.ingest.LearnerInput;
import perpetua.ingest.RecordLimits;
import perpetua.ingest.SourceRecord;
import perpetua.learner.LearnerOperator;
import perpetua.model.Backend;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;

/**
 * Learns every model named in the event stream and publishes predictions, metrics and snapshots.
 */
public final class OnlineLearningJob {
    public static final String NAME = "perpetua-online-learning";
    private static final Logger LOG = LoggerFactory.getLogger(OnlineLearningJob.class);

    /** The outputs of the workflow. */
    public record Sinks(
            Sink<Prediction> predictions,
            Sink<Metrics> metrics,
            Sink<ModelSnapshot> snapshots,
            Sink<ModelSnapshot> history,
            Sink<DeadLetter> deadLetters,
            Sink<Recommendation> recommendations) {}

    /**
     * What the Learner starts with: the topics of late labels and control records, the specs given
     * to the job, the spec for unknown names (or null), the snapshots to warm-start from, and the
     * limits on input records and dead letters.
     */
    public record Models(
            String feedbackTopic,
            String controlTopic,
            Map<String, ModelSpec> specs,
            ModelSpec defaultSpec,
            Map<String, ModelSnapshot> warmStart,
            RecordLimits limits) {

        /** The models with the default {@link RecordLimits}. */
        public Models(
                String feedbackTopic,
                String controlTopic,
                Map<String, ModelSpec> specs,
                ModelSpec defaultSpec,
                Map<String, ModelSnapshot> warmStart) {
            this(feedbackTopic, controlTopic, specs, defaultSpec, warmStart, RecordLimits.DEFAULTS);
        }

        /** The models of a job started with these options; reads the models topic to warm-start. */
        public static Models of(JobOptions o) throws java.io.IOException {
            ModelSpec defaultSpec = null;
            if (o.get(ModelSpecOptions.DEFAULT_SPEC) != null) {
                String json = o.get(ModelSpecOptions.DEFAULT_SPEC);
                if (!json.contains("\"model\"")) {
                    json = json.replaceFirst("\\{", "{\"model\":\"default\",");
                }
                defaultSpec = ModelSpecs.parse(json).values().iterator().next();
            }
            Map<String, ModelSnapshot> warm =
                    o.get(ModelSpecOptions.WARM_START)
                            ? WarmStart.latest(o.kafka(), o.get(KafkaTopicOptions.MODELS_TOPIC))
                            : Map.of();
            return new Models(
                    o.get(KafkaTopicOptions.FEEDBACK_TOPIC),
                    o.get(KafkaTopicOptions.CONTROL_TOPIC),
                    ModelSpecs.fromOptions(o),
                    defaultSpec,
                    warm,
                    o.limits());
        }
    }

    private OnlineLearningJob() {}

    public static void main(String[] args) throws Exception {
        JobOptions options;
        Models models;
        try {
            options = JobOptions.fromArgs(args);
            prepareTopics(options);
            models = Models.of(options);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        } catch (IllegalStateException e) {
            // Kafka cannot be reached or refuses the client: said in one line, no stack trace.
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configureForCluster(env, options);
        defineWorkflow(env, KafkaIo.events(options), models, KafkaIo.sinks(options));
        env.execute(NAME);
    }

    /**
     * Creates the job's missing topics when asked ({@link RuntimeOptions#CREATE_TOPICS}), then
     * fails with the names of those still missing, so that a job does not start only to fail at its
     * first partition discovery.
     */
    public static void prepareTopics(JobOptions options) {
        if (options.get(RuntimeOptions.CREATE_TOPICS)) {
            KafkaIo.createTopics(options, options.get(RuntimeOptions.PARTITIONS));
        }
        KafkaIo.requireTopics(options);
    }

    /**
     * Exactly-once checkpointing, the state backend and the job's parallelism (1 unless given), for
     * a job that runs in this JVM; logs this JVM's ND4J backend.
     */
    public static void configure(StreamExecutionEnvironment env, JobOptions options) {
        Backend.logOnce(LOG);
        checkpointing(env, options);
        Integer parallelism = options.get(RuntimeOptions.PARALLELISM);
        env.setParallelism(parallelism != null ? parallelism : 1);
    }

    /**
     * The same for a job submitted to a cluster: what the options do not say (the parallelism, the
     * state backend, the checkpoint directory) is the cluster's. Each Learner logs its
     * TaskManager's ND4J backend; the JobManager, which runs this, needs none.
     */
    static void configureForCluster(StreamExecutionEnvironment env, JobOptions options) {
        checkpointing(env, options);
        if (options.get(RuntimeOptions.PARALLELISM) != null) {
            env.setParallelism(options.get(RuntimeOptions.PARALLELISM));
        }
    }

    private static void checkpointing(StreamExecutionEnvironment env, JobOptions options) {
        Configuration conf = new Configuration();
        if (options.get(RuntimeOptions.STATE_BACKEND) != null) {
            conf.set(StateBackendOptions.STATE_BACKEND, options.get(RuntimeOptions.STATE_BACKEND));
        }
        if (options.get(RuntimeOptions.CHECKPOINT_DIR) != null) {
            conf.set(
                    CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                    options.get(RuntimeOptions.CHECKPOINT_DIR));
            // A cancelled job leaves its latest checkpoint, to be resumed from like a savepoint.
            conf.set(
                    CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                    org.apache.flink.configuration.ExternalizedCheckpointRetention
                            .RETAIN_ON_CANCELLATION);
        }
        env.configure(conf);
        env.enableCheckpointing(
                options.get(RuntimeOptions.CHECKPOINT_INTERVAL).toMillis(),
                CheckpointingMode.EXACTLY_ONCE);
    }

    /**
     * The topology alone: decode and validate → keyBy(model) → Learner → sinks. Snapshots go to
     * both the compacted models topic and the history topic; dead letters from decoding and from
     * the Learner share one sink; recommendations have their own.
     */
    public static void defineWorkflow(
            StreamExecutionEnvironment env,
            Source<SourceRecord, ?, ?> source,
            Models models,
            Sinks sinks) {
        DataStream<SourceRecord> records =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "events")
                        .uid("events-source");
        Learned learned = learn(records, models);

        learned.predictions()
                .sinkTo(sinks.predictions())
                .uid("predictions-sink")
                .name("predictions");
        learned.metrics().sinkTo(sinks.metrics()).uid("metrics-sink").name("metrics");
        learned.snapshots().sinkTo(sinks.snapshots()).uid("models-sink").name("models");
        learned.snapshots()
                .sinkTo(sinks.history())
                .uid("models-history-sink")
                .name("models history");
        learned.deadLetters()
                .sinkTo(sinks.deadLetters())
                .uid("deadletters-sink")
                .name("deadletters");
        learned.recommendations()
                .sinkTo(sinks.recommendations())
                .uid("recommendations-sink")
                .name("recommendations");
    }

    /**
     * What the Learner puts out: predictions, and metrics, snapshots, dead letters and the answers
     * to requests beside.
     */
    public record Learned(
            DataStream<Prediction> predictions,
            DataStream<Metrics> metrics,
            DataStream<ModelSnapshot> snapshots,
            DataStream<DeadLetter> deadLetters,
            DataStream<Recommendation> recommendations) {}

    /**
     * The learning part of the topology, shared by the job and the replay evaluator: decode and
     * validate → keyBy(model) → Learner. The dead letters of decoding and of the Learner come out
     * as one stream, every one within the models' {@link RecordLimits}.
     */
    public static Learned learn(DataStream<SourceRecord> records, Models models) {
        // Chained operators hand records over without a deep copy each. Safe here: no operator
        // of this topology or of its sinks changes a record it received or keeps one that its
        // sender changes later (sources and the Learner build a new record for every output; the
        // Learner keeps its batch's inputs, which arrive over the network, never chained), and
        // the snapshot that goes to two sinks is only read by both.
        records.getExecutionEnvironment().getConfig().enableObjectReuse();
        SingleOutputStreamOperator<LearnerInput> decoded =
                records.process(
                                new DecodeAndValidate(
                                        models.feedbackTopic(),
                                        models.controlTopic(),
                                        models.limits()))
                        .returns(TypeInformation.of(LearnerInput.class))
                        .uid("decode-validate")
                        .name("decode and validate");

        SingleOutputStreamOperator<Prediction> predictions =
                decoded.keyBy(LearnerInput::model, TypeInformation.of(String.class))
                        .transform(
                                "learner",
                                AvroTypes.of(Prediction.class),
                                new LearnerOperator(
                                        models.specs(), models.defaultSpec(), models.warmStart()))
                        .uid("learner");

        // Decoding bounds its own dead letters; the Learner's carry a whole input record.
        DataStream<DeadLetter> learnerDeadLetters =
                predictions
                        .getSideOutput(LearnerOperator.DEAD_LETTERS)
                        .map(new DeadLetterLimit(models.limits()))
                        .returns(AvroTypes.of(DeadLetter.class))
                        .uid("learner-deadletters-limit")
                        .name("dead letter limit");
        return new Learned(
                predictions,
                predictions.getSideOutput(LearnerOperator.METRICS),
                predictions.getSideOutput(LearnerOperator.SNAPSHOTS),
                decoded.getSideOutput(DecodeAndValidate.DEAD_LETTERS).union(learnerDeadLetters),
                predictions.getSideOutput(LearnerOperator.RECOMMENDATIONS));
    }
}
