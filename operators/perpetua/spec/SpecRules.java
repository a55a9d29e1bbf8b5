package perpetua.spec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import perpetua.catalog.InteractionMemory;
import perpetua.drift.DriftDetectors;
import perpetua.features.FeatureEncoder;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.schemas.Embedding;
import perpetua.schemas.Layer;
import perpetua.schemas.Loss;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/**
 * What makes a model spec usable, and which changes a learned model can take.
 *
 * <p>A spec is refused when no model can be built from it. An update keeps the learned weights only
 * when the architecture and the input encoding stay the same: task, classes, dense size, numeric
 * features, dense scale, hash bits, the wide part, interactions, text n-grams, multi-valued
 * features, the factorization machine, a recommender's item and user features, hidden layers (units
 * and activations), embeddings and their tables. Everything else (learning rate and its schedule,
 * optimizers, regularization, clipping, dropout, loss, kernel, batching, snapshots, metrics window,
 * drift detector and reaction, label wait, challengers) applies to the live model.
 */
public final class SpecRules {
    /**
     * The most classes a model may have: a prediction carries one score per class, and this keeps
     * it far under the limit of the predictions topic.
     */
    public static final int MAX_CLASSES = 65_536;

    /** The largest learning group: its rows wait in keyed state between flushes. */
    public static final int MAX_LEARN_BATCH = 65_536;

    public static final List<String> PROMOTION_METRICS =
            List.of("auto", "logLoss", "accuracy", "auc", "rmse", "mae");

    private SpecRules() {}

    /**
     * Labelled examples per gradient step: {@code learnBatch}; when it is 0, one for
     * NORMALIZED_ADAGRAD, an update rule made for one example at a time, and {@code maxBatch} for
     * the others, made for mini-batches (and what they learned in before learnBatch existed); with
     * {@code pairwise}, at most one event and its {@code negativeSamples} negatives.
     */
    public static int learningGroup(ModelSpec s) {
        if (s.getPairwise()) {
            // One event and its negatives: their scores are compared in one loss.
            return 1 + s.getNegativeSamples();
        }
        if (s.getLearnBatch() > 0) {
            return s.getLearnBatch();
        }
        return s.getOptimizer() == OptimizerKind.NORMALIZED_ADAGRAD
                ? 1
                : Math.max(1, s.getMaxBatch());
    }

    /** Returns null when the spec is usable, otherwise why not. */
    public static String problem(ModelSpec s) {
        String m = "model '" + s.getModel() + "': ";
        if (s.getModel() == null || s.getModel().isBlank()) {
            return "a model needs a name";
        }
        if (s.getTask() == Task.MULTICLASS && s.getClasses() < 2) {
            return m + "classes must be >= 2";
        }
        if (s.getClasses() > MAX_CLASSES) {
            return m
                    + "classes must be <= "
                    + MAX_CLASSES
                    + " (every prediction carries one score per class)";
        }
        if (s.getTask() == Task.BINARY && s.getClasses() != 2) {
            return m + "a BINARY model has 2 classes";
        }
        if (s.getDenseSize() < 0 || s.getHashBits() < 1 || s.getHashBits() > 24) {
            return m + "denseSize >= 0 and hashBits in 1..24";
        }
        if (!(s.getLearningRate() >= 0) || Float.isInfinite(s.getLearningRate()) || s.getL2() < 0) {
            return m + "learningRate >= 0 (0: the optimizer's default) and l2 >= 0";
        }
        String deep = deepProblem(s);
        if (deep != null) {
            return m + deep;
        }
        String recommender = recommenderProblem(s);
        if (recommender != null) {
            return m + recommender;
        }
        if (s.getMaxBatch() < 1 || s.getMaxDelayMs() < 0 || s.getMetricsWindow() < 1) {
            return m + "maxBatch >= 1, maxDelayMs >= 0, metricsWindow >= 1";
        }
        if (s.getLearnBatch() < 0 || s.getLearnBatch() > MAX_LEARN_BATCH) {
            return m + "learnBatch in 0.." + MAX_LEARN_BATCH + " (0: maxBatch)";
        }
        if (s.getLabelWaitMs() < 0 || s.getPromotionWindows() < 1 || s.getPromotionMargin() < 0) {
            return m + "labelWaitMs >= 0, promotionWindows >= 1, promotionMargin >= 0";
        }
        if (!PROMOTION_METRICS.contains(s.getPromotionMetric())) {
            return m + "promotionMetric is one of " + PROMOTION_METRICS;
        }
        String window = PrequentialEvaluator.problem(s);
        if (window != null) {
            return window;
        }
        String drift = DriftDetectors.problem(s);
        if (drift != null) {
            return drift;
        }
        String search = SearchSpace.problem(s);
        if (search != null) {
            return m + search;
        }
        for (ModelSpec c : s.getChallengers()) {
            if (c.getTask() != s.getTask() || c.getClasses() != s.getClasses()) {
                return m + "challenger '" + c.getModel() + "' must have the same task and classes";
            }
            if (!Objects.equals(c.getItemFeature(), s.getItemFeature())
                    || !c.getUserFeature().equals(s.getUserFeature())) {
                return m
                        + "challenger '"
                        + c.getModel()
                        + "' must name the same itemFeature and userFeature (they share the"
                        + " catalog)";
            }
            if (c.getRecentItems() != s.getRecentItems()
                    || c.getItemActivity() != s.getItemActivity()
                    || c.getCooccurrenceBits() != s.getCooccurrenceBits()) {
                return m
                        + "challenger '"
                        + c.getModel()
                        + "' must have the same recentItems, itemActivity and cooccurrenceBits (an"
                        + " event carries them once, for every learner)";
            }
            if (!c.getChallengers().isEmpty()) {
                return m + "challenger '" + c.getModel() + "' cannot have challengers";
            }
            String inner = problem(c);
            if (inner != null) {
                return inner;
            }
        }
        return null;
    }

    private static String deepProblem(ModelSpec s) {
        if (!(s.getDenseScale() > 0) || Float.isInfinite(s.getDenseScale())) {
            return "denseScale must be positive";
        }
        if (s.getL1() < 0 || s.getClipNorm() < 0 || s.getMaxWeightNorm() < 0) {
            return "l1, clipNorm and maxWeightNorm must be >= 0";
        }
        if (!(s.getMomentum() >= 0 && s.getMomentum() < 1)
                || !(s.getRho() >= 0 && s.getRho() < 1)) {
            return "momentum and rho must lie in [0, 1)";
        }
        if (!(s.getBeta1() >= 0 && s.getBeta1() < 1) || !(s.getBeta2() >= 0 && s.getBeta2() < 1)) {
            return "beta1 and beta2 must lie in [0, 1)";
        }
        if (!(s.getEpsilon() > 0) || s.getFtrlBeta() < 0 || !(s.getHuberDelta() > 0)) {
            return "epsilon > 0, ftrlBeta >= 0 and huberDelta > 0";
        }
        if (s.getScheduleSteps() < 1 || s.getSchedulePower() < 0 || !(s.getScheduleFactor() > 0)) {
            return "scheduleSteps >= 1, schedulePower >= 0 and scheduleFactor > 0";
        }
        boolean regression = s.getTask() == Task.REGRESSION;
        Loss loss = s.getLoss();
        if (loss != Loss.AUTO && regression != (loss == Loss.SQUARED || loss == Loss.HUBER)) {
            return "loss " + loss + " does not fit a " + s.getTask() + " model";
        }
        for (int l = 0; l < s.getHidden().size(); l++) {
            Layer layer = s.getHidden().get(l);
            if (layer.getUnits() < 1 || !(layer.getDropout() >= 0 && layer.getDropout() < 1)) {
                return "hidden layer " + (l + 1) + " needs units >= 1 and dropout in [0, 1)";
            }
        }
        Set<String> embedded = new HashSet<>();
        for (Embedding e : s.getEmbeddings()) {
            if (e.getDim() < 1 || !embedded.add(e.getFeature())) {
                return "embedding of '" + e.getFeature() + "' needs dim >= 1 and one entry";
            }
            if (s.getSharedEmbeddings() && e.getDim() != s.getEmbeddings().get(0).getDim()) {
                return "shared embeddings need equal dims";
            }
        }
        if (!s.getEmbeddings().isEmpty()
                && (s.getEmbeddingBits() < 1 || s.getEmbeddingBits() > 24)) {
            return "embeddingBits in 1..24";
        }
        for (String interaction : s.getInteractions()) {
            try {
                FeatureEncoder.interactionPair(interaction);
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
        }
        if (s.getTextNgrams() < 0 || s.getTextNgrams() > 2) {
            return "textNgrams is 0, 1 or 2";
        }
        return null;
    }

    /** The most items a recommender's catalog may keep. */
    public static final int MAX_CATALOG = 10_000_000;

    /** The most item references the user histories may keep: historyUsers x userHistory. */
    public static final long MAX_HISTORY = 20_000_000L;

    /** The most candidates an event's item may be ranked against, and negatives it may draw. */
    public static final int MAX_CANDIDATES = 10_000;

    private static String recommenderProblem(ModelSpec s) {
        if (s.getFactors() < 0 || s.getFactors() > 1024) {
            return "factors in 0..1024";
        }
        if (s.getFactors() > 0 && s.getTask() == Task.MULTICLASS) {
            return "factors need a BINARY or REGRESSION model";
        }
        if (s.getFactors() > 0 && (s.getFactorBits() < 1 || s.getFactorBits() > 24)) {
            return "factorBits in 1..24";
        }
        if (s.getExplainEvery() < 0 || s.getExplainTop() < 1 || s.getExplainTop() > 1000) {
            return "explainEvery >= 0 and explainTop in 1..1000";
        }
        String item = s.getItemFeature();
        if (item == null) {
            if (s.getNegativeSamples() != 0) {
                return "negativeSamples need a recommender: name its itemFeature";
            }
            if (s.getRecentItems() != 0 || s.getItemActivity() || s.getCooccurrenceBits() != 0) {
                return "recentItems, itemActivity and cooccurrenceBits need a recommender: name its"
                        + " itemFeature";
            }
            if (s.getPairwise()) {
                return "pairwise needs a recommender with negativeSamples: name its itemFeature";
            }
            return null;
        }
        if (item.isBlank() || s.getUserFeature().isBlank() || item.equals(s.getUserFeature())) {
            return "itemFeature and userFeature must be two named categoricals";
        }
        if (s.getItemFeatures().contains(item)
                || s.getItemFeatures().contains(s.getUserFeature())) {
            return "itemFeatures are the item's side features, not the item or the user";
        }
        if (s.getNegativeSamples() < 0 || s.getNegativeSamples() > MAX_CANDIDATES) {
            return "negativeSamples in 0.." + MAX_CANDIDATES;
        }
        if (s.getNegativeSamples() > 0 && s.getTask() != Task.BINARY) {
            return "negativeSamples are for implicit feedback: a BINARY model";
        }
        if (s.getRankingCandidates() < 0 || s.getRankingCandidates() > MAX_CANDIDATES) {
            return "rankingCandidates in 0.." + MAX_CANDIDATES;
        }
        if (s.getRankingK() < 1) {
            return "rankingK >= 1";
        }
        if (s.getCatalogSize() < 1 || s.getCatalogSize() > MAX_CATALOG) {
            return "catalogSize in 1.." + MAX_CATALOG;
        }
        if (s.getCooccurrenceBits() != 0
                && (s.getCooccurrenceBits() < 1
                        || s.getCooccurrenceBits() > InteractionMemory.MAX_COOCCURRENCE_BITS)) {
            return "cooccurrenceBits in 1.."
                    + InteractionMemory.MAX_COOCCURRENCE_BITS
                    + " (a table of 2^bits counters), or 0 for none";
        }
        if (s.getCooccurrenceBits() > 0 && s.getRecentItems() < 1) {
            return "cooccurrenceBits need recentItems >= 1: an item is paired with its user's last"
                    + " recentItems items";
        }
        if (s.getPairwise() && s.getNegativeSamples() < 1) {
            return "pairwise learns each interaction against its sampled negatives: it needs"
                    + " negativeSamples >= 1 (a BINARY model)";
        }
        if (s.getPairwise() && s.getLearnBatch() > 0) {
            return "pairwise learns one interaction and its negatives per step: leave learnBatch"
                    + " at 0";
        }
        if (s.getRecentItems() < 0 || s.getRecentItems() > s.getUserHistory()) {
            return "recentItems in 0..userHistory ("
                    + s.getUserHistory()
                    + "): the recent items come from the user's history";
        }
        if (s.getHistoryUsers() < 1
                || s.getUserHistory() < 0
                || (long) s.getHistoryUsers() * s.getUserHistory() > MAX_HISTORY) {
            return "historyUsers >= 1, userHistory >= 0 and historyUsers x userHistory <= "
                    + MAX_HISTORY;
        }
        return null;
    }

    /** Returns null when {@code next} can keep the weights learned under {@code current}. */
    public static String incompatibility(ModelSpec current, ModelSpec next) {
        if (current.getTask() != next.getTask()) {
            return "task " + current.getTask() + " -> " + next.getTask();
        }
        if (current.getClasses() != next.getClasses()) {
            return "classes " + current.getClasses() + " -> " + next.getClasses();
        }
        if (current.getDenseSize() != next.getDenseSize()) {
            return "denseSize " + current.getDenseSize() + " -> " + next.getDenseSize();
        }
        if (!Objects.equals(current.getNumericFeatures(), next.getNumericFeatures())) {
            return "numericFeatures "
                    + current.getNumericFeatures()
                    + " -> "
                    + next.getNumericFeatures();
        }
        if (current.getHashBits() != next.getHashBits()) {
            return "hashBits " + current.getHashBits() + " -> " + next.getHashBits();
        }
        if (current.getDenseScale() != next.getDenseScale()) {
            return "denseScale " + current.getDenseScale() + " -> " + next.getDenseScale();
        }
        if (current.getDenseSize() > 0
                && FeatureEncoder.scalesDense(current) != FeatureEncoder.scalesDense(next)) {
            return "scaleDense "
                    + FeatureEncoder.scalesDense(current)
                    + " -> "
                    + FeatureEncoder.scalesDense(next)
                    + " (the dense inputs would be scaled otherwise than the weights learned;"
                    + " unset, scaleDense is on for NORMALIZED_ADAGRAD only: set it, or the"
                    + " optimizer, as before)";
        }
        if (current.getTask() == Task.REGRESSION
                && current.getScaleTarget() != next.getScaleTarget()) {
            return "scaleTarget " + current.getScaleTarget() + " -> " + next.getScaleTarget();
        }
        if (current.getWide() != next.getWide()) {
            return "wide " + current.getWide() + " -> " + next.getWide();
        }
        if (!Objects.equals(current.getInteractions(), next.getInteractions())) {
            return "interactions " + current.getInteractions() + " -> " + next.getInteractions();
        }
        if (current.getTextNgrams() != next.getTextNgrams()) {
            return "textNgrams " + current.getTextNgrams() + " -> " + next.getTextNgrams();
        }
        if (!layers(current).equals(layers(next))) {
            return "hidden " + layers(current) + " -> " + layers(next);
        }
        if (!Objects.equals(current.getMultiValued(), next.getMultiValued())) {
            return "multiValued " + current.getMultiValued() + " -> " + next.getMultiValued();
        }
        if (current.getFactors() != next.getFactors()
                || (next.getFactors() > 0
                        && (current.getFactorBits() != next.getFactorBits()
                                || !Objects.equals(
                                        current.getFactorFeatures(), next.getFactorFeatures())))) {
            return "factors "
                    + current.getFactors()
                    + " -> "
                    + next.getFactors()
                    + " (factorBits, factorFeatures)";
        }
        if (!Objects.equals(current.getItemFeature(), next.getItemFeature())
                || !current.getUserFeature().equals(next.getUserFeature())) {
            return "itemFeature and userFeature "
                    + current.getItemFeature()
                    + "/"
                    + current.getUserFeature()
                    + " -> "
                    + next.getItemFeature()
                    + "/"
                    + next.getUserFeature();
        }
        if (!embeddings(current).equals(embeddings(next))
                || current.getEmbeddingBits() != next.getEmbeddingBits()
                || current.getSharedEmbeddings() != next.getSharedEmbeddings()) {
            return "embeddings "
                    + embeddings(current)
                    + " -> "
                    + embeddings(next)
                    + " (embeddingBits, sharedEmbeddings)";
        }
        return null;
    }

    // units and activation per layer: what the weights mean (dropout does not change it)
    private static List<String> layers(ModelSpec s) {
        List<String> out = new ArrayList<>();
        for (Layer l : s.getHidden()) {
            out.add(l.getUnits() + " " + l.getActivation());
        }
        return out;
    }

    private static List<String> embeddings(ModelSpec s) {
        List<String> out = new ArrayList<>();
        for (Embedding e : s.getEmbeddings()) {
            out.add(e.getFeature() + ":" + e.getDim());
        }
        return out;
    }

    /** The metric that decides promotions, resolved for the task. */
    public static String promotionMetric(ModelSpec s) {
        if (!"auto".equals(s.getPromotionMetric())) {
            return s.getPromotionMetric();
        }
        return s.getTask() == Task.REGRESSION ? "rmse" : "logLoss";
    }

    /** Whether a larger value of the metric is better. */
    public static boolean higherIsBetter(String metric) {
        return metric.equals("accuracy") || metric.equals("auc");
    }
}
