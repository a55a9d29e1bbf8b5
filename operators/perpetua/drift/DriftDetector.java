package perpetua.drift;

import java.util.Map;

/**
 * A change detector on one model's error stream: 0/1 misses for classification, a loss for
 * regression. It watches for the error getting worse.
 *
 * <p>An implementation is a Flink POJO (public no-arg constructor, public primitive fields and
 * primitive arrays) so that it can live inside keyed state without Kryo; it does no I/O and keeps
 * no static mutable state. After {@link Signal#DRIFT} the detector has already forgotten the old
 * concept and goes on with the new one.
 */
public interface DriftDetector {

    /** What one update says about the stream. */
    enum Signal {
        /** Nothing changed that the detector can tell. */
        NONE,
        /** The error may be rising: the time to start a background model. */
        WARNING,
        /** The error rose: the old concept is gone. */
        DRIFT
    }

    /**
     * Takes the next value of the stream.
     *
     * @param x the error of the next example: 0 or 1 for a classifier, the loss for a regressor
     * @return what the stream looks like after it
     */
    Signal update(double x);

    /** The detector's name in a Metrics record: ADWIN, DDM or PAGE_HINKLEY. */
    String name();

    /**
     * The statistics behind the last WARNING or DRIFT (for the metrics record), by name; empty
     * before the first.
     */
    Map<String, Double> statistics();

    /** Values the detector took since it was created (not reset by a drift). */
    long seen();

    /** Forgets the stream, as after a drift; {@link #seen()} goes on. */
    void reset();
}
