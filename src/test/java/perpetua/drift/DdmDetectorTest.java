package perpetua.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static perpetua.drift.DetectorChecks.SEED;

import org.junit.jupiter.api.Test;

/** DDM against its published behaviour on streams with changes at known positions. */
class DdmDetectorTest {

    @Test
    void detectsAnAbruptRiseInTheErrorRateWithin1500Examples() {
        double[] errors = ErrorStreams.bernoulli(SEED, 20_000, 0.1, 0.5, 10_000);
        long[] drifts = ErrorStreams.drifts(new DdmDetector(30), errors);
        assertThat(DetectorChecks.driftsBefore(drifts, 10_000)).isZero();
        // DDM compares against the whole history since its last drift: slower than ADWIN.
        // 30 seeds: mean delay 430, at most 1,344 (DriftBench).
        assertThat(DetectorChecks.delayOfFirstDriftAfter(drifts, 10_000)).isBetween(0L, 1_500L);
    }

    @Test
    void warnsBeforeItSignalsADrift() {
        DdmDetector ddm = new DdmDetector(30);
        double[] errors = ErrorStreams.bernoulli(SEED, 20_000, 0.1, 0.5, 10_000);
        long firstWarning = -1;
        long drift = -1;
        for (int i = 0; i < errors.length && drift < 0; i++) {
            DriftDetector.Signal s = ddm.update(errors[i]);
            if (s == DriftDetector.Signal.WARNING && firstWarning < 0 && i >= 10_000) {
                firstWarning = i;
            }
            if (s == DriftDetector.Signal.DRIFT) {
                drift = i;
            }
        }
        assertThat(firstWarning).isBetween(10_000L, drift - 1);
        // At the drift p + s crossed p_min + 3 s_min.
        var stats = ddm.statistics();
        assertThat(stats.get("p") + stats.get("s"))
                .isGreaterThanOrEqualTo(stats.get("pMin") + 3 * stats.get("sMin"));
        assertThat(stats.get("level")).isEqualTo(3.0);
    }

    @Test
    void detectsASeaConceptChangeInALearnersErrors() {
        long[] drifts = ErrorStreams.drifts(new DdmDetector(30), ErrorStreams.sea(SEED, 100_000));
        assertThat(DetectorChecks.driftsBefore(drifts, 25_000)).isZero();
        assertThat(DetectorChecks.delayOfFirstDriftAfter(drifts, 50_000)).isBetween(0L, 7_000L);
    }

    @Test
    void raisesNoAlarmOnAStationaryStreamOf100000() {
        double[] errors = ErrorStreams.bernoulli(SEED, 100_000, 0.1, 0.1, 0);
        assertThat(ErrorStreams.drifts(new DdmDetector(30), errors)).isEmpty();
    }

    @Test
    void aCleanStartIsNotTakenAsTheMinimum() {
        // 40 hits, then errors at rate 0.1: without the n p >= 5 guard p_min = 0 (or 1/41) and
        // the first few errors would be a drift.
        DdmDetector ddm = new DdmDetector(30);
        for (int i = 0; i < 40; i++) {
            assertThat(ddm.update(0)).isEqualTo(DriftDetector.Signal.NONE);
        }
        double[] errors = ErrorStreams.bernoulli(SEED, 2_000, 0.1, 0.1, 0);
        assertThat(ErrorStreams.drifts(ddm, errors)).isEmpty();
    }

    @Test
    void stateSurvivesFlinkSerialization() throws Exception {
        DetectorChecks.survivesFlinkSerialization(
                DdmDetector.class,
                () -> new DdmDetector(30),
                ErrorStreams.bernoulli(SEED, 20_000, 0.1, 0.5, 15_000));
    }
}
