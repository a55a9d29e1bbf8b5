package perpetua.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static perpetua.drift.DetectorChecks.SEED;

import org.junit.jupiter.api.Test;

/** ADWIN against its published behaviour on streams with changes at known positions. */
class AdwinDetectorTest {

    private static AdwinDetector adwin() {
        return new AdwinDetector(0.002, 30);
    }

    @Test
    void detectsAnAbruptRiseInTheErrorRateWithin150Examples() {
        double[] errors = ErrorStreams.bernoulli(SEED, 20_000, 0.1, 0.5, 10_000);
        long[] drifts = ErrorStreams.drifts(adwin(), errors);
        assertThat(DetectorChecks.driftsBefore(drifts, 10_000)).isZero();
        // 30 seeds: mean delay 50, at most 79 (DriftBench).
        assertThat(DetectorChecks.delayOfFirstDriftAfter(drifts, 10_000)).isBetween(0L, 150L);
    }

    @Test
    void detectsASeaConceptChangeInALearnersErrors() {
        // SEA θ 8 -> 9 -> 7 -> 9.5 at 25,000, 50,000, 75,000 through an online logistic learner.
        long[] drifts = ErrorStreams.drifts(adwin(), ErrorStreams.sea(SEED, 100_000));
        assertThat(DetectorChecks.driftsBefore(drifts, 25_000)).isZero();
        assertThat(DetectorChecks.delayOfFirstDriftAfter(drifts, 50_000)).isBetween(0L, 2_000L);
    }

    @Test
    void raisesNoAlarmOnAStationaryStreamOf100000() {
        assertThat(ErrorStreams.drifts(adwin(), ErrorStreams.bernoulli(SEED, 100_000, 0.1, 0.1, 0)))
                .isEmpty();
        assertThat(ErrorStreams.drifts(adwin(), ErrorStreams.bernoulli(SEED, 100_000, 0.5, 0.5, 0)))
                .isEmpty();
    }

    @Test
    void aFallInTheErrorShrinksTheWindowWithoutASignal() {
        AdwinDetector adwin = adwin();
        long[] drifts =
                ErrorStreams.drifts(adwin, ErrorStreams.bernoulli(SEED, 20_000, 0.5, 0.1, 10_000));
        assertThat(drifts).isEmpty();
        // The window forgot the old rate: it holds the 10,000 values of the new one and at most a
        // bucket's worth from before the change.
        assertThat(adwin.width).isBetween(10_000L, 10_500L);
        assertThat(adwin.mean()).isBetween(0.08, 0.12);
    }

    @Test
    void theWindowStaysLogarithmicAndItsMeanExact() {
        AdwinDetector adwin = adwin();
        double[] errors = ErrorStreams.bernoulli(SEED, 100_000, 0.3, 0.3, 0);
        double sum = 0;
        for (double e : errors) {
            adwin.update(e);
            sum += e;
        }
        assertThat(adwin.width).isEqualTo(100_000);
        assertThat(adwin.mean())
                .isEqualTo(sum / 100_000, org.assertj.core.api.Assertions.within(1e-9));
        // At most M + 1 buckets per row, rows ~ log2(n / M).
        assertThat(adwin.rows).isLessThanOrEqualTo(17);
    }

    @Test
    void statisticsNameTheCut() {
        AdwinDetector adwin = adwin();
        ErrorStreams.drifts(adwin, ErrorStreams.bernoulli(SEED, 20_000, 0.1, 0.5, 10_000));
        assertThat(adwin.statistics())
                .containsKeys("mean0", "mean1", "n0", "n1", "epsilon", "width", "delta");
        assertThat(adwin.statistics().get("mean1")).isGreaterThan(adwin.statistics().get("mean0"));
        assertThat(adwin.statistics().get("mean0")).isBetween(0.05, 0.2);
    }

    @Test
    void stateSurvivesFlinkSerialization() throws Exception {
        DetectorChecks.survivesFlinkSerialization(
                AdwinDetector.class,
                AdwinDetectorTest::adwin,
                ErrorStreams.bernoulli(SEED, 20_000, 0.1, 0.5, 15_000));
    }
}
