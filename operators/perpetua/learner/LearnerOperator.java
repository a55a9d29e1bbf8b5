package perpetua.learner;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.ingest.AvroTypes;
import perpetua.ingest.Observation;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;

/**
 * Predicts every event and learns from every labelled one, per model, in dynamic micro-batches.
 *
 * <p>Keyed by model name. Events of a model gather in a {@link perpetua.model.MicroBatch} that
 * flushes when it holds {@code maxBatch} events or {@code maxDelayMs} after its first event. A
 * flush is one batched forward pass (a {@link Prediction} for every event, tagged with the version
 * of the model before the batch), prequential scoring of the labelled events, and one batched
 * gradient step. Side outputs: {@link #METRICS} per tumbling window of labelled events and {@link
 * #SNAPSHOTS} every {@code snapshotEveryBatches} batches or {@code snapshotEverySeconds} seconds.
 *
 * <p>State: the working models live in a transient map; open batches are flushed before every
 * checkpoint barrier, and each model changed since the last checkpoint is copied into keyed state
 * ({@link LearnerState}, primitive arrays) once per checkpoint. Nothing is serialized per event.
 */
public final class LearnerOperator extends AbstractStreamOperator<Prediction>
        implements OneInputStreamOperator<Observation, Prediction> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LearnerOperator.class);

    public static final OutputTag<Metrics> METRICS =
            new OutputTag<>("metrics", AvroTypes.of(Metrics.class));
    public static final OutputTag<ModelSnapshot> SNAPSHOTS =
            new OutputTag<>("snapshots", AvroTypes.of(ModelSnapshot.class));

    private final Map<String, ModelSpec> specs;

    private transient ValueState<LearnerState> state;
    private transient Map<String, ModelRuntime> models;

    public LearnerOperator(Map<String, ModelSpec> specs) {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("the Learner needs at least one model spec");
        }
        for (ModelSpec s : specs.values()) {
            if (s.getMaxBatch() < 1 || s.getMaxDelayMs() < 0) {
                throw new IllegalArgumentException(
                        "model '" + s.getModel() + "': maxBatch must be >= 1 and maxDelayMs >= 0");
            }
        }
        this.specs = Map.copyOf(specs);
    }

    @Override
    public void open() throws Exception {
        super.open();
        state = getPartitionedState(new ValueStateDescriptor<>("learner", LearnerState.class));
        models = new HashMap<>();
    }

    @Override
    public void processElement(StreamRecord<Observation> record) throws Exception {
        Observation o = record.getValue();
        ModelRuntime m = runtime(o.model());
        m.add(o);
        if (m.size() >= m.spec.getMaxBatch()) {
            flush(m);
        } else if (m.size() == 1) {
            scheduleFlush(m);
        }
    }

    /** The model's working copy; on first sight after a start or restore, from keyed state. */
    private ModelRuntime runtime(String name) throws Exception {
        ModelRuntime m = models.get(name);
        if (m != null) {
            return m;
        }
        ModelSpec spec = specs.get(name);
        if (spec == null) {
            // The validator refuses unknown models before keyBy; reaching here is a wiring bug.
            throw new IllegalStateException("no spec for model '" + name + "'");
        }
        LearnerState saved = state.value();
        long now = getProcessingTimeService().getCurrentProcessingTime();
        m = saved == null ? ModelRuntime.fresh(spec, now) : ModelRuntime.restore(spec, saved);
        m.metrics = new LearnerMetrics(getMetricGroup(), m);
        models.put(name, m);
        LOG.info(
                "model '{}' {} at version {} ({} task, {} dense, {} numeric, 2^{} hashed slots)",
                name,
                saved == null ? "created" : "restored",
                m.model.steps(),
                spec.getTask(),
                spec.getDenseSize(),
                spec.getNumericFeatures().size(),
                spec.getHashBits());
        return m;
    }

    private void scheduleFlush(ModelRuntime m) {
        long seq = m.batchSeq;
        long due = getProcessingTimeService().getCurrentProcessingTime() + m.spec.getMaxDelayMs();
        getProcessingTimeService()
                .registerTimer(
                        due,
                        time -> {
                            if (m.batchSeq == seq && m.size() > 0) {
                                flush(m);
                            }
                        });
    }

    /** Predict the whole batch, score the labelled events, then take one gradient step. */
    private void flush(ModelRuntime m) {
        int n = m.size();
        if (n == 0) {
            return;
        }
        int width = m.model.scoreWidth();
        if (m.scores.length < n * width) {
            m.scores = new float[Math.max(n, m.spec.getMaxBatch()) * width];
        }
        if (m.predicted.length < n) {
            m.predicted = new float[Math.max(n, m.spec.getMaxBatch())];
        }
        m.model.predict(m.batch, m.scores, m.predicted);
        m.encoder.commitMoments();

        long version = m.model.steps();
        long now = getProcessingTimeService().getCurrentProcessingTime();
        for (int r = 0; r < n; r++) {
            Observation o = m.pending[r];
            m.pending[r] = null;
            output.collect(new StreamRecord<>(prediction(m, o, r, width, version, now)));
            m.evaluator.countPrediction(version, now);
            float label = m.batch.label(r);
            if (!Float.isNaN(label)) {
                m.evaluator.score(m.scores, r * width, m.predicted[r], label, m.batch.weight(r));
                if (m.evaluator.windowFull()) {
                    Metrics window = m.evaluator.emit(m.name, version, now);
                    m.metrics.windowEmitted(window);
                    output.collect(METRICS, new StreamRecord<>(window));
                }
            }
        }
        m.metrics.predictions.inc(n);

        int labelled = m.batch.labelledCount();
        if (labelled > 0) {
            m.model.learn(m.batch);
            m.examplesSeen += labelled;
            m.metrics.learnedExamples.inc(labelled);
            m.metrics.batches.inc();
            m.batchesSinceSnapshot++;
        }
        m.batch.clear();
        m.batchSeq++;
        m.dirty = true;
        if (snapshotDue(m, now)) {
            output.collect(SNAPSHOTS, new StreamRecord<>(Snapshots.of(m, now)));
            m.batchesSinceSnapshot = 0;
            m.lastSnapshotAt = now;
        }
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

    private static Prediction prediction(
            ModelRuntime m, Observation o, int row, int width, long version, long now) {
        Object label;
        java.util.List<Float> scores;
        if (m.spec.getTask() == Task.REGRESSION) {
            label = (double) m.predicted[row];
            scores = java.util.List.of();
        } else {
            label = (int) m.predicted[row];
            Float[] s = new Float[width];
            for (int k = 0; k < width; k++) {
                s[k] = m.scores[row * width + k];
            }
            scores = java.util.Arrays.asList(s);
        }
        return Prediction.newBuilder()
                .setEventId(o.event.getId())
                .setModel(m.name)
                .setModelVersion(version)
                .setTime(o.event.getTime())
                .setLabel(label)
                .setScores(scores)
                .setPublishedAt(o.publishedAt)
                .setPredictedAt(now)
                .build();
    }

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
                state.update(m.toState());
                m.dirty = false;
            }
        }
    }

    @Override
    public void finish() throws Exception {
        flushAll();
        super.finish();
    }

    private void flushAll() {
        for (ModelRuntime m : models.values()) {
            flush(m);
        }
    }
}
