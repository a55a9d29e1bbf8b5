package perpetua.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import org.junit.jupiter.api.Test;
import perpetua.schemas.Metrics;
import perpetua.schemas.Task;

class WindowReportTest {

    private static PrequentialEvaluator regressionWindow() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.REGRESSION, 10);
        eval.countPrediction(7L, 1_000L);
        eval.countPrediction(7L, 1_500L);
        eval.add(new float[0], 0, 3f, 1f, 1f);
        eval.add(new float[0], 0, 2f, 4f, 1f);
        return eval;
    }

    @Test
    void theRecordStatesTheWindowsVersionsCountsRateAndFigures() {
        PrequentialEvaluator eval = regressionWindow();

        Metrics m = WindowReport.record(eval, "m", 9L, 1_000L, 1_500L);

        assertThat(m.getModel()).isEqualTo("m");
        assertThat(m.getVersionFrom()).isEqualTo(7L);
        assertThat(m.getVersionTo()).isEqualTo(9L);
        assertThat(m.getWindowStart()).isEqualTo(1_000L);
        assertThat(m.getWindowEnd()).isEqualTo(1_500L);
        assertThat(m.getEvents()).isEqualTo(2L);
        assertThat(m.getLabelled()).isEqualTo(2);
        assertThat(m.getEventsPerSecond()).isEqualTo(4.0);
        assertThat(m.getWindow()).isEqualTo("count:10");
        assertThat(m.getMae()).isEqualTo(2.0);
        assertThat(m.getAccuracy()).isNull();
    }

    @Test
    void aWindowWithoutPredictionsNorDurationStartsAtTheLastVersionWithNoRate() {
        PrequentialEvaluator eval = new PrequentialEvaluator(Task.BINARY, 10);
        eval.add(new float[] {0.2f, 0.8f}, 0, 1f, 1f, 1f);

        Metrics m = WindowReport.record(eval, "m", 9L, 2_000L, 2_000L);

        assertThat(m.getVersionFrom()).isEqualTo(9L);
        assertThat(m.getEventsPerSecond()).isZero();
        assertThat(m.getAccuracy()).isEqualTo(1.0);
    }

    @Test
    void theSummaryHoldsTheRememberedFiguresThatAreDefined() {
        PrequentialEvaluator eval = regressionWindow();
        assertThat(WindowReport.summary(eval)).isEmpty();

        WindowReport.remember(eval, WindowReport.record(eval, "m", 9L, 1_000L, 1_500L));

        assertThat(eval.lastMae).isEqualTo(2.0);
        assertThat(eval.lastAccuracy).isNaN();
        assertThat(WindowReport.summary(eval))
                .containsExactly(
                        entry("events", 2.0),
                        entry("labelled", 2.0),
                        entry("eventsPerSecond", 4.0),
                        entry("mae", 2.0),
                        entry("rmse", 2.0),
                        entry("r2", 1 - 4 / 2.25));
    }
}
