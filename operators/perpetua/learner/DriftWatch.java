package perpetua.learner;

import perpetua.drift.DriftDetector;
import perpetua.drift.DriftDetector.Signal;
import perpetua.drift.DriftMonitor;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * A learner's drift detection: the spec's detector on the learner's error stream, and where in that
 * stream a drift came during the batch being flushed, until the drift has had its reaction.
 */
final class DriftWatch {
    private DriftMonitor monitor;

    /** Position of a DRIFT in the batch being flushed, its reaction still to come; else -1. */
    private long driftedAt = -1;

    DriftWatch(ModelSpec spec) {
        this.monitor = DriftMonitor.forSpec(spec);
    }

    /** Goes on with the monitor kept in state; state written before drift detection has none. */
    void restore(DriftMonitor saved) {
        if (saved != null) {
            monitor = saved;
        }
    }

    DriftMonitor monitor() {
        return monitor;
    }

    /** A new monitor when {@code next} names another detector; else the detector goes on. */
    void conform(ModelSpec next) {
        if (!monitor.sameDetector(next)) {
            monitor = DriftMonitor.forSpec(next);
        }
    }

    /**
     * Takes over the served line's monitor, reset so that a learner replacing the champion is
     * judged on its own errors.
     *
     * @return the monitor's detector, or null when the spec names none
     */
    DriftDetector takeOverServedLine(DriftWatch old) {
        monitor = old.monitor;
        DriftDetector detector = monitor.detector();
        if (detector != null) {
            detector.reset();
        }
        monitor.warningSince = -1;
        return detector;
    }

    /** Feeds one labelled example's error to the monitor, and remembers where a drift came. */
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

    /** Whether a drift came in the batch being flushed, its reaction still to come. */
    boolean drifted() {
        return driftedAt >= 0;
    }

    /** Position in the error stream of the drift of this batch; -1 if none. */
    long driftedAt() {
        return driftedAt;
    }

    /** The batch's drift has had its reaction. */
    void answered() {
        driftedAt = -1;
    }
}
