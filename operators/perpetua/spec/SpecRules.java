package perpetua.spec;

import java.util.List;
import java.util.Objects;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * What makes a model spec usable, and which changes a learned model can take.
 *
 * <p>A spec is refused when no model can be built from it. An update keeps the learned weights only
 * when the architecture and the input encoding stay the same: task, classes, dense size, numeric
 * features and hash bits. Everything else (learning rate, optimizer, regularization, batching,
 * snapshots, metrics window, label wait, challengers) applies to the live model.
 */
public final class SpecRules {
    public static final List<String> PROMOTION_METRICS =
            List.of("auto", "logLoss", "accuracy", "auc", "rmse", "mae");

    private SpecRules() {}

    /** Returns null when the spec is usable, otherwise why not. */
    public static String problem(ModelSpec s) {
        String m = "model '" + s.getModel() + "': ";
        if (s.getModel() == null || s.getModel().isBlank()) {
            return "a model needs a name";
        }
        if (s.getTask() == Task.MULTICLASS && s.getClasses() < 2) {
            return m + "classes must be >= 2";
        }
        if (s.getTask() == Task.BINARY && s.getClasses() != 2) {
            return m + "a BINARY model has 2 classes";
        }
        if (s.getDenseSize() < 0 || s.getHashBits() < 1 || s.getHashBits() > 24) {
            return m + "denseSize >= 0 and hashBits in 1..24";
        }
        if (!(s.getLearningRate() > 0) || s.getL2() < 0) {
            return m + "learningRate > 0 and l2 >= 0";
        }
        if (s.getMaxBatch() < 1 || s.getMaxDelayMs() < 0 || s.getMetricsWindow() < 1) {
            return m + "maxBatch >= 1, maxDelayMs >= 0, metricsWindow >= 1";
        }
        if (s.getLabelWaitMs() < 0 || s.getPromotionWindows() < 1 || s.getPromotionMargin() < 0) {
            return m + "labelWaitMs >= 0, promotionWindows >= 1, promotionMargin >= 0";
        }
        if (!PROMOTION_METRICS.contains(s.getPromotionMetric())) {
            return m + "promotionMetric is one of " + PROMOTION_METRICS;
        }
        for (ModelSpec c : s.getChallengers()) {
            if (c.getTask() != s.getTask() || c.getClasses() != s.getClasses()) {
                return m + "challenger '" + c.getModel() + "' must have the same task and classes";
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
        return null;
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
