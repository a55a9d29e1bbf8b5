package perpetua.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static perpetua.drift.DetectorChecks.SEED;

import org.junit.jupiter.api.Test;

/** Page-Hinkley against its published behaviour and a hand-computed run. */
class PageHinkleyDetectorTest {

    private static PageHinkleyDetector ph() {
        return new PageHinkleyDetector(0.01, 50, 1.0, 30);
    }

    @Test
    void followsTheCumulativeDeviationByHand() {
        // delta 0.1, lambda 1, alpha 1, min 1. Values 0, 0, 2: means 0, 0, 2/3;
        // m = -0.1, -0.2, -0.2 + (2 - 2/3 - 0.1) = 1.0333; M = -0.2.
        PageHinkleyDetector ph = new PageHinkleyDetector(0.1, 1.0, 1.0, 1);
        assertThat(ph.update(0)).isEqualTo(DriftDetector.Signal.NONE);
        assertThat(ph.update(0)).isEqualTo(DriftDetector.Signal.NONE);
        assertThat(ph.cumulative).isEqualTo(-0.2, within(1e-12));
        // PH = m - M = 1.2333 > lambda.
        assertThat(ph.update(2)).isEqualTo(DriftDetector.Signal.DRIFT);
        assertThat(ph.statistics().get("ph")).isEqualTo(2 - 2.0 / 3 - 0.1, within(1e-9));
        assertThat(ph.statistics().get("mean")).isEqualTo(2.0 / 3, within(1e-9));
        assertThat(ph.n).as("starts over after a drift").isZero();
    }

    @Test
    void detectsAnAbruptRiseInTheErrorRateWithin200Examples() {
        double[] errors = ErrorStreams.bernoulli(SEED, 20_000, 0.1, 0.5, 10_000);
        long[] drifts = ErrorStreams.drifts(ph(), errors);
        assertThat(DetectorChecks.driftsBefore(drifts, 10_000)).isZero();
        // About lambda / (0.5 - 0.1 - delta) = 128; 30 seeds: mean 116, at most 143 (DriftBench).
        assertThat(DetectorChecks.delayOfFirstDriftAfter(drifts, 10_000)).isBetween(80L, 200L);
    }

    @Test
    void detectsASeaConceptChangeInALearnersErrors() {
        long[] drifts = ErrorStreams.drifts(ph(), ErrorStreams.sea(SEED, 100_000));
        assertThat(DetectorChecks.driftsBefore(drifts, 25_000)).isZero();
        assertThat(DetectorChecks.delayOfFirstDriftAfter(drifts, 50_000)).isBetween(0L, 3_500L);
    }

    @Test
    void raisesNoAlarmOnAStationaryStreamOf100000() {
        double[] errors = ErrorStreams.bernoulli(SEED, 100_000, 0.1, 0.1, 0);
        assertThat(ErrorStreams.drifts(ph(), errors)).isEmpty();
    }

    @Test
    void ignoresAFallInTheError() {
        double[] errors = ErrorStreams.bernoulli(SEED, 20_000, 0.5, 0.1, 10_000);
        assertThat(ErrorStreams.drifts(ph(), errors)).isEmpty();
    }

    @Test
    void stateSurvivesFlinkSerialization() throws Exception {
        DetectorChecks.survivesFlinkSerialization(
                PageHinkleyDetector.class,
                PageHinkleyDetectorTest::ph,
                ErrorStreams.bernoulli(SEED, 20_000, 0.1, 0.5, 15_000));
    }
}
