package perpetua.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Metrics;
import perpetua.schemas.Task;

/** Prequential metrics against values computed by hand on small fixed windows. */
class PrequentialEvaluatorTest {

    private static final double TOL = 1e-6;

    /** Scores one binary event whose served P(1) is p; the prediction is the 0.5 threshold. */
    private static void binary(PrequentialEvaluator eval, float p, float label, float weight) {
        float[] scores = {1f - p, p};
        eval.add(scores, 0, p >= 0.5f ? 1f : 0f, label, weight);
    }

    private static PrequentialEvaluator binaryWindow(float[] p, float[] labels) {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, p.length);
        for (int i = 0; i < p.length; i++) {
            eval.countPrediction(1L, 0L);
            binary(eval, p[i], labels[i], 1f);
        }
        return eval;
    }

    @Test
    void binaryAccuracyLogLossAndAuc() {
        // Predictions at 0.5: 1, 0, 0, 0 against labels 1, 0, 1, 0 -> three of four right.
        PrequentialEvaluator eval =
                binaryWindow(new float[] {0.8f, 0.4f, 0.35f, 0.1f}, new float[] {1, 0, 1, 0});
        assertThat(eval.windowFull()).isTrue();
        Metrics m = eval.emit("m", 1L, 1000L);

        assertThat(m.getAccuracy()).isEqualTo(0.75, within(TOL));
        // -(ln 0.8 + ln 0.6 + ln 0.35 + ln 0.9) / 4
        double logLoss = (0.2231435513 + 0.5108256238 + 1.0498221245 + 0.1053605157) / 4;
        assertThat(m.getLogLoss()).isEqualTo(logLoss, within(TOL));
        // Positive 0.8 beats both negatives, positive 0.35 beats only 0.1: 3 of 4 pairs.
        assertThat(m.getAuc()).isEqualTo(0.75, within(TOL));
        assertThat(m.getMae()).isNull();
        assertThat(m.getRmse()).isNull();
        assertThat(m.getTask()).isEqualTo(Task.BINARY);
    }

    @Test
    void aucOfTheBriefsExampleInAnyOrder() {
        // Scores {0.1, 0.4, 0.35, 0.8}, labels {0, 0, 1, 1}: mid-ranks of positives 2 + 4 = 6.
        PrequentialEvaluator eval =
                binaryWindow(new float[] {0.1f, 0.4f, 0.35f, 0.8f}, new float[] {0, 0, 1, 1});
        assertThat(eval.emit("m", 1L, 1L).getAuc()).isEqualTo(0.75, within(TOL));
    }

    @Test
    void aucCountsATieAcrossClassesAsOneHalf() {
        // Pairs: (0.5+, 0.5-) tie = 0.5, (0.5+, 0.2-) = 1, (0.9+, either) = 2 -> 3.5 / 4.
        PrequentialEvaluator eval =
                binaryWindow(new float[] {0.5f, 0.5f, 0.2f, 0.9f}, new float[] {1, 0, 0, 1});
        assertThat(eval.emit("m", 1L, 1L).getAuc()).isEqualTo(0.875, within(TOL));
    }

    @Test
    void aucOfAllTiedScoresIsOneHalf() {
        PrequentialEvaluator eval =
                binaryWindow(new float[] {0.3f, 0.3f, 0.3f}, new float[] {1, 0, 1});
        assertThat(eval.emit("m", 1L, 1L).getAuc()).isEqualTo(0.5, within(TOL));
    }

    @Test
    void aucIsNullForASingleClassWindow() {
        PrequentialEvaluator eval =
                binaryWindow(new float[] {0.3f, 0.7f, 0.9f}, new float[] {1, 1, 1});
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getAuc()).isNull();
        assertThat(m.getAccuracy()).isEqualTo(2.0 / 3.0, within(TOL));
        assertThat(eval.summary()).doesNotContainKey("auc").containsKey("accuracy");
    }

    @Test
    void logLossClampsCertainMisses() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, 1);
        eval.countPrediction(1L, 0L);
        binary(eval, 0f, 1f, 1f);
        // -ln(1e-7)
        assertThat(eval.emit("m", 1L, 1L).getLogLoss()).isEqualTo(16.1180956510, within(TOL));
    }

    @Test
    void logLossOfASoftLabelIsItsCrossEntropy() {
        // Label 0.25 at p 0.8: -(0.25 ln 0.8 + 0.75 ln 0.2); beside it a hard 0 at p 0.4: -ln 0.6.
        PrequentialEvaluator eval = binaryWindow(new float[] {0.8f, 0.4f}, new float[] {0.25f, 0});
        double soft = -(0.25 * Math.log(0.8f) + 0.75 * Math.log(1 - (double) 0.8f));
        assertThat(eval.emit("m", 1L, 1L).getLogLoss())
                .isEqualTo((soft + 0.5108256238) / 2, within(TOL));
    }

    @Test
    void binaryUsesExampleWeights() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, 2);
        eval.countPrediction(1L, 0L);
        eval.countPrediction(1L, 0L);
        binary(eval, 0.9f, 1f, 3f); // right, loss -ln 0.9, weight 3
        binary(eval, 0.8f, 0f, 1f); // wrong, loss -ln 0.2, weight 1
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getAccuracy()).isEqualTo(0.75, within(TOL));
        assertThat(m.getLogLoss()).isEqualTo((3 * 0.1053605157 + 1.6094379124) / 4, within(TOL));
        // AUC ignores weights: the single pair is ordered right.
        assertThat(m.getAuc()).isEqualTo(1.0, within(TOL));
    }

    @Test
    void multiclassAccuracyAndLogLossReadScoresAtTheOffset() {
        // Two events of three classes packed in one batch array, as a scorer would serve them.
        float[] batch = {0.7f, 0.2f, 0.1f, 0.1f, 0.3f, 0.6f};
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.MULTICLASS, 2);
        eval.countPrediction(1L, 0L);
        eval.countPrediction(1L, 0L);
        eval.add(batch, 0, 0f, 0f, 1f); // right, -ln 0.7
        eval.add(batch, 3, 2f, 1f, 1f); // wrong, -ln 0.3
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getAccuracy()).isEqualTo(0.5, within(TOL));
        assertThat(m.getLogLoss()).isEqualTo((0.3566749439 + 1.2039728043) / 2, within(TOL));
        assertThat(m.getAuc()).isNull();
        assertThat(m.getMae()).isNull();
    }

    @Test
    void regressionMaeAndRmse() {
        float[] predicted = {2.5f, 0f, 2f, 8f};
        float[] labels = {3f, -0.5f, 2f, 7f};
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.REGRESSION, 4);
        for (int i = 0; i < 4; i++) {
            eval.countPrediction(1L, 0L);
            eval.add(new float[] {predicted[i]}, 0, predicted[i], labels[i], 1f);
        }
        Metrics m = eval.emit("m", 1L, 1L);
        // Errors -0.5, 0.5, 0, 1: MAE 2/4, MSE (0.25 + 0.25 + 0 + 1) / 4.
        assertThat(m.getMae()).isEqualTo(0.5, within(TOL));
        assertThat(m.getRmse()).isEqualTo(Math.sqrt(0.375), within(TOL));
        assertThat(m.getAccuracy()).isNull();
        assertThat(m.getLogLoss()).isNull();
        assertThat(m.getAuc()).isNull();
    }

    @Test
    void regressionUsesExampleWeights() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.REGRESSION, 2);
        eval.add(new float[0], 0, 1f, 0f, 3f); // error 1, weight 3
        eval.add(new float[0], 0, 3f, 0f, 1f); // error 3, weight 1
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getMae()).isEqualTo((3.0 + 3.0) / 4, within(TOL));
        assertThat(m.getRmse()).isEqualTo(Math.sqrt((3.0 + 9.0) / 4), within(TOL));
    }

    @Test
    void windowTumblesAndResets() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, 2);
        // Window 1: three predictions (one never labelled), two labels.
        eval.countPrediction(5L, 1000L);
        eval.countPrediction(6L, 1500L);
        eval.countPrediction(7L, 2000L);
        binary(eval, 0.9f, 1f, 1f);
        assertThat(eval.windowFull()).isFalse();
        binary(eval, 0.2f, 0f, 1f);
        assertThat(eval.windowFull()).isTrue();
        assertThatThrownBy(() -> binary(eval, 0.2f, 0f, 1f))
                .isInstanceOf(IllegalStateException.class);

        Metrics first = eval.emit("m", 9L, 3000L);
        assertThat(first.getModel()).isEqualTo("m");
        assertThat(first.getVersionFrom()).isEqualTo(5L);
        assertThat(first.getVersionTo()).isEqualTo(9L);
        assertThat(first.getWindowStart()).isEqualTo(1000L);
        assertThat(first.getWindowEnd()).isEqualTo(3000L);
        assertThat(first.getEvents()).isEqualTo(3L);
        assertThat(first.getLabelled()).isEqualTo(2L);
        assertThat(first.getEventsPerSecond()).isEqualTo(1.5, within(TOL)); // 3 in 2 s
        assertThat(first.getAccuracy()).isEqualTo(1.0, within(TOL));
        assertThat(first.getAuc()).isEqualTo(1.0, within(TOL));
        assertThat(eval.windowFull()).isFalse();

        // Window 2 knows nothing of window 1: both wrong, ordered wrong.
        eval.countPrediction(10L, 4000L);
        eval.countPrediction(11L, 8000L);
        binary(eval, 0.3f, 1f, 1f);
        binary(eval, 0.6f, 0f, 1f);
        Metrics second = eval.emit("m", 12L, 8000L);
        assertThat(second.getVersionFrom()).isEqualTo(10L);
        assertThat(second.getVersionTo()).isEqualTo(12L);
        assertThat(second.getWindowStart()).isEqualTo(4000L);
        assertThat(second.getEvents()).isEqualTo(2L);
        assertThat(second.getLabelled()).isEqualTo(2L);
        assertThat(second.getEventsPerSecond()).isEqualTo(0.5, within(TOL));
        assertThat(second.getAccuracy()).isEqualTo(0.0, within(TOL));
        assertThat(second.getAuc()).isEqualTo(0.0, within(TOL));
    }

    @Test
    void aWindowWithoutPredictionsOrLabelsHasNoMetrics() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.REGRESSION, 10);
        Metrics m = eval.emit("m", 4L, 5000L);
        assertThat(m.getVersionFrom()).isEqualTo(4L);
        assertThat(m.getWindowStart()).isEqualTo(5000L);
        assertThat(m.getEvents()).isZero();
        assertThat(m.getEventsPerSecond()).isZero(); // zero duration: guarded, no NaN
        assertThat(m.getMae()).isNull();
        assertThat(m.getRmse()).isNull();
    }

    @Test
    void summaryHoldsTheLastEmittedWindow() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, 2);
        assertThat(eval.summary()).isEmpty();
        eval.countPrediction(1L, 0L);
        eval.countPrediction(1L, 1000L);
        binary(eval, 0.9f, 1f, 1f);
        binary(eval, 0.6f, 0f, 1f);
        eval.emit("m", 1L, 1000L);
        // The next window's scoring does not leak into the summary before it is emitted.
        eval.countPrediction(2L, 2000L);
        binary(eval, 0.1f, 1f, 1f);

        Map<String, Double> summary = eval.summary();
        assertThat(summary)
                .containsOnlyKeys(
                        "events",
                        "labelled",
                        "eventsPerSecond",
                        "accuracy",
                        "auc",
                        "logLoss",
                        "precision",
                        "recall",
                        "f1");
        assertThat(summary.get("events")).isEqualTo(2.0);
        assertThat(summary.get("labelled")).isEqualTo(2.0);
        assertThat(summary.get("eventsPerSecond")).isEqualTo(2.0, within(TOL));
        assertThat(summary.get("accuracy")).isEqualTo(0.5, within(TOL));
        assertThat(summary.get("auc")).isEqualTo(1.0, within(TOL));
    }

    @Test
    void isAFlinkPojoThatSurvivesSerialization() throws Exception {
        TypeInformation<PrequentialEvaluator> info = TypeInformation.of(PrequentialEvaluator.class);
        assertThat(info).isInstanceOf(PojoTypeInfo.class);

        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, 3);
        eval.countPrediction(7L, 100L);
        binary(eval, 0.8f, 1f, 1f);
        binary(eval, 0.3f, 0f, 1f);

        TypeSerializer<PrequentialEvaluator> serializer =
                info.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(eval, out);
        PrequentialEvaluator copy =
                serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        binary(copy, 0.5f, 1f, 1f);
        Metrics m = copy.emit("m", 8L, 1100L);
        assertThat(m.getVersionFrom()).isEqualTo(7L);
        assertThat(m.getLabelled()).isEqualTo(3L);
        // Pairs (0.8+, 0.3-) and (0.5+, 0.3-) both right.
        assertThat(m.getAuc()).isEqualTo(1.0, within(TOL));
    }

    @Test
    void rejectsABadWindowSize() {
        assertThatThrownBy(() -> new PrequentialEvaluator(Task.BINARY, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
