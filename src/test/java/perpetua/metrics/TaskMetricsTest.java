package perpetua.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/** Precision, recall, F1, macro-F1, kappa and R² against values computed by hand. */
class TaskMetricsTest {

    private static final double TOL = 1e-9;

    private static void binary(PrequentialEvaluator eval, float p, float label, float weight) {
        eval.add(new float[] {1f - p, p}, 0, p >= 0.5f ? 1f : 0f, label, weight);
    }

    private static Metrics binaryWindow(float[] p, float[] labels) {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, p.length);
        for (int i = 0; i < p.length; i++) {
            binary(eval, p[i], labels[i], 1f);
        }
        return eval.emit("m", 1L, 1L);
    }

    private static Metrics multiclass(PrequentialEvaluator eval, int[] labels, int[] predicted) {
        float third = 1f / 3;
        for (int i = 0; i < labels.length; i++) {
            float[] scores = {third, third, third};
            eval.add(scores, 0, predicted[i], labels[i], 1f);
        }
        return eval.emit("m", 1L, 1L);
    }

    @Test
    void binaryPrecisionRecallAndF1() {
        // Predictions at 0.5: 1, 0, 0, 0 against labels 1, 0, 1, 0: TP 1, FP 0, FN 1, TN 2.
        Metrics m = binaryWindow(new float[] {0.8f, 0.4f, 0.35f, 0.1f}, new float[] {1, 0, 1, 0});
        assertThat(m.getPrecision()).isEqualTo(1.0, within(TOL));
        assertThat(m.getRecall()).isEqualTo(0.5, within(TOL));
        assertThat(m.getF1()).isEqualTo(2.0 / 3.0, within(TOL)); // 2TP / (2TP + FP + FN)
        assertThat(m.getMacroF1()).isNull();
        assertThat(m.getKappa()).isNull();
        assertThat(m.getWindow()).isEqualTo("count:4");
        assertThat(m.getAucErrorBound()).isEqualTo(0.0);
    }

    @Test
    void precisionIsNullWhenNothingIsPredictedPositive() {
        // TP 0, FP 0, FN 1: precision 0/0, recall 0/1, F1 0/1.
        Metrics m = binaryWindow(new float[] {0.2f, 0.3f, 0.1f}, new float[] {1, 0, 0});
        assertThat(m.getPrecision()).isNull();
        assertThat(m.getRecall()).isEqualTo(0.0);
        assertThat(m.getF1()).isEqualTo(0.0);
    }

    @Test
    void precisionRecallAndF1AreNullWithoutAnyPositive() {
        Metrics m = binaryWindow(new float[] {0.2f, 0.3f}, new float[] {0, 0});
        assertThat(m.getPrecision()).isNull();
        assertThat(m.getRecall()).isNull();
        assertThat(m.getF1()).isNull();
        assertThat(m.getAuc()).isNull();
        assertThat(m.getAucErrorBound()).isNull();
        assertThat(m.getAccuracy()).isEqualTo(1.0);
    }

    @Test
    void binaryCountsUseExampleWeights() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, 3);
        binary(eval, 0.9f, 1f, 3f); // TP, weight 3
        binary(eval, 0.8f, 0f, 1f); // FP, weight 1
        binary(eval, 0.3f, 1f, 2f); // FN, weight 2
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getPrecision()).isEqualTo(0.75, within(TOL));
        assertThat(m.getRecall()).isEqualTo(0.6, within(TOL));
        assertThat(m.getF1()).isEqualTo(6.0 / 9.0, within(TOL));
    }

    @Test
    void multiclassMacroF1AndKappa() {
        // Confusion (rows label, columns prediction): [1 1 0; 0 2 0; 1 0 1].
        // F1: class 0 2/4, class 1 4/5, class 2 2/3. p_o 4/6, p_e (2*2 + 2*3 + 2*1)/36 = 1/3.
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.MULTICLASS, 6);
        Metrics m = multiclass(eval, new int[] {0, 0, 1, 1, 2, 2}, new int[] {0, 1, 1, 1, 2, 0});
        assertThat(m.getAccuracy()).isEqualTo(4.0 / 6.0, within(1e-6));
        assertThat(m.getMacroF1()).isEqualTo((0.5 + 0.8 + 2.0 / 3.0) / 3, within(TOL));
        assertThat(m.getKappa()).isEqualTo(0.5, within(TOL));
        assertThat(m.getLogLoss()).isEqualTo(Math.log(3), within(1e-6));
        assertThat(m.getPrecision()).isNull();
    }

    @Test
    void macroF1AveragesTheClassesThatOccurAndKappaCanBeZero() {
        // Labels 0, 0; predictions 0, 1. Class 1 occurs only as a prediction: F1 0.
        // Class 0: 2TP / (row + column) = 2 / 3. Class 2 never occurs and does not count.
        // p_o = 1/2, p_e = (2 * 1 + 0 * 1) / 4 = 1/2: kappa 0.
        PrequentialEvaluator eval =
                new PrequentialEvaluator(Task.MULTICLASS, 2, MetricsWindowKind.COUNT, 0, 1, 3);
        Metrics m = multiclass(eval, new int[] {0, 0}, new int[] {0, 1});
        assertThat(m.getMacroF1()).isEqualTo(1.0 / 3.0, within(TOL));
        assertThat(m.getKappa()).isEqualTo(0.0, within(TOL));
    }

    @Test
    void kappaIsNullForASingleClassWindow() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.MULTICLASS, 3);
        Metrics m = multiclass(eval, new int[] {1, 1, 1}, new int[] {1, 1, 1});
        assertThat(m.getKappa()).isNull();
        assertThat(m.getMacroF1()).isEqualTo(1.0, within(TOL));
    }

    @Test
    void theConfusionMatrixGrowsWithTheClassesSeen() {
        // The old constructor does not know the class count: class 4 arrives later.
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.MULTICLASS, 3);
        float[] scores = {0.2f, 0.2f, 0.2f, 0.2f, 0.2f};
        eval.add(scores, 0, 0f, 0f, 1f);
        eval.add(scores, 0, 1f, 4f, 1f);
        eval.add(scores, 0, 4f, 4f, 1f);
        // [0,0]=1, [4,1]=1, [4,4]=1. F1: class 0 1, class 1 0, class 4 2/3.
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(eval.sums.classes).isEqualTo(5);
        assertThat(m.getMacroF1()).isEqualTo((1 + 0 + 2.0 / 3.0) / 3, within(TOL));
    }

    @Test
    void regressionR2() {
        // Labels 3, -0.5, 2, 7 (mean 2.875, SS_tot 29.1875); errors -0.5, 0.5, 0, 1 (SS_res 1.5).
        float[] predicted = {2.5f, 0f, 2f, 8f};
        float[] labels = {3f, -0.5f, 2f, 7f};
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.REGRESSION, 4);
        for (int i = 0; i < 4; i++) {
            eval.add(new float[0], 0, predicted[i], labels[i], 1f);
        }
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getR2()).isEqualTo(1 - 1.5 / 29.1875, within(TOL));
        assertThat(m.getMacroF1()).isNull();
    }

    @Test
    void r2IsWeightedAndMayBeNegative() {
        // Labels 0 (weight 3) and 4 (weight 1): weighted mean 1, SS_tot 3*1 + 1*9 = 12.
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.REGRESSION, 2);
        eval.add(new float[0], 0, 1f, 0f, 3f); // SS_res 3
        eval.add(new float[0], 0, 3f, 4f, 1f); // SS_res 1
        assertThat(eval.emit("m", 1L, 1L).getR2()).isEqualTo(1 - 4.0 / 12.0, within(TOL));

        PrequentialEvaluator worse = new PrequentialEvaluator(Task.REGRESSION, 2);
        worse.add(new float[0], 0, 5f, 0f, 1f);
        worse.add(new float[0], 0, -5f, 2f, 1f);
        // SS_tot 2, SS_res 25 + 49.
        assertThat(worse.emit("m", 1L, 1L).getR2()).isEqualTo(1 - 74.0 / 2.0, within(TOL));
    }

    @Test
    void r2IsNullWhenTheLabelsDoNotVary() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.REGRESSION, 3);
        for (int i = 0; i < 3; i++) {
            eval.add(new float[0], 0, 1.5f, 2f, 1f);
        }
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getR2()).isNull();
        assertThat(m.getMae()).isEqualTo(0.5, within(TOL));
    }

    @Test
    void summaryCarriesTheNewMetrics() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.MULTICLASS, 6);
        multiclass(eval, new int[] {0, 0, 1, 1, 2, 2}, new int[] {0, 1, 1, 1, 2, 0});
        assertThat(eval.summary()).containsKeys("macroF1", "kappa").doesNotContainKey("f1");
    }

    @Test
    void forSpecBuildsTheWindowTheSpecAsksFor() {
        ModelSpec spec = ModelSpec.newBuilder().setModel("m").setTask(Task.MULTICLASS).build();
        spec.setClasses(4);
        assertThat(spec.getMetricsWindowKind()).isEqualTo(MetricsWindowKind.COUNT);
        assertThat(spec.getMetricsWindowMs()).isEqualTo(60_000L);
        assertThat(spec.getFadingFactor()).isEqualTo(0.999);
        PrequentialEvaluator count = PrequentialEvaluator.forSpec(spec);
        assertThat(count.windowName()).isEqualTo("count:1000");
        assertThat(count.sums.classes).isEqualTo(4);
        assertThat(count.sameWindow(spec)).isTrue();

        spec.setMetricsWindowKind(MetricsWindowKind.FADING);
        assertThat(count.sameWindow(spec)).isFalse();
        assertThat(PrequentialEvaluator.forSpec(spec).windowName()).isEqualTo("fading:0.999");
        spec.setMetricsWindowKind(MetricsWindowKind.TIME);
        assertThat(PrequentialEvaluator.forSpec(spec).windowName()).isEqualTo("time:60000ms");

        spec.setMetricsWindowMs(0L);
        assertThat(PrequentialEvaluator.problem(spec)).contains("metricsWindowMs");
        spec.setMetricsWindowKind(MetricsWindowKind.FADING);
        spec.setFadingFactor(1.5);
        assertThat(PrequentialEvaluator.problem(spec)).contains("fadingFactor");
    }
}
