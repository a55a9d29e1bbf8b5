package perpetua.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import perpetua.schemas.Task;

/** The whole-replay summary against values computed by hand. */
class ReplayMetricsTest {
    private static final double TOL = 1e-6;

    private static Served binary(int row, float p, long version, long readAt, long predictedAt) {
        Served s = new Served();
        s.model = "m";
        s.row = row;
        s.scores = new float[] {1f - p, p};
        s.predicted = p >= 0.5f ? 1f : 0f;
        s.version = version;
        s.readAt = readAt;
        s.predictedAt = predictedAt;
        return s;
    }

    private static Served value(int row, float predicted) {
        Served s = new Served();
        s.model = "r";
        s.row = row;
        s.scores = new float[0];
        s.predicted = predicted;
        return s;
    }

    @Test
    void binarySummaryIsOverEveryLabelledPredictionWithAnExactAuc() {
        ReplayMetrics score = new ReplayMetrics("m", Task.BINARY, 2, 4, 0);
        // Served in an order that no window sorted: labels 1, 0, 1, 0 and one unlabelled row.
        score.add(binary(0, 0.9f, 0, 1_000, 1_010), 1f);
        score.add(binary(1, 0.6f, 0, 1_001, 1_010), 0f);
        score.add(binary(2, 0.7f, 1, 1_002, 1_500), Float.NaN);
        score.add(binary(3, 0.4f, 1, 1_003, 1_500), 1f);
        score.add(binary(4, 0.2f, 2, 1_004, 3_000), 0f);

        Summary s = score.summary(2, 9.5);

        assertThat(s.events()).isEqualTo(5);
        assertThat(s.labelled()).isEqualTo(4);
        // Predictions 1, 1, 0, 0 against labels 1, 0, 1, 0.
        assertThat(s.accuracy()).isEqualTo(0.5, within(TOL));
        // Positives 0.9 and 0.4 against negatives 0.6 and 0.2: 0.9 wins twice, 0.4 once.
        assertThat(s.auc()).isEqualTo(0.75, within(TOL));
        double logLoss = -(Math.log(0.9) + Math.log(0.4) + Math.log(0.4) + Math.log(0.8)) / 4;
        assertThat(s.logLoss()).isEqualTo(logLoss, within(TOL));
        assertThat(s.rmse()).isNull();
        // One true positive, one false positive, one false negative.
        assertThat(s.metric("precision")).isEqualTo(0.5, within(TOL));
        assertThat(s.metric("recall")).isEqualTo(0.5, within(TOL));
        assertThat(s.metric("f1")).isEqualTo(0.5, within(TOL));
        assertThat(s.metric("aucErrorBound")).isZero();
        // From the first event read (1,000 ms) to the last prediction (3,000 ms).
        assertThat(s.seconds()).isEqualTo(2.0, within(TOL));
        assertThat(s.eventsPerSecond()).isEqualTo(2.5, within(TOL));
        assertThat(s.version()).isEqualTo(2);
        assertThat(s.deadLetters()).isEqualTo(2);
        assertThat(s.line())
                .startsWith("summary model=m events=5 labelled=4 accuracy=0.5000 auc=0.7500")
                .contains(" eventsPerSecond=3 seconds=2.00 version=2 deadLetters=2");
    }

    @Test
    void regressionSummaryHasMaeAndRmse() {
        ReplayMetrics score = new ReplayMetrics("r", Task.REGRESSION, 0, 3, 0);
        score.add(value(0, 1f), 2f);
        score.add(value(1, 5f), 2f);
        score.add(value(2, 0f), 0f);

        Summary s = score.summary(0, 1);

        assertThat(s.mae()).isEqualTo(4.0 / 3, within(TOL));
        assertThat(s.rmse()).isEqualTo(Math.sqrt(10.0 / 3), within(TOL));
        // Labels 2, 2, 0 vary by 24/9 around their mean; the errors square to 10.
        assertThat(s.metric("r2")).isEqualTo(1 - 10 / (24.0 / 9), within(TOL));
        assertThat(s.accuracy()).isNull();
        assertThat(s.line()).contains(" mae=1.3333 rmse=1.8257 ");
    }

    @Test
    void moreLabelledPredictionsThanLabelledRowsIsAnError() {
        ReplayMetrics score = new ReplayMetrics("m", Task.BINARY, 2, 1, 0);
        score.add(binary(0, 0.9f, 0, 0, 0), 1f);
        assertThatThrownBy(() -> score.add(binary(0, 0.9f, 0, 0, 0), 1f))
                .hasMessageContaining("more labelled predictions than labelled rows");
    }
}
