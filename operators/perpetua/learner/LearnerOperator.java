package perpetua.learner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.drift.DriftMonitor;
import perpetua.ingest.AvroTypes;
import perpetua.ingest.EventValidator;
import perpetua.ingest.LearnerInput;
import perpetua.model.Backend;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;
import perpetua.spec.SpecRules;

/**
 * Predicts every event and learns from every label, per model, in dynamic micro-batches, while the
 * models themselves are created, changed and retired at run time.
 *
 * <p>Keyed by model name; its input carries events, late labels ({@code Feedback}) and model specs
 * from the control topic. Events of a model gather in a micro-batch that flushes at {@code
 * maxBatch} rows or {@code maxDelayMs} after its first. A flush is one batched forward pass per
 * learner (a {@link Prediction} for every event from the champion, tagged with the served version
 * before the batch), prequential metrics of the labelled events, and, per learner, a gradient step
 * for each complete group of {@code learnBatch} labelled examples, in the order they came (the rest
 * wait, in keyed state, for the next flush). An unlabelled event waits {@code labelWaitMs} for its
 * label with the predictions served for it; its label, or the implicit label when the wait expires,
 * is measured against what was served and learned in the next batch. Challengers learn in the
 * champion's shadow and replace it after beating it on the main metric by the margin in consecutive
 * windows; a spec's search runs its learners as challengers and serves the best at the end of each
 * rung. Each learner's errors feed the drift detector its spec names; a warning or drift is
 * recorded and answered by the spec's reaction: an alert, a learning-rate boost, or a background
 * model that replaces the champion.
 *
 * <p>Side outputs: {@link #METRICS} per window and learner (a TIME window closes on a timer when no
 * event comes), drift warnings and drifts, promotions and replacements; {@link #SNAPSHOTS} on
 * creation, update, promotion, replacement, retirement, every {@code snapshotEveryBatches} batches,
 * at most {@code snapshotEverySeconds} after a learned batch (a timer, when no batch follows), and
 * at the end of input; {@link #DEAD_LETTERS} for records that do not fit their model, refused
 * updates and late labels that find no event; {@link #RECOMMENDATIONS}, a recommender's answer to
 * each request event (an event with {@code recommend > 0}), from the batch that holds it.
 *
 * <p>This class is the Flink adapter alone: state handles, timers, the dispatch of the three
 * inputs, checkpoint hooks and metric registration. The behaviour lives in plain classes: {@link
 * ModelLifeCycle} (create, update, retire, warm start, fork), {@link LabelJoin} (served events and
 * labels waiting for each other), {@link BatchStep} (one micro-batch, phase by phase), {@link
 * ChampionPolicy} (drift, windows, promotion, replacement), all writing through {@link
 * LearnerOutput}.
 *
 * <p>State: the working models live in a transient map; open batches are flushed before every
 * checkpoint barrier, and each model touched since the last checkpoint is copied into keyed state
 * ({@link LearnerState}) once per checkpoint, with its drift detectors, boost countdowns and
 * background model. Waiting events are in keyed map state with one processing-time timer each, so
 * that state is bounded by wait × rate. Nothing is serialized per event except the waiting events
 * themselves.
 */
public final class LearnerOperator extends AbstractStreamOperator<Prediction>
        implements OneInputStreamOperator<LearnerInput, Prediction>, Triggerable<Object, String> {
    private static final long serialVersionUID = 2L;
    private static final Logger LOG = LoggerFactory.getLogger(LearnerOperator.class);

    public static final OutputTag<Metrics> METRICS =
            new OutputTag<>("metrics", AvroTypes.of(Metrics.class));
    public static final OutputTag<ModelSnapshot> SNAPSHOTS =
            new OutputTag<>("snapshots", AvroTypes.of(ModelSnapshot.class));
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("learner-deadletters", AvroTypes.of(DeadLetter.class));
    public static final OutputTag<Recommendation> RECOMMENDATIONS =
            new OutputTag<>("recommendations", AvroTypes.of(Recommendation.class));

    private final Map<String, ModelSpec> specs;
    private final ModelSpec defaultSpec;
    private final Map<String, ModelSnapshot> warmStart;

    private transient ValueState<LearnerState> state;
    private transient InternalTimerService<String> timers;
    private transient TypeSerializer<DriftMonitor> monitorSerializer;
    private transient Map<String, ModelRuntime> models;
    private transient Map<String, LearnerMetrics> metrics;

    /** Models that took a record, a timer or a flush since the last checkpoint. */
    private transient TouchedModels touched;

    private transient ModelLifeCycle lifeCycle;
    private transient LabelJoin join;
    private transient ChampionPolicy policy;
    private transient BatchStep step;
    private transient LearnerOutput out;

    /** A Learner whose models come only from the control topic. */
    public LearnerOperator() {
        this(Map.of(), null, Map.of());
    }

    /** A Learner for these specs, without a default and without warm start. */
    public LearnerOperator(Map<String, ModelSpec> specs) {
        this(specs, null, Map.of());
    }

    /**
     * @param specs models known when the job starts, by name
     * @param defaultSpec the spec, renamed, for events that name a model nobody created; null
     *     dead-letters them
     * @param warmStart the latest snapshot of each model, where a model without state resumes
     */
    public LearnerOperator(
            Map<String, ModelSpec> specs,
            ModelSpec defaultSpec,
            Map<String, ModelSnapshot> warmStart) {
        for (ModelSpec s : specs.values()) {
            String problem = SpecRules.problem(s);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }
        if (defaultSpec != null && SpecRules.problem(defaultSpec) != null) {
            throw new IllegalArgumentException("default spec: " + SpecRules.problem(defaultSpec));
        }
        this.specs = Map.copyOf(specs);
        this.defaultSpec = defaultSpec;
        this.warmStart = Map.copyOf(warmStart);
    }

    @Override
    public void open() throws Exception {
        super.open();
        // This thread runs the Learner's math; its ND4J threads take the slot's share of cores.
        Backend.sizeThreads(
                getContainingTask()
                        .getEnvironment()
                        .getTaskManagerInfo()
                        .getConfiguration()
                        .get(TaskManagerOptions.NUM_TASK_SLOTS),
                LOG);
        Backend.logOnce(LOG);
        // The TaskManager's ND4J memory outside the heap, for soak tests and dashboards.
        getMetricGroup().gauge("offHeapBytes", (Gauge<Long>) Backend::offHeapBytes);
        getMetricGroup().gauge("physicalBytes", (Gauge<Long>) Backend::physicalBytes);
        state = getPartitionedState(new ValueStateDescriptor<>("learner", LearnerState.class));
        ValueState<Boolean> retired =
                getPartitionedState(new ValueStateDescriptor<>("retired", Boolean.class));
        timers = getInternalTimerService("label-wait", StringSerializer.INSTANCE, this);
        monitorSerializer =
                TypeInformation.of(DriftMonitor.class)
                        .createSerializer(getExecutionConfig().getSerializerConfig());
        models = new HashMap<>();
        metrics = new HashMap<>();
        touched = new TouchedModels();
        out = new Outputs();
        join =
                new LabelJoin(
                        getPartitionedState(
                                new MapStateDescriptor<>(
                                        "waiting", String.class, ServedEvent.class)),
                        getPartitionedState(
                                new MapStateDescriptor<>(
                                        "early-labels", String.class, EarlyLabel.class)),
                        out);
        policy = new ChampionPolicy(out);
        step = new BatchStep(join, policy, out);
        lifeCycle =
                new ModelLifeCycle(
                        specs, defaultSpec, warmStart, state, retired, models, join, out);
    }

    // ---------------------------------------------------------------- the three inputs

    @Override
    public void processElement(StreamRecord<LearnerInput> record) throws Exception {
        LearnerInput in = record.getValue();
        touched.add((String) getCurrentKey());
        if (in.spec != null) {
            lifeCycle.control(in, this::flush);
        } else if (in.feedback != null) {
            label(in);
        } else {
            event(in);
        }
    }

    private void event(LearnerInput in) throws Exception {
        ModelRuntime m = lifeCycle.find(in.event.getModel(), true);
        if (m == null) {
            refuse(in, unknown(in.event.getModel()));
            return;
        }
        String reason = EventValidator.refusal(m.spec(), in.event);
        if (reason != null) {
            refuse(in, reason);
            return;
        }
        if (in.event.getRecommend() > 0) {
            m.request(in);
            rowAdded(m);
            return;
        }
        in.event = join.withEarlyLabel(m, in.event);
        m.add(in);
        rowAdded(m);
    }

    private void label(LearnerInput in) throws Exception {
        ModelRuntime m = lifeCycle.find(in.feedback.getModel(), false);
        if (m == null) {
            refuse(in, unknown(in.feedback.getModel()));
            return;
        }
        String reason = EventValidator.labelRefusal(m.spec(), in.feedback.getLabel());
        if (reason != null) {
            refuse(in, reason);
            return;
        }
        ModelRuntime.Joined row = join.label(m, in);
        if (row != null) {
            m.add(row);
            rowAdded(m);
        }
    }

    /**
     * A wait of the label join ended, a TIME metrics window that no event closed, or a snapshot
     * that no batch published.
     */
    @Override
    public void onProcessingTime(InternalTimer<Object, String> timer) throws Exception {
        String model = (String) timer.getKey();
        String namespace = timer.getNamespace();
        touched.add(model);
        if (namespace.equals(BatchStep.SNAPSHOT)) {
            ModelRuntime m = lifeCycle.find(model, false);
            if (m != null) {
                step.snapshotIfDue(m, now());
            }
            return;
        }
        if (namespace.equals(ChampionPolicy.WINDOW)) {
            ModelRuntime m = lifeCycle.find(model, false);
            if (m != null) {
                long now = now();
                policy.closeWindows(m, now);
                policy.decidePromotion(m, now);
                policy.scheduleWindowEnd(m);
            }
            return;
        }
        ModelRuntime.Joined row = join.expired(model, namespace, n -> lifeCycle.find(n, false));
        if (row != null) {
            ModelRuntime m = models.get(model);
            m.add(row);
            rowAdded(m);
        }
    }

    @Override
    public void onEventTime(InternalTimer<Object, String> timer) {
        // The Learner sets no event-time timers.
    }

    // ---------------------------------------------------------------- micro-batches

    private void rowAdded(ModelRuntime m) {
        if (m.size() >= m.spec().getMaxBatch()) {
            flush(m);
        } else if (m.size() == 1) {
            long seq = m.batchSeq();
            getProcessingTimeService()
                    .registerTimer(
                            now() + m.spec().getMaxDelayMs(),
                            time -> {
                                if (m.batchSeq() == seq
                                        && m.size() > 0
                                        && models.get(m.name()) == m) {
                                    flush(m);
                                }
                            });
        }
    }

    /** Runs the model's open batch, if it has rows. */
    private void flush(ModelRuntime m) {
        if (m.size() == 0) {
            return;
        }
        try {
            setCurrentKey(m.name());
            touched.add(m.name());
            step.run(m);
        } catch (Exception e) {
            throw new IllegalStateException("flush of model '" + m.name() + "' failed", e);
        }
    }

    private void flushAll() {
        for (ModelRuntime m : new ArrayList<>(models.values())) {
            flush(m);
        }
    }

    // ---------------------------------------------------------------- checkpoints

    /** Open batches are flushed before the barrier so that no buffered event needs state. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flushAll();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        for (String name : touched.names()) {
            ModelRuntime m = models.get(name);
            if (m != null) {
                setCurrentKey(name);
                state.update(m.toState(lifeCycle.specCodec(), monitorSerializer));
            }
        }
        touched.clear();
    }

    /** At the end of input: flush, then a snapshot of every model that learned since its last. */
    @Override
    public void finish() throws Exception {
        flushAll();
        for (ModelRuntime m : models.values()) {
            if (m.snapshots().batchesSince() > 0) {
                emit(SNAPSHOTS, m.snapshot(now(), "final", ModelState.LEARNING));
            }
        }
        super.finish();
    }

    // ---------------------------------------------------------------- outputs

    private long now() {
        return getProcessingTimeService().getCurrentProcessingTime();
    }

    private LearnerMetrics counters(String model) {
        return metrics.computeIfAbsent(model, n -> new LearnerMetrics(getMetricGroup(), n));
    }

    private void refuse(LearnerInput in, String reason) {
        out.refuse(in, reason);
    }

    private static String unknown(String model) {
        return "unknown model '" + model + "'";
    }

    private <T> void emit(OutputTag<T> tag, T value) {
        output.collect(tag, new StreamRecord<>(value));
    }

    /** The port of the Learner's parts: Flink's outputs, metric groups and timer service. */
    private final class Outputs implements LearnerOutput {
        // One record carries every prediction: the output hands it on before the next.
        private final StreamRecord<Prediction> record = new StreamRecord<>(null);

        @Override
        public void prediction(Prediction p) {
            output.collect(record.replace(p));
        }

        @Override
        public void recommendation(Recommendation r) {
            emit(RECOMMENDATIONS, r);
        }

        @Override
        public void metrics(Metrics record) {
            emit(METRICS, record);
        }

        @Override
        public void snapshot(ModelSnapshot s) {
            emit(SNAPSHOTS, s);
        }

        @Override
        public void deadLetter(DeadLetter d) {
            emit(DEAD_LETTERS, d);
        }

        @Override
        public LearnerMetrics counters(String model) {
            return LearnerOperator.this.counters(model);
        }

        @Override
        public long now() {
            return LearnerOperator.this.now();
        }

        @Override
        public void wakeAt(String namespace, long time) {
            timers.registerProcessingTimeTimer(namespace, time);
        }

        @Override
        public void cancel(String namespace, long time) {
            timers.deleteProcessingTimeTimer(namespace, time);
        }
    }

    // ---------------------------------------------------------------- for tests

    /** The working copy of {@code model} on this subtask, null before its first record. */
    ModelRuntime live(String model) {
        return models.get(model);
    }

    /** The Flink metrics of {@code model} on this subtask, null before its first record. */
    LearnerMetrics metrics(String model) {
        return metrics.get(model);
    }

    /** The number of events of {@code model} waiting for a label on this subtask. */
    long pendingLabels(String model) {
        ModelRuntime m = models.get(model);
        return m == null ? 0 : m.pendingLabels();
    }
}
