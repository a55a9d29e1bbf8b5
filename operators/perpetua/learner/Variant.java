package perpetua.learner;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import perpetua.drift.DriftMonitor;
import perpetua.features.OnlineStandardizer;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.model.FeatureEncoder;
import perpetua.model.MicroBatch;
import perpetua.model.ModelRecords;
import perpetua.model.NeuralModel;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;

/**
 * One learner of a model: the served champion, a challenger learning in its shadow, or a background
 * model learning in the champion's shadow after a drift warning. It owns its model, its encoder
 * (its input encoding may differ), its open batch, its evaluator, its drift monitor and the
 * countdown of a learning-rate boost.
 */
final class Variant {
    ModelSpec spec;
    NeuralModel model;
    final FeatureEncoder encoder;
    final MicroBatch batch;
    PrequentialEvaluator evaluator;
    float[] scores = new float[0];
    float[] predicted = new float[0];
    long examplesSeen;

    /** Consecutive windows this challenger beat the champion by the margin. */
    int winStreak;

    Metrics lastWindow;

    /** The spec's drift detector on this learner's error stream. */
    DriftMonitor monitor;

    /** Learned batches left at a boosted learning rate; 0 when not boosted. */
    int boostBatchesLeft;

    /** Position of a DRIFT in the batch being flushed, its reaction still to come; else -1. */
    long driftedAt = -1;

    private Variant(
            ModelSpec spec, NeuralModel model, FeatureEncoder encoder, PrequentialEvaluator ev) {
        this.spec = spec;
        this.model = model;
        this.encoder = encoder;
        this.batch = encoder.newBatch();
        this.evaluator = ev;
        this.monitor = DriftMonitor.forSpec(spec);
    }

    static Variant fresh(ModelSpec spec) {
        return new Variant(
                spec,
                new NeuralModel(spec),
                new FeatureEncoder(spec),
                PrequentialEvaluator.forSpec(spec));
    }

    static Variant restore(ModelSpec spec, VariantState s) {
        Variant v =
                new Variant(
                        spec,
                        NeuralModel.restore(spec, s.parameters, s.optimizerState, s.steps),
                        new FeatureEncoder(
                                spec,
                                new OnlineStandardizer(s.featureCount, s.featureMean, s.featureM2)),
                        s.evaluator);
        v.examplesSeen = s.examplesSeen;
        v.model.setUnhealthyBatches(s.unhealthyBatches);
        v.winStreak = s.winStreak;
        if (s.monitor != null) {
            // State written before drift detection had none: the spec's detector starts afresh.
            v.monitor = s.monitor;
        }
        if (s.boostBatchesLeft > 0 && s.learningRateBoost > 0) {
            v.boostBatchesLeft = s.boostBatchesLeft;
            v.model.setLearningRateBoost(s.learningRateBoost);
        }
        return v;
    }

    /** A variant that starts from a published snapshot's parameters and feature moments. */
    static Variant fromSnapshot(ModelSpec spec, ModelSnapshot snapshot) {
        NeuralModel model =
                NeuralModel.fromTensors(
                        snapshot.getSpec(),
                        snapshot.getTensors(),
                        snapshot.getOptimizerState(),
                        snapshot.getVersion());
        Variant v =
                new Variant(
                        spec,
                        model.reconfigured(spec),
                        new FeatureEncoder(
                                spec,
                                ModelRecords.standardizer(
                                        snapshot.getFeatureState(),
                                        spec.getNumericFeatures().size())),
                        PrequentialEvaluator.forSpec(spec));
        v.examplesSeen = snapshot.getExamplesSeen();
        return v;
    }

    /** Applies a compatible spec change in place, keeping what was learned. */
    void update(ModelSpec next) {
        model = model.reconfigured(next);
        conform(next);
    }

    /**
     * Takes {@code next} as this learner's spec without touching its weights: a new evaluator when
     * the metrics window changed, a new drift monitor when the detector did, and no boost when the
     * reaction is no longer a boost.
     */
    void conform(ModelSpec next) {
        if (!evaluator.sameWindow(next)) {
            evaluator = PrequentialEvaluator.forSpec(next);
        }
        if (!monitor.sameDetector(next)) {
            monitor = DriftMonitor.forSpec(next);
        }
        if (next.getDriftReaction() != DriftReaction.BOOST_LEARNING_RATE) {
            endBoost();
        }
        spec = next;
    }

    /** Multiplies the learning rate by {@code factor} for the next {@code batches} learned. */
    void boost(float factor, int batches) {
        model.setLearningRateBoost(factor);
        boostBatchesLeft = batches;
    }

    /** Counts one learned batch off a boost, and ends the boost after its last. */
    void learnedBatch() {
        if (boostBatchesLeft > 0 && --boostBatchesLeft == 0) {
            endBoost();
        }
    }

    void endBoost() {
        boostBatchesLeft = 0;
        model.setLearningRateBoost(1f);
    }

    /**
     * A deep copy for keyed state.
     *
     * @param monitors the drift monitor's POJO serializer, whose copy is a deep one
     */
    VariantState toState(TypeSerializer<DriftMonitor> monitors) {
        VariantState s = new VariantState();
        s.parameters = model.parameters();
        s.optimizerState = model.optimizerState();
        s.steps = model.steps();
        s.unhealthyBatches = model.unhealthyBatches();
        s.examplesSeen = examplesSeen;
        OnlineStandardizer std = encoder.standardizer();
        s.featureCount = std.counts();
        s.featureMean = std.means();
        s.featureM2 = std.m2s();
        s.evaluator = evaluator.copy();
        s.winStreak = winStreak;
        s.monitor = monitors.copy(monitor);
        s.boostBatchesLeft = boostBatchesLeft;
        s.learningRateBoost = model.learningRateBoost();
        return s;
    }

    /** Predicts the rows of the open batch into {@link #scores} and {@link #predicted}. */
    void predict(int capacity) {
        int width = model.scoreWidth();
        int n = batch.size();
        if (scores.length < n * width) {
            scores = new float[Math.max(n, capacity) * width];
        }
        if (predicted.length < n) {
            predicted = new float[Math.max(n, capacity)];
        }
        if (n > 0) {
            model.predict(batch, scores, predicted);
        }
    }
}
