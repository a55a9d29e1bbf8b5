package perpetua.learner;

import perpetua.eval.PrequentialEvaluator;
import perpetua.features.OnlineStandardizer;
import perpetua.ingest.Observation;
import perpetua.model.FeatureEncoder;
import perpetua.model.LinearModel;
import perpetua.model.MicroBatch;
import perpetua.schemas.ModelSpec;

/**
 * The live working copy of one model inside a Learner subtask: the model, its open micro-batch and
 * its evaluator. Transient: rebuilt from {@link LearnerState} after a restore.
 */
final class ModelRuntime {
    final String name;
    final ModelSpec spec;
    final LinearModel model;
    final FeatureEncoder encoder;
    final MicroBatch batch;
    final PrequentialEvaluator evaluator;
    Observation[] pending;
    float[] scores = new float[0];
    float[] predicted = new float[0];
    long examplesSeen;
    int batchesSinceSnapshot;
    long lastSnapshotAt;

    /** Incremented at every flush so that a timer set for an earlier batch does nothing. */
    long batchSeq;

    /** Changed since its state was last written to Flink state. */
    boolean dirty;

    LearnerMetrics metrics;

    private ModelRuntime(
            ModelSpec spec, LinearModel model, FeatureEncoder encoder, PrequentialEvaluator ev) {
        this.name = spec.getModel();
        this.spec = spec;
        this.model = model;
        this.encoder = encoder;
        this.evaluator = ev;
        this.batch = encoder.newBatch();
        this.pending = new Observation[Math.max(1, spec.getMaxBatch())];
    }

    static ModelRuntime fresh(ModelSpec spec, long now) {
        ModelRuntime m =
                new ModelRuntime(
                        spec,
                        new LinearModel(spec),
                        new FeatureEncoder(spec),
                        new PrequentialEvaluator(spec.getTask(), spec.getMetricsWindow()));
        m.lastSnapshotAt = now;
        return m;
    }

    static ModelRuntime restore(ModelSpec spec, LearnerState s) {
        LinearModel model = LinearModel.restore(spec, s.parameters, s.optimizerState, s.steps);
        FeatureEncoder encoder =
                new FeatureEncoder(
                        spec, new OnlineStandardizer(s.featureCount, s.featureMean, s.featureM2));
        ModelRuntime m = new ModelRuntime(spec, model, encoder, s.evaluator);
        m.examplesSeen = s.examplesSeen;
        m.batchesSinceSnapshot = s.batchesSinceSnapshot;
        m.lastSnapshotAt = s.lastSnapshotAt;
        return m;
    }

    /** A deep copy for Flink state, so later in-place learning cannot touch a running snapshot. */
    LearnerState toState() {
        LearnerState s = new LearnerState();
        s.parameters = model.parameters();
        s.optimizerState = model.optimizerState();
        s.steps = model.steps();
        s.examplesSeen = examplesSeen;
        OnlineStandardizer std = encoder.standardizer();
        s.featureCount = std.counts();
        s.featureMean = std.means();
        s.featureM2 = std.m2s();
        s.evaluator = evaluator.copy();
        s.batchesSinceSnapshot = batchesSinceSnapshot;
        s.lastSnapshotAt = lastSnapshotAt;
        return s;
    }

    void add(Observation o) {
        encoder.encode(o.event, batch);
        pending[batch.size() - 1] = o;
    }

    int size() {
        return batch.size();
    }
}
