package perpetua.learner;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import perpetua.drift.DriftDetector;
import perpetua.drift.DriftMonitor;
import perpetua.features.FeatureEncoder;
import perpetua.features.LearningQueue;
import perpetua.features.MaxAbsScaler;
import perpetua.features.MicroBatch;
import perpetua.features.OnlineStandardizer;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.metrics.Ranking;
import perpetua.model.CandidateScorer;
import perpetua.model.Explainer;
import perpetua.model.ModelRecords;
import perpetua.model.NeuralModel;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.spec.SpecRules;

/**
 * One learner of a model: the served champion, a challenger learning in its shadow, or a background
 * model learning in the champion's shadow after a drift warning. It owns its model, its encoder
 * (its input encoding may differ), its open batch, the labelled rows it has yet to learn, its
 * {@link Scorecard} (metrics window, win streak, search tally), its {@link DriftWatch} and the
 * countdown of a learning-rate boost; it changes them itself, and takes over the served line's
 * metrics window and drift monitor when it replaces the champion.
 *
 * <p>The open batch holds the new events to predict; every labelled row also joins the learning
 * queue, which is learned in groups of {@code learnBatch} rows in arrival order, so that what the
 * learner learns does not depend on when its batches flushed.
 */
final class Variant {
    private ModelSpec spec;
    private NeuralModel model;
    private final FeatureEncoder encoder;
    private final MicroBatch batch;
    private final LearningQueue queue;

    /**
     * Whether the open batch's rows went to the learning queue one for one, in order, into a queue
     * that was empty when the batch began: then a batch that is exactly one group is learned as
     * itself, and its step reuses the forward pass of its prediction.
     */
    private boolean batchIsGroup = true;

    private final Scorecard scorecard;
    private final DriftWatch drift;
    private float[] scores = new float[0];
    private float[] predicted = new float[0];
    private long examplesSeen;

    /** Learned batches left at a boosted learning rate; 0 when not boosted. */
    private int boostBatchesLeft;

    /** The rank of each new row's item among its candidates; 0 where a row is not ranked. */
    private int[] ranks = new int[0];

    // Built on first use over the current model and moments; dropped when the model is replaced.
    private CandidateScorer scorer;
    private Explainer explainer;

    private Variant(
            ModelSpec spec, NeuralModel model, FeatureEncoder encoder, PrequentialEvaluator ev) {
        this.spec = spec;
        this.model = model;
        this.encoder = encoder;
        this.batch = encoder.newBatch();
        this.queue = new LearningQueue(encoder, SpecRules.learningGroup(spec), spec.getPairwise());
        this.scorecard = new Scorecard(ev);
        this.drift = new DriftWatch(spec);
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
                                new OnlineStandardizer(s.featureCount, s.featureMean, s.featureM2),
                                // State written before dense scaling existed has none: unscaled.
                                s.denseMaxAbs == null ? null : new MaxAbsScaler(s.denseMaxAbs)),
                        s.evaluator);
        // Likewise, a model that learned before target scaling keeps the label as it comes.
        v.model.setTargetMoments(s.targetMoments);
        v.queue.addRows(s.learnRows);
        v.examplesSeen = s.examplesSeen;
        v.model.setUnhealthyBatches(s.unhealthyBatches);
        v.scorecard.restore(s);
        v.drift.restore(s.monitor);
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
                                        spec.getNumericFeatures().size()),
                                ModelRecords.denseScaler(
                                        snapshot.getFeatureState(), spec.getDenseSize())),
                        PrequentialEvaluator.forSpec(spec));
        v.examplesSeen = snapshot.getExamplesSeen();
        return v;
    }

    ModelSpec spec() {
        return spec;
    }

    /** The learner's name: the model's for a champion, the challenger's own for a challenger. */
    String name() {
        return spec.getModel();
    }

    NeuralModel model() {
        return model;
    }

    FeatureEncoder encoder() {
        return encoder;
    }

    MicroBatch batch() {
        return batch;
    }

    PrequentialEvaluator evaluator() {
        return scorecard.evaluator();
    }

    /** How this learner is judged: its windows, its win streak and its search tally. */
    Scorecard scorecard() {
        return scorecard;
    }

    /** The drift detector on this learner's errors, and this batch's drift. */
    DriftWatch drift() {
        return drift;
    }

    /** The class probabilities of the open batch's rows, {@link NeuralModel#scoreWidth} a row. */
    float[] scores() {
        return scores;
    }

    /** The prediction of each row of the open batch: a class index or a value. */
    float[] predicted() {
        return predicted;
    }

    long examplesSeen() {
        return examplesSeen;
    }

    /** Learned batches left at a boosted learning rate; 0 when not boosted. */
    int boostBatchesLeft() {
        return boostBatchesLeft;
    }

    /** Applies a compatible spec change in place, keeping what was learned. */
    void update(ModelSpec next) {
        model = model.reconfigured(next);
        scorer = null;
        explainer = null;
        conform(next);
    }

    // ---------------------------------------------------------------- the open batch and queue

    /**
     * A new event joins the open batch, encoded for predicting; a labelled one also joins the
     * learning queue, encoded as it is learned.
     */
    void add(Event event) {
        if (batch.isEmpty()) {
            batchIsGroup = queue.waiting() == 0;
        }
        encoder.encode(event, batch);
        int row = batch.size() - 1;
        if (learnable(batch.label(row), batch.weight(row))) {
            queue.add(encoder, batch);
        } else {
            batchIsGroup = false;
        }
    }

    /** A late label joins the learning queue with its event, whose features were counted. */
    void addCounted(Event labelled) {
        batchIsGroup = false;
        queue.addCounted(encoder, labelled);
    }

    /**
     * A negative sampled for the event added last joins the learning queue (with pairwise learning,
     * in that event's group); its features were counted with the event.
     */
    void addNegative(Event negative) {
        batchIsGroup = false;
        queue.addNegative(encoder, negative);
    }

    /** The learning queue, for state and tests. */
    LearningQueue queue() {
        return queue;
    }

    private static boolean learnable(float label, float weight) {
        return weight > 0 && !Float.isNaN(label);
    }

    /** The rank of each new row's item among its candidates, 0 where a row is not ranked. */
    int[] ranks() {
        return ranks;
    }

    /**
     * Ranks the item of each new row that has candidates, scored with the model as it is before the
     * batch is learned (see {@link Ranking}).
     */
    void rank(ModelRuntime m, int capacity) {
        int n = m.newRows();
        if (ranks.length < n) {
            ranks = new int[Math.max(n, capacity)];
        }
        for (int r = 0; r < n; r++) {
            String[] candidates = m.candidates(r);
            if (candidates == null) {
                ranks[r] = 0;
                continue;
            }
            float[] s =
                    scorer().scoreAgainst(
                                    m.newEvent(r),
                                    candidates,
                                    m.memory(),
                                    m.candidatesDrawnAt(r),
                                    m.candidatesCooccurrence(r));
            ranks[r] = Ranking.rank(s[0], s, 1, candidates.length);
        }
    }

    /** Scores a recommender's candidates with this learner's model and moments. */
    CandidateScorer scorer() {
        if (scorer == null) {
            scorer = new CandidateScorer(model, encoder.standardizer(), encoder.denseScaler());
        }
        return scorer;
    }

    /** Explains this learner's predictions with its model and moments. */
    Explainer explainer() {
        if (explainer == null) {
            explainer = new Explainer(model, encoder.standardizer(), encoder.denseScaler());
        }
        return explainer;
    }

    /**
     * Takes {@code next} as this learner's spec without touching its weights: a new evaluator when
     * the metrics window changed, a new drift monitor when the detector did, and no boost when the
     * reaction is no longer a boost.
     */
    void conform(ModelSpec next) {
        queue.resize(SpecRules.learningGroup(next), next.getPairwise());
        scorecard.conform(next);
        drift.conform(next);
        if (next.getDriftReaction() != DriftReaction.BOOST_LEARNING_RATE) {
            endBoost();
        }
        spec = next;
    }

    /**
     * Takes over the served line of the champion this learner replaces: its metrics window, its
     * last window and its drift monitor, reset so that this learner is judged on its own errors.
     *
     * @return the monitor's detector, or null when the spec names none
     */
    DriftDetector takeOverServedLine(Variant old) {
        scorecard.takeOverServedLine(old.scorecard);
        return drift.takeOverServedLine(old.drift);
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

    /** What one learner's complete groups came to in one flush. */
    record Learned(int steps, int examples, int refused, int refusedExamples, String problem) {}

    /**
     * One gradient step per complete group of the learning queue, oldest first; an incomplete group
     * waits. The open batch is cleared.
     *
     * @return the steps applied and refused; a step refused for an unhealthy loss, gradient or
     *     weight norm leaves the model as it was
     */
    Learned learn() {
        int steps = 0;
        int examples = 0;
        int refused = 0;
        int refusedExamples = 0;
        String problem = null;
        boolean asBatch = batchIsGroup && queue.oneGroupExactly() && batch.size() > 0;
        for (MicroBatch group = queue.nextGroup(); group != null; group = queue.nextGroup()) {
            MicroBatch rows = asBatch && sameRows(group) ? batch : group;
            int count = rows.size();
            long before = model.steps();
            model.train(rows);
            queue.learned(group);
            if (model.steps() == before) {
                refused++;
                refusedExamples += count;
                problem = model.lastProblem();
                continue;
            }
            steps++;
            examples += count;
            examplesSeen += count;
            if (boostBatchesLeft > 0 && --boostBatchesLeft == 0) {
                endBoost();
            }
        }
        batch.clear();
        batchIsGroup = true;
        return new Learned(steps, examples, refused, refusedExamples, problem);
    }

    // The group is the open batch's rows, scaled alike: learning it is learning the batch.
    private boolean sameRows(MicroBatch group) {
        if (group.size() != batch.size()) {
            return false;
        }
        for (int r = 0; r < batch.size(); r++) {
            if (!group.sameDense(batch, r)) {
                return false;
            }
        }
        return true;
    }

    /** Multiplies the learning rate by {@code factor} for the next {@code batches} learned. */
    void boost(float factor, int batches) {
        model.setLearningRateBoost(factor);
        boostBatchesLeft = batches;
    }

    private void endBoost() {
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
        MaxAbsScaler dense = encoder.denseScaler();
        s.denseMaxAbs = dense == null ? null : dense.maxAbs();
        s.targetMoments = model.targetMoments();
        s.learnRows = queue.waiting() == 0 ? null : queue.toRows();
        scorecard.writeTo(s);
        s.monitor = monitors.copy(drift.monitor());
        s.boostBatchesLeft = boostBatchesLeft;
        s.learningRateBoost = model.learningRateBoost();
        return s;
    }
}
