package perpetua.learner;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import perpetua.drift.DriftDetector;
import perpetua.drift.DriftDetector.Signal;
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
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.spec.SpecRules;

/**
 * One learner of a model: the served champion, a challenger learning in its shadow, or a background
 * model learning in the champion's shadow after a drift warning. It owns its model, its encoder
 * (its input encoding may differ), its open batch, the labelled rows it has yet to learn, its
 * evaluator, its drift monitor, its win streak and the countdown of a learning-rate boost; it
 * changes them itself, and takes over the served line's evaluator and monitor when it replaces the
 * champion.
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

    private PrequentialEvaluator evaluator;
    private float[] scores = new float[0];
    private float[] predicted = new float[0];
    private long examplesSeen;

    /** Consecutive windows this challenger beat the champion by the margin. */
    private int winStreak;

    /** The main metric summed over the search's current rung, and its windows there. */
    private double tallyTotal;

    private int tallyWindows;

    private Metrics lastWindow;

    /** The spec's drift detector on this learner's error stream. */
    private DriftMonitor monitor;

    /** Learned batches left at a boosted learning rate; 0 when not boosted. */
    private int boostBatchesLeft;

    /** Position of a DRIFT in the batch being flushed, its reaction still to come; else -1. */
    private long driftedAt = -1;

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
        this.queue = new LearningQueue(encoder, SpecRules.learningGroup(spec));
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
                                new OnlineStandardizer(s.featureCount, s.featureMean, s.featureM2),
                                // State written before dense scaling existed has none: unscaled.
                                s.denseMaxAbs == null ? null : new MaxAbsScaler(s.denseMaxAbs)),
                        s.evaluator);
        // Likewise, a model that learned before target scaling keeps the label as it comes.
        v.model.setTargetMoments(s.targetMoments);
        v.queue.addRows(s.learnRows);
        v.examplesSeen = s.examplesSeen;
        v.model.setUnhealthyBatches(s.unhealthyBatches);
        v.winStreak = s.winStreak;
        v.tallyTotal = s.tallyTotal;
        v.tallyWindows = s.tallyWindows;
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
        return evaluator;
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

    int winStreak() {
        return winStreak;
    }

    /** The last metrics window this learner closed, or null before its first. */
    Metrics lastWindow() {
        return lastWindow;
    }

    DriftMonitor monitor() {
        return monitor;
    }

    /** Learned batches left at a boosted learning rate; 0 when not boosted. */
    int boostBatchesLeft() {
        return boostBatchesLeft;
    }

    /** Whether a drift came in the batch being flushed, its reaction still to come. */
    boolean drifted() {
        return driftedAt >= 0;
    }

    /** Position in this learner's error stream of the drift of this batch; -1 if none. */
    long driftedAt() {
        return driftedAt;
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
                                    m.newEvent(r), candidates, m.memory(), m.candidatesDrawnAt(r));
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
        queue.resize(SpecRules.learningGroup(next));
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

    /**
     * Takes over the served line of the champion this learner replaces: its metrics window, its
     * last window and its drift monitor, reset so that this learner is judged on its own errors.
     *
     * @return the monitor's detector, or null when the spec names none
     */
    DriftDetector takeOverServedLine(Variant old) {
        evaluator = old.evaluator;
        lastWindow = old.lastWindow;
        monitor = old.monitor;
        DriftDetector detector = monitor.detector();
        if (detector != null) {
            detector.reset();
        }
        monitor.warningSince = -1;
        return detector;
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

    /**
     * Feeds one labelled example's error to the drift monitor, and remembers where a drift came.
     */
    Signal watch(Task task, float prediction, float label) {
        Signal signal = monitor.update(DriftMonitor.error(task, prediction, label));
        if (signal == Signal.DRIFT) {
            driftedAt = monitor.position();
        }
        return signal;
    }

    /** Whether the monitor's last signal began a warning episode. */
    boolean warningStarted() {
        return monitor.warningSince >= 0 && monitor.warningSince == monitor.position();
    }

    /** The batch's drift has had its reaction. */
    void driftAnswered() {
        driftedAt = -1;
    }

    /** Closes this learner's metrics window if it is due, and keeps it as the last; else null. */
    Metrics closeWindowIfDue(String model, long version, long now) {
        Metrics window = evaluator.closeIfDue(model, version, now);
        if (window != null) {
            lastWindow = window;
        }
        return window;
    }

    /** One more window judged against the champion's: won by the margin, or the streak ends. */
    void judged(boolean won) {
        winStreak = won ? winStreak + 1 : 0;
    }

    /** The streak starts again: it was won against a champion that is gone. */
    void endStreak() {
        winStreak = 0;
    }

    /** One more window of the search's rung, with its value of the main metric. */
    void tally(double value) {
        tallyTotal += value;
        tallyWindows++;
    }

    /** The mean of the rung's tallied values; NaN before the first. */
    double tallyMean() {
        return tallyWindows == 0 ? Double.NaN : tallyTotal / tallyWindows;
    }

    /** A new rung begins. */
    void resetTally() {
        tallyTotal = 0;
        tallyWindows = 0;
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
            model.learn(rows);
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
        s.evaluator = evaluator.copy();
        s.winStreak = winStreak;
        s.tallyTotal = tallyTotal;
        s.tallyWindows = tallyWindows;
        s.monitor = monitors.copy(monitor);
        s.boostBatchesLeft = boostBatchesLeft;
        s.learningRateBoost = model.learningRateBoost();
        return s;
    }
}
