package perpetua.learner;

import perpetua.eval.PrequentialEvaluator;
import perpetua.features.OnlineStandardizer;
import perpetua.model.FeatureEncoder;
import perpetua.model.MicroBatch;
import perpetua.model.ModelRecords;
import perpetua.model.NeuralModel;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;

/**
 * One learner of a model: the served champion or a challenger learning in its shadow. It owns its
 * model, its encoder (its input encoding may differ), its open batch and its evaluator.
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

    private Variant(
            ModelSpec spec, NeuralModel model, FeatureEncoder encoder, PrequentialEvaluator ev) {
        this.spec = spec;
        this.model = model;
        this.encoder = encoder;
        this.batch = encoder.newBatch();
        this.evaluator = ev;
    }

    static Variant fresh(ModelSpec spec) {
        return new Variant(
                spec,
                new NeuralModel(spec),
                new FeatureEncoder(spec),
                new PrequentialEvaluator(spec.getTask(), spec.getMetricsWindow()));
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
                        reconfigure(model, snapshot.getSpec(), spec),
                        new FeatureEncoder(
                                spec,
                                ModelRecords.standardizer(
                                        snapshot.getFeatureState(),
                                        spec.getNumericFeatures().size())),
                        new PrequentialEvaluator(spec.getTask(), spec.getMetricsWindow()));
        v.examplesSeen = snapshot.getExamplesSeen();
        return v;
    }

    /**
     * The same weights under a new spec of the same architecture: hyper-parameters change, the
     * optimizer state is kept when the optimizer is the same kind and starts anew otherwise.
     */
    static NeuralModel reconfigure(NeuralModel model, ModelSpec from, ModelSpec to) {
        return model.reconfigured(to);
    }

    /** Applies a compatible spec change in place, keeping what was learned. */
    void update(ModelSpec next) {
        model = reconfigure(model, spec, next);
        if (next.getMetricsWindow() != spec.getMetricsWindow()) {
            evaluator = new PrequentialEvaluator(next.getTask(), next.getMetricsWindow());
        }
        spec = next;
    }

    VariantState toState() {
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
