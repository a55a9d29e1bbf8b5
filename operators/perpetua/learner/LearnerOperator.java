package perpetua.learner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
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
import perpetua.drift.DriftDetector;
import perpetua.drift.DriftDetector.Signal;
import perpetua.drift.DriftMonitor;
import perpetua.ingest.AvroTypes;
import perpetua.ingest.DecodeAndValidate;
import perpetua.ingest.EventValidator;
import perpetua.ingest.LearnerInput;
import perpetua.model.Backend;
import perpetua.model.ModelRecords;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.schemas.Prediction;
import perpetua.schemas.SpecAction;
import perpetua.schemas.Task;
import perpetua.spec.SpecRules;
import perpetua.wire.WireFormat;

/**
 * Predicts every event and learns from every label, per model, in dynamic micro-batches, while the
 * models themselves are created, changed and retired at run time.
 *
 * <p>Keyed by model name; its input carries events, late labels ({@code Feedback}) and model specs
 * from the control topic. Events of a model gather in a micro-batch that flushes at {@code
 * maxBatch} rows or {@code maxDelayMs} after its first. A flush is one batched forward pass per
 * learner (a {@link Prediction} for every event from the champion, tagged with the served version
 * before the batch), prequential scoring of the labelled events, and one gradient step per learner.
 * An unlabelled event waits {@code labelWaitMs} for its label with the predictions served for it;
 * its label, or the implicit label when the wait expires, is scored against what was served and
 * learned in the next batch. Challengers learn in the champion's shadow and replace it after
 * beating it on the main metric by the margin in consecutive windows. Each learner's errors feed
 * the drift detector its spec names; a warning or drift is recorded and answered by the spec's
 * reaction: an alert, a learning-rate boost, or a background model that replaces the champion.
 *
 * <p>Side outputs: {@link #METRICS} per window and learner (a TIME window closes on a timer when no
 * event comes), drift warnings and drifts, promotions and replacements; {@link #SNAPSHOTS} on
 * creation, update, promotion, replacement, retirement, every {@code snapshotEveryBatches} batches
 * or {@code snapshotEverySeconds} seconds, and at the end of input; {@link #DEAD_LETTERS} for
 * records that do not fit their model, refused updates and late labels that find no event.
 *
 * <p>State: the working models live in a transient map; open batches are flushed before every
 * checkpoint barrier, and each model changed since the last checkpoint is copied into keyed state
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

    /**
     * Timer namespaces: an event waiting for its label, a label waiting for its event, the end of a
     * model's TIME metrics window.
     */
    private static final String WAITING = "e:";

    private static final String EARLY = "l:";
    private static final String WINDOW = "w:";

    private final Map<String, ModelSpec> specs;
    private final ModelSpec defaultSpec;
    private final Map<String, ModelSnapshot> warmStart;

    private transient ValueState<LearnerState> state;
    private transient ValueState<Boolean> retired;
    private transient MapState<String, PendingLabel> waiting;
    private transient MapState<String, EarlyLabel> early;
    private transient InternalTimerService<String> labelTimers;
    private transient WireFormat.Codec<ModelSpec> specCodec;
    private transient WireFormat.Codec<ModelSnapshot> snapshotCodec;
    private transient TypeSerializer<DriftMonitor> monitorSerializer;
    private transient Map<String, ModelRuntime> models;
    private transient Map<String, LearnerMetrics> metrics;

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
        Backend.logOnce(LOG);
        state = getPartitionedState(new ValueStateDescriptor<>("learner", LearnerState.class));
        retired = getPartitionedState(new ValueStateDescriptor<>("retired", Boolean.class));
        waiting =
                getPartitionedState(
                        new MapStateDescriptor<>("waiting", String.class, PendingLabel.class));
        early =
                getPartitionedState(
                        new MapStateDescriptor<>("early-labels", String.class, EarlyLabel.class));
        labelTimers = getInternalTimerService("label-wait", StringSerializer.INSTANCE, this);
        specCodec = WireFormat.codec(ModelSpec.class);
        snapshotCodec = WireFormat.codec(ModelSnapshot.class);
        monitorSerializer =
                TypeInformation.of(DriftMonitor.class)
                        .createSerializer(getExecutionConfig().getSerializerConfig());
        models = new HashMap<>();
        metrics = new HashMap<>();
    }

    @Override
    public void processElement(StreamRecord<LearnerInput> record) throws Exception {
        LearnerInput in = record.getValue();
        if (in.spec != null) {
            control(in);
        } else if (in.feedback != null) {
            feedback(in);
        } else {
            event(in);
        }
    }

    private long now() {
        return getProcessingTimeService().getCurrentProcessingTime();
    }

    // ---------------------------------------------------------------- events and late labels

    private void event(LearnerInput in) throws Exception {
        ModelRuntime m = runtime(in.event.getModel(), true);
        if (m == null) {
            refuse(in, unknown(in.event.getModel()));
            return;
        }
        String reason = EventValidator.refusal(m.spec, in.event);
        if (reason != null) {
            refuse(in, reason);
            return;
        }
        if (in.event.getLabel() == null && m.spec.getLabelWaitMs() > 0) {
            EarlyLabel label = early.get(in.event.getId());
            if (label != null) {
                early.remove(in.event.getId());
                labelTimers.deleteProcessingTimeTimer(EARLY + in.event.getId(), label.expiresAt);
                m.pendingLabels--;
                in.event = labelled(m, in.event, (float) label.label);
            }
        }
        m.add(in);
        rowAdded(m);
    }

    private static Event labelled(ModelRuntime m, Event e, float label) {
        return Event.newBuilder(e).setLabel(labelValue(m, label)).build();
    }

    private void feedback(LearnerInput in) throws Exception {
        Feedback f = in.feedback;
        ModelRuntime m = runtime(f.getModel(), false);
        if (m == null) {
            refuse(in, unknown(f.getModel()));
            return;
        }
        String reason = EventValidator.labelRefusal(m.spec, f.getLabel());
        if (reason != null) {
            refuse(in, reason);
            return;
        }
        PendingLabel served = waiting.get(f.getEventId());
        if (served == null) {
            long wait = m.spec.getLabelWaitMs();
            if (wait > 0 && !early.contains(f.getEventId())) {
                // Perhaps the event is still on its way: a replay reads both topics at once.
                EarlyLabel label = new EarlyLabel();
                label.label = ((Number) f.getLabel()).doubleValue();
                label.expiresAt = now() + wait;
                label.topic = in.topic;
                label.partition = in.partition;
                label.offset = in.offset;
                label.publishedAt = in.publishedAt;
                label.payload = in.payload;
                early.put(f.getEventId(), label);
                labelTimers.registerProcessingTimeTimer(EARLY + f.getEventId(), label.expiresAt);
                m.pendingLabels++;
                m.dirty = true;
                return;
            }
            unmatched(m, in, f.getEventId());
            return;
        }
        waiting.remove(f.getEventId());
        labelTimers.deleteProcessingTimeTimer(WAITING + f.getEventId(), served.expiresAt);
        m.pendingLabels--;
        m.joined.add(
                new ModelRuntime.Joined(
                        served.event,
                        ((Number) f.getLabel()).floatValue(),
                        served.event.getWeight(),
                        served));
        rowAdded(m);
    }

    /** An unlabelled event's wait expired: learn the implicit label, or forget it. */
    @Override
    public void onProcessingTime(InternalTimer<Object, String> timer) throws Exception {
        String namespace = timer.getNamespace();
        if (namespace.equals(WINDOW)) {
            windowEnded((String) timer.getKey());
            return;
        }
        if (namespace.startsWith(EARLY)) {
            earlyLabelExpired(timer, namespace.substring(EARLY.length()));
            return;
        }
        String eventId = namespace.substring(WAITING.length());
        PendingLabel served = waiting.get(eventId);
        if (served == null) {
            return;
        }
        waiting.remove(eventId);
        ModelRuntime m = runtime((String) timer.getKey(), false);
        if (m == null) {
            return;
        }
        m.pendingLabels--;
        m.dirty = true;
        metricsOf(m).labelsExpired.inc();
        Double implicit = m.spec.getImplicitLabel();
        if (implicit != null) {
            m.joined.add(
                    new ModelRuntime.Joined(
                            served.event, implicit.floatValue(), served.event.getWeight(), served));
            rowAdded(m);
        }
    }

    /** A TIME metrics window may have ended with no event to close it: close it now. */
    private void windowEnded(String model) throws Exception {
        ModelRuntime m = runtime(model, false);
        if (m == null) {
            return;
        }
        windowsClosed(m, now());
        m.dirty = true;
        scheduleWindowEnd(m);
    }

    /** A timer at the end of the earliest open TIME window of the model's variants, if any. */
    private void scheduleWindowEnd(ModelRuntime m) {
        long end = Long.MAX_VALUE;
        for (Variant v : m.variants()) {
            end = Math.min(end, v.evaluator.windowEndsAt());
        }
        if (end != Long.MAX_VALUE) {
            // One timer per model and time: registering the same one again is a no-op.
            labelTimers.registerProcessingTimeTimer(WINDOW, end);
        }
    }

    /** A label waited for its event in vain: now it is a dead letter. */
    private void earlyLabelExpired(InternalTimer<Object, String> timer, String eventId)
            throws Exception {
        EarlyLabel label = early.get(eventId);
        if (label == null) {
            return;
        }
        early.remove(eventId);
        String model = (String) timer.getKey();
        ModelRuntime m = runtime(model, false);
        LearnerInput in = new LearnerInput();
        in.model = model;
        in.topic = label.topic;
        in.partition = label.partition;
        in.offset = label.offset;
        in.publishedAt = label.publishedAt;
        in.payload = label.payload;
        in.feedback =
                perpetua.schemas.Feedback.newBuilder()
                        .setEventId(eventId)
                        .setModel(model)
                        .setTime(label.publishedAt)
                        .setLabel(label.label)
                        .build();
        if (m != null) {
            m.pendingLabels--;
            m.dirty = true;
        }
        unmatched(m, in, eventId);
    }

    private void unmatched(ModelRuntime m, LearnerInput in, String eventId) {
        if (m != null) {
            metricsOf(m).feedbackUnmatched.inc();
        }
        refuse(
                in,
                "no event '"
                        + eventId
                        + "' waits for a label in model '"
                        + in.model
                        + "' (never seen, labelled already, or its wait expired)");
    }

    @Override
    public void onEventTime(InternalTimer<Object, String> timer) {
        // The Learner sets no event-time timers.
    }

    private void rowAdded(ModelRuntime m) {
        if (m.size() >= m.spec.getMaxBatch()) {
            flush(m);
        } else if (m.size() == 1) {
            scheduleFlush(m);
        }
    }

    private void scheduleFlush(ModelRuntime m) {
        long seq = m.batchSeq;
        getProcessingTimeService()
                .registerTimer(
                        now() + m.spec.getMaxDelayMs(),
                        time -> {
                            if (m.batchSeq == seq && m.size() > 0 && models.get(m.name) == m) {
                                flush(m);
                            }
                        });
    }

    // ---------------------------------------------------------------- the model life cycle

    /**
     * The model's working copy. On first sight after a start or restore it comes from keyed state;
     * a model without state resumes from its warm-start snapshot or starts from the job's spec for
     * it, or, when {@code create} allows, from the default spec.
     */
    private ModelRuntime runtime(String name, boolean create) throws Exception {
        ModelRuntime m = models.get(name);
        if (m != null) {
            return m;
        }
        LearnerState saved = state.value();
        if (saved != null) {
            return register(ModelRuntime.restore(saved, specCodec), "restored");
        }
        if (Boolean.TRUE.equals(retired.value())) {
            return null;
        }
        ModelSpec spec = specs.get(name);
        if (spec == null && warmStart.containsKey(name)) {
            spec = warmStart.get(name).getSpec();
        }
        if (spec == null && create && defaultSpec != null) {
            spec = ModelSpec.newBuilder(defaultSpec).setModel(name).build();
        }
        if (spec == null) {
            return null;
        }
        return create(spec, null);
    }

    /**
     * Creates a model: from its warm-start snapshot when one exists, else from the snapshot its
     * spec names ({@code initSnapshot}), else anew. Returns null after dead-lettering {@code from}
     * when the snapshot cannot carry over.
     */
    private ModelRuntime create(ModelSpec spec, LearnerInput from) throws Exception {
        ModelSnapshot source = warmStart.get(spec.getModel());
        String how = "created";
        if (source != null && source.getState() != ModelState.RETIRED) {
            how = "resumed from its snapshot";
        } else if (spec.getInitSnapshot() != null) {
            try {
                source = snapshotCodec.decode(bytes(spec.getInitSnapshot()));
            } catch (Exception e) {
                refuseOrLog(from, "initSnapshot of '" + spec.getModel() + "' cannot be read: " + e);
                return null;
            }
            how = "started from '" + source.getModel() + "' version " + source.getVersion();
        } else {
            source = null;
        }
        ModelSpec stored = ModelSpec.newBuilder(spec).setInitSnapshot(null).build();
        ModelRuntime m;
        if (source != null) {
            String incompatible = SpecRules.incompatibility(source.getSpec(), stored);
            if (incompatible != null) {
                String reason =
                        "model '"
                                + spec.getModel()
                                + "' cannot start from the snapshot of '"
                                + source.getModel()
                                + "': "
                                + incompatible;
                if (spec.getInitSnapshot() != null && !spec.getFreshStart()) {
                    refuseOrLog(from, reason);
                    return null;
                }
                LOG.warn("{}; it starts anew", reason);
                source = null;
                how = "created anew";
            }
        }
        if (source != null) {
            m =
                    new ModelRuntime(
                            stored,
                            Variant.fromSnapshot(stored, source),
                            source.getVersion(),
                            now());
        } else {
            m = new ModelRuntime(stored, Variant.fresh(stored), 0, now());
        }
        retired.clear();
        register(m, how);
        emitSnapshot(m, how.startsWith("resumed") ? "resumed" : "created");
        return m;
    }

    private ModelRuntime register(ModelRuntime m, String how) {
        models.put(m.name, m);
        metricsOf(m).runtime = m;
        m.dirty = true;
        ModelSpec s = m.spec;
        LOG.info(
                "model '{}' {} at version {} ({} task, {} dense, {} numeric, 2^{} hashed slots,"
                        + " {} challengers)",
                m.name,
                how,
                m.version,
                s.getTask(),
                s.getDenseSize(),
                s.getNumericFeatures().size(),
                s.getHashBits(),
                m.challengers.size());
        return m;
    }

    private LearnerMetrics metricsOf(ModelRuntime m) {
        return metrics.computeIfAbsent(m.name, n -> new LearnerMetrics(getMetricGroup(), n));
    }

    /** A spec from the control topic: create, update or retire the model. */
    private void control(LearnerInput in) throws Exception {
        ModelSpec next = in.spec();
        String name = next.getModel();
        ModelRuntime m = models.get(name);
        if (m == null && state.value() != null) {
            m = runtime(name, false);
        }
        if (next.getAction() == SpecAction.RETIRE) {
            if (m == null) {
                refuse(in, "retire of unknown model '" + name + "'");
                return;
            }
            retire(m);
            return;
        }
        if (m == null) {
            create(next, in);
            return;
        }
        flush(m);
        ModelSpec stored = ModelSpec.newBuilder(next).setInitSnapshot(null).build();
        String incompatible = SpecRules.incompatibility(m.spec, stored);
        if (incompatible != null && !stored.getFreshStart()) {
            refuse(
                    in,
                    "update of '"
                            + name
                            + "' refused: "
                            + incompatible
                            + " changes the architecture or the input encoding; set freshStart"
                            + " to start the model anew");
            return;
        }
        if (incompatible != null) {
            m.champion = Variant.fresh(stored);
        } else {
            m.champion.update(stored);
        }
        if (m.background != null) {
            if (incompatible != null || stored.getDriftReaction() != DriftReaction.REPLACE) {
                discardBackground(m, "the spec changed");
            } else {
                m.background.update(stored);
            }
        }
        m.spec = stored;
        List<Variant> previous = new ArrayList<>(m.challengers);
        m.challengers.clear();
        for (ModelSpec c : stored.getChallengers()) {
            Variant kept = null;
            for (Variant v : previous) {
                if (v.spec.getModel().equals(c.getModel())
                        && SpecRules.incompatibility(v.spec, c) == null) {
                    v.update(c);
                    kept = v;
                }
            }
            m.challengers.add(kept != null ? kept : Variant.fresh(c));
        }
        m.dirty = true;
        LOG.info("model '{}' updated{}", name, incompatible != null ? " and started anew" : "");
        emitSnapshot(m, incompatible != null ? "restarted" : "updated");
    }

    /** Final snapshot, then the model's state is released; its events become dead letters. */
    private void retire(ModelRuntime m) throws Exception {
        flush(m);
        emit(SNAPSHOTS, snapshot(m, "retired", ModelState.RETIRED));
        models.remove(m.name);
        metricsOf(m).runtime = null;
        state.clear();
        waiting.clear();
        early.clear();
        retired.update(true);
        LOG.info("model '{}' retired at version {}", m.name, m.version);
    }

    // ---------------------------------------------------------------- one micro-batch

    /** Predict the new events, score every label, then one gradient step per learner. */
    private void flush(ModelRuntime m) {
        if (m.size() == 0) {
            return;
        }
        try {
            setCurrentKey(m.name);
            flushKeyed(m);
        } catch (Exception e) {
            throw new IllegalStateException("flush of model '" + m.name + "' failed", e);
        }
    }

    private void flushKeyed(ModelRuntime m) throws Exception {
        long now = now();
        // A TIME window that ended before now closes before anything is counted at now.
        windowsClosed(m, now);
        List<Variant> variants = m.variants();
        List<Variant> learners = m.learners();
        Task task = m.spec.getTask();
        int capacity = m.spec.getMaxBatch();
        for (Variant v : variants) {
            v.predict(capacity);
        }
        Variant champion = m.champion;
        int width = champion.model.scoreWidth();
        int n = m.newRows();
        long version = m.version;
        long wait = m.spec.getLabelWaitMs();
        for (int r = 0; r < n; r++) {
            LearnerInput in = m.pending[r];
            m.pending[r] = null;
            output.collect(new StreamRecord<>(prediction(m, in, r, width, version, now)));
            for (Variant v : variants) {
                v.evaluator.countPrediction(version, now);
            }
            float label = champion.batch.label(r);
            if (!Float.isNaN(label)) {
                float weight = champion.batch.weight(r);
                for (Variant v : variants) {
                    int w = v.model.scoreWidth();
                    v.evaluator.add(v.scores, r * w, v.predicted[r], label, weight);
                    watch(m, v, DriftMonitor.error(task, v.predicted[r], label), now);
                }
                windowsClosed(m, now);
            } else if (wait > 0) {
                waitForLabel(m, in.event, r, variants, version, now + wait);
            }
        }
        metricsOf(m).predictions.inc(n);
        for (Variant v : learners) {
            v.encoder.commitMoments();
        }
        for (ModelRuntime.Joined j : m.joined) {
            scoreServed(m, j, variants, now);
            Event withLabel = labelled(m, j.event(), j.label());
            for (Variant v : learners) {
                v.encoder.encode(withLabel, v.batch);
            }
        }
        for (Variant v : learners) {
            // Late rows were counted in the moments when their events were first predicted.
            v.encoder.discardPending();
        }
        // Before the step, so that a boost already applies to the batch that showed the drift.
        react(m, now);
        champion = m.champion;
        int labelled = champion.batch.labelledCount();
        boolean championLearned = false;
        for (Variant v : m.learners()) {
            int count = v.batch.labelledCount();
            if (count > 0) {
                long before = v.model.steps();
                v.model.learn(v.batch);
                if (v.model.steps() > before) {
                    v.examplesSeen += count;
                    v.learnedBatch();
                    championLearned |= v == champion;
                } else {
                    // Not applied: the model stays as it was and learning goes on next batch.
                    metricsOf(m).unhealthyBatches.inc();
                    LOG.warn(
                            "model '{}' ({}): batch of {} labelled examples not learned at"
                                    + " version {}: {}",
                            m.name,
                            v.spec.getModel(),
                            count,
                            m.version,
                            v.model.lastProblem());
                }
            }
            v.batch.clear();
        }
        m.joined.clear();
        if (championLearned) {
            m.version++;
            m.batchesSinceSnapshot++;
            LearnerMetrics lm = metricsOf(m);
            lm.learnedExamples.inc(labelled);
            lm.batches.inc();
        }
        m.batchSeq++;
        m.dirty = true;
        if (snapshotDue(m, now)) {
            emitSnapshot(m, null);
        }
        scheduleWindowEnd(m);
    }

    private static Object labelValue(ModelRuntime m, float label) {
        return m.spec.getTask() == Task.REGRESSION ? (Object) (double) label : (Object) (int) label;
    }

    private void waitForLabel(
            ModelRuntime m, Event e, int row, List<Variant> variants, long version, long expiresAt)
            throws Exception {
        int width = m.champion.model.scoreWidth();
        PendingLabel p = new PendingLabel();
        p.event = e;
        p.scores = new float[variants.size() * width];
        p.predicted = new float[variants.size()];
        p.variants = new String[variants.size()];
        for (int i = 0; i < variants.size(); i++) {
            Variant v = variants.get(i);
            System.arraycopy(v.scores, row * width, p.scores, i * width, width);
            p.predicted[i] = v.predicted[row];
            p.variants[i] = i == 0 ? "" : v.spec.getModel();
        }
        p.version = version;
        p.expiresAt = expiresAt;
        if (!waiting.contains(e.getId())) {
            m.pendingLabels++;
        }
        waiting.put(e.getId(), p);
        labelTimers.registerProcessingTimeTimer(WAITING + e.getId(), expiresAt);
    }

    /** Scores a late label against the predictions that were served for its event. */
    private void scoreServed(
            ModelRuntime m, ModelRuntime.Joined j, List<Variant> variants, long now) {
        PendingLabel served = j.served();
        int width = m.champion.model.scoreWidth();
        for (int i = 0; i < variants.size(); i++) {
            String name = i == 0 ? "" : variants.get(i).spec.getModel();
            for (int k = 0; k < served.variants.length; k++) {
                if (served.variants[k].equals(name)) {
                    Variant v = variants.get(i);
                    v.evaluator.add(
                            served.scores, k * width, served.predicted[k], j.label(), j.weight());
                    watch(
                            m,
                            v,
                            DriftMonitor.error(m.spec.getTask(), served.predicted[k], j.label()),
                            now);
                }
            }
        }
        windowsClosed(m, now);
    }

    /** Emits every window that just closed and, when the champion's did, decides promotions. */
    private void windowsClosed(ModelRuntime m, long now) {
        List<Variant> closed = new ArrayList<>();
        for (Variant v : m.variants()) {
            Metrics window = v.evaluator.closeIfDue(m.name, m.version, now);
            if (window != null) {
                if (v != m.champion) {
                    window.setVariant(v.spec.getModel());
                } else {
                    metricsOf(m).windowEmitted(window);
                }
                v.lastWindow = window;
                emit(METRICS, window);
                closed.add(v);
            }
        }
        if (closed.contains(m.champion) && closed.size() > 1) {
            decidePromotion(m, closed, now);
        }
    }

    private void decidePromotion(ModelRuntime m, List<Variant> closed, long now) {
        String metric = SpecRules.promotionMetric(m.spec);
        boolean higher = SpecRules.higherIsBetter(metric);
        float margin = m.spec.getPromotionMargin();
        Double champion = value(m.champion.lastWindow, metric);
        Variant best = null;
        for (Variant c : closed) {
            if (c == m.champion) {
                continue;
            }
            Double mine = value(c.lastWindow, metric);
            boolean wins =
                    champion != null
                            && mine != null
                            && (higher ? mine >= champion + margin : mine <= champion - margin);
            c.winStreak = wins ? c.winStreak + 1 : 0;
            if (c.winStreak >= m.spec.getPromotionWindows()
                    && (best == null || c.winStreak > best.winStreak)) {
                best = c;
            }
        }
        if (best != null) {
            promote(m, best, metric, champion, value(best.lastWindow, metric), now);
        }
    }

    /** The challenger becomes the champion; the served version line goes on. */
    private void promote(
            ModelRuntime m, Variant winner, String metric, Double was, Double is, long now) {
        String challenger = winner.spec.getModel();
        String detail =
                String.format(
                        "challenger '%s' replaced the champion of '%s' at version %d after %d"
                                + " windows: %s %.4f against %.4f",
                        challenger, m.name, m.version, winner.winStreak, metric, is, was);
        m.challengers.remove(winner);
        List<ModelSpec> remaining = new ArrayList<>();
        m.challengers.forEach(c -> remaining.add(c.spec));
        // The learner's own hyper-parameters and encoding; the model's policies stay.
        ModelSpec promoted =
                ModelSpec.newBuilder(winner.spec)
                        .setModel(m.name)
                        .setChallengers(remaining)
                        .setMaxBatch(m.spec.getMaxBatch())
                        .setMaxDelayMs(m.spec.getMaxDelayMs())
                        .setSnapshotEveryBatches(m.spec.getSnapshotEveryBatches())
                        .setSnapshotEverySeconds(m.spec.getSnapshotEverySeconds())
                        .setMetricsWindow(m.spec.getMetricsWindow())
                        .setMetricsWindowKind(m.spec.getMetricsWindowKind())
                        .setMetricsWindowMs(m.spec.getMetricsWindowMs())
                        .setFadingFactor(m.spec.getFadingFactor())
                        .setDriftDetector(m.spec.getDriftDetector())
                        .setDriftDelta(m.spec.getDriftDelta())
                        .setDriftThreshold(m.spec.getDriftThreshold())
                        .setDriftTolerance(m.spec.getDriftTolerance())
                        .setDriftMinInstances(m.spec.getDriftMinInstances())
                        .setDriftReaction(m.spec.getDriftReaction())
                        .setDriftBoostFactor(m.spec.getDriftBoostFactor())
                        .setDriftBoostBatches(m.spec.getDriftBoostBatches())
                        .setLabelWaitMs(m.spec.getLabelWaitMs())
                        .setImplicitLabel(m.spec.getImplicitLabel())
                        .setPromotionMetric(m.spec.getPromotionMetric())
                        .setPromotionMargin(m.spec.getPromotionMargin())
                        .setPromotionWindows(m.spec.getPromotionWindows())
                        .build();
        winner.conform(promoted);
        winner.winStreak = 0;
        if (m.background != null) {
            // It learned in the shadow of the champion that is gone; the new one has its own.
            discardBackground(m, "a challenger was promoted");
        }
        m.champion = winner;
        m.spec = promoted;
        m.dirty = true;
        metricsOf(m).promotions.inc();
        Metrics record = Metrics.newBuilder(winner.lastWindow).setEvent("promotion").build();
        record.setDetail(detail);
        record.setVariant(challenger);
        emit(METRICS, record);
        emitSnapshot(m, "promotion");
        LOG.info(detail);
    }

    // ---------------------------------------------------------------- drift

    /**
     * Feeds one scored example's error to the variant's drift detector. A drift, and the first
     * warning of a warning episode, are records on the metrics topic; the reaction waits for the
     * end of the batch's scoring ({@link #react}).
     */
    private void watch(ModelRuntime m, Variant v, double error, long now) {
        Signal signal = v.monitor.update(error);
        boolean warningStarts =
                signal == Signal.WARNING && v.monitor.warningSince == v.monitor.position();
        if (signal != Signal.DRIFT && !warningStarts) {
            return;
        }
        Metrics record = v.monitor.record(m.name, m.spec.getTask(), m.version, now, signal);
        boolean champion = v == m.champion;
        if (!champion) {
            record.setVariant(v.spec.getModel());
        }
        emit(METRICS, record);
        LearnerMetrics lm = metricsOf(m);
        if (champion) {
            (signal == Signal.DRIFT ? lm.drifts : lm.driftWarnings).inc();
        }
        String who =
                champion ? "model '" + m.name + "'" : "challenger '" + record.getVariant() + "'";
        if (signal == Signal.DRIFT && v.spec.getDriftReaction() == DriftReaction.ALERT) {
            if (champion) {
                lm.driftAlerts.inc();
            }
            LOG.warn("{} at version {}: {}", who, m.version, record.getDetail());
        } else {
            LOG.info("{} at version {}: {}", who, m.version, record.getDetail());
        }
        if (signal == Signal.DRIFT) {
            v.driftedAt = v.monitor.position();
        }
    }

    /**
     * The reactions to the batch's signals, before it is learned. BOOST_LEARNING_RATE, for the
     * champion and for a challenger alike: the learner's learning rate is multiplied by the factor
     * for the next {@code driftBoostBatches} batches it learns, this one included, and a new drift
     * starts the count again. REPLACE concerns the champion only (a challenger already learns in
     * the shadow, and replaces the champion by promotion): see {@link #replaceOnDrift}.
     */
    private void react(ModelRuntime m, long now) {
        for (Variant v : m.variants()) {
            if (v.driftedAt >= 0
                    && v.spec.getDriftReaction() == DriftReaction.BOOST_LEARNING_RATE) {
                v.boost(v.spec.getDriftBoostFactor(), v.spec.getDriftBoostBatches());
                LOG.info(
                        "model '{}' ({}): learning rate x{} for {} batches after a drift",
                        m.name,
                        v.spec.getModel(),
                        v.spec.getDriftBoostFactor(),
                        v.spec.getDriftBoostBatches());
            }
        }
        if (m.spec.getDriftReaction() == DriftReaction.REPLACE) {
            replaceOnDrift(m, now);
        }
        for (Variant v : m.variants()) {
            v.driftedAt = -1;
        }
    }

    /**
     * REPLACE, the adaptive-random-forest way. A warning starts a background model: a fresh model
     * of the champion's spec that learns every batch in the shadow from the next one on, and is
     * dropped if the warning clears without a drift. A drift makes the replacement due; it happens
     * as soon as the background has learned {@code driftMinInstances} labelled examples, at once
     * when the warning came early enough. A drift without a warning (ADWIN, Page-Hinkley, or DDM
     * jumping straight past its drift level) starts the background at the drift, and the old
     * champion serves until the background has learned those examples: an untrained model would
     * serve the prior (P = 0.5) instead. The replacement is a new version of the served line, a
     * {@code replacement} record on the metrics topic and a {@code replaced} snapshot.
     */
    private void replaceOnDrift(ModelRuntime m, long now) {
        Variant champion = m.champion;
        if (champion.driftedAt >= 0) {
            if (m.background == null) {
                startBackground(m, "a drift", champion.driftedAt);
            }
            m.replacementDue = true;
        }
        if (m.replacementDue
                && m.background.examplesSeen >= Math.max(1, m.spec.getDriftMinInstances())) {
            replace(m, now);
        }
        long warningSince = m.champion.monitor.warningSince;
        boolean warning = warningSince >= 0;
        if (m.background == null && warning) {
            startBackground(m, "a warning", warningSince);
        } else if (m.background != null && !m.replacementDue && !warning) {
            discardBackground(m, "the warning cleared");
        }
    }

    /** A fresh model of the champion's spec; it learns from the next batch on. */
    private void startBackground(ModelRuntime m, String why, long position) {
        m.background = Variant.fresh(m.spec);
        m.backgroundSince = position;
        m.replacementDue = false;
        m.dirty = true;
        LOG.info(
                "model '{}' at version {}: background model started at {} (position {})",
                m.name,
                m.version,
                why,
                m.backgroundSince);
    }

    private void discardBackground(ModelRuntime m, String why) {
        LOG.info(
                "model '{}': background model started at position {} discarded after {} examples:"
                        + " {}",
                m.name,
                m.backgroundSince,
                m.background.examplesSeen,
                why);
        m.background = null;
        m.replacementDue = false;
        m.dirty = true;
    }

    /**
     * The background model becomes the champion. The served line keeps its metrics window and its
     * drift detector (reset, so that the new model is judged on its own errors) and goes on with a
     * new version. Challengers stay as they are, but their win streaks start again: they were won
     * against the model that is gone.
     */
    private void replace(ModelRuntime m, long now) {
        Variant old = m.champion;
        Variant next = m.background;
        next.evaluator = old.evaluator;
        next.lastWindow = old.lastWindow;
        next.monitor = old.monitor;
        DriftDetector detector = next.monitor.detector();
        if (detector != null) {
            detector.reset();
        }
        next.monitor.warningSince = -1;
        m.champion = next;
        m.background = null;
        m.replacementDue = false;
        for (Variant c : m.challengers) {
            c.winStreak = 0;
        }
        long was = m.version;
        m.version++;
        m.dirty = true;
        String detail =
                String.format(
                        "background model replaced the champion of '%s' at version %d: it started"
                                + " at position %d and learned %d labelled examples; the served"
                                + " line goes on at version %d",
                        m.name, was, m.backgroundSince, next.examplesSeen, m.version);
        emit(
                METRICS,
                Metrics.newBuilder()
                        .setModel(m.name)
                        .setTask(m.spec.getTask())
                        .setVersionFrom(was)
                        .setVersionTo(m.version)
                        .setWindowStart(now)
                        .setWindowEnd(now)
                        .setEvents(0L)
                        .setLabelled(0L)
                        .setEventsPerSecond(0.0)
                        .setEvent("replacement")
                        .setDetail(detail)
                        .setDetector(detector == null ? null : detector.name())
                        .setPosition(next.monitor.position())
                        .build());
        metricsOf(m).replacements.inc();
        emitSnapshot(m, "replaced");
        LOG.info(detail);
    }

    private static Double value(Metrics w, String metric) {
        if (w == null) {
            return null;
        }
        Double v =
                switch (metric) {
                    case "accuracy" -> w.getAccuracy();
                    case "auc" -> w.getAuc();
                    case "logLoss" -> w.getLogLoss();
                    case "rmse" -> w.getRmse();
                    case "mae" -> w.getMae();
                    default -> null;
                };
        return v == null || v.isNaN() ? null : v;
    }

    // ---------------------------------------------------------------- outputs

    private static Prediction prediction(
            ModelRuntime m, LearnerInput in, int row, int width, long version, long now) {
        Variant c = m.champion;
        return ModelRecords.prediction(
                m.spec.getTask(),
                m.name,
                in.event,
                version,
                c.scores,
                c.predicted,
                row,
                width,
                in.publishedAt,
                now);
    }

    private static boolean snapshotDue(ModelRuntime m, long now) {
        if (m.batchesSinceSnapshot == 0) {
            return false;
        }
        int everyBatches = m.spec.getSnapshotEveryBatches();
        int everySeconds = m.spec.getSnapshotEverySeconds();
        return (everyBatches > 0 && m.batchesSinceSnapshot >= everyBatches)
                || (everySeconds > 0 && now - m.lastSnapshotAt >= everySeconds * 1000L);
    }

    private void emitSnapshot(ModelRuntime m, String event) {
        emit(SNAPSHOTS, snapshot(m, event, ModelState.LEARNING));
    }

    private ModelSnapshot snapshot(ModelRuntime m, String event, ModelState modelState) {
        long now = now();
        m.batchesSinceSnapshot = 0;
        m.lastSnapshotAt = now;
        return Snapshots.of(m, now, event, modelState);
    }

    private void refuse(LearnerInput in, String reason) {
        String model = in.model();
        String id =
                in.event != null
                        ? in.event.getId()
                        : in.feedback != null ? in.feedback.getEventId() : null;
        emit(DEAD_LETTERS, DecodeAndValidate.deadLetter(in.source(), reason, model, id));
    }

    private void refuseOrLog(LearnerInput from, String reason) {
        if (from != null) {
            refuse(from, reason);
        } else {
            LOG.warn(reason);
        }
    }

    private static String unknown(String model) {
        return "unknown model '" + model + "'";
    }

    private <T> void emit(OutputTag<T> tag, T value) {
        output.collect(tag, new StreamRecord<>(value));
    }

    private static byte[] bytes(java.nio.ByteBuffer b) {
        java.nio.ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
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
        for (ModelRuntime m : models.values()) {
            if (m.dirty) {
                setCurrentKey(m.name);
                state.update(m.toState(specCodec, monitorSerializer));
                m.dirty = false;
            }
        }
    }

    /** At the end of input: flush, then a snapshot of every model that learned since its last. */
    @Override
    public void finish() throws Exception {
        flushAll();
        for (ModelRuntime m : models.values()) {
            if (m.batchesSinceSnapshot > 0) {
                emitSnapshot(m, "final");
            }
        }
        super.finish();
    }

    private void flushAll() {
        for (ModelRuntime m : new ArrayList<>(models.values())) {
            flush(m);
        }
    }

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
        return m == null ? 0 : m.pendingLabels;
    }
}
