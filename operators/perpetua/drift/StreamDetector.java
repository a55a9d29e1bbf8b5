package perpetua.drift;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every drift detector of an error stream does alike: it counts the values it took, and
 * reports the statistics of its last signal. A subclass takes each value and names its statistics.
 */
public abstract class StreamDetector implements DriftDetector {
    /** Values taken since the detector was created; a drift does not reset it. */
    public long seen;

    @Override
    public final Signal update(double x) {
        seen++;
        return take(x);
    }

    /** Takes the next value of the stream, {@link #seen} already counting it. */
    protected abstract Signal take(double x);

    @Override
    public final long seen() {
        return seen;
    }

    @Override
    public final Map<String, Double> statistics() {
        Map<String, Double> out = new LinkedHashMap<>();
        if (hasSignalled()) {
            putStatistics(out);
        }
        return out;
    }

    /** Whether a WARNING or a DRIFT came yet. */
    protected abstract boolean hasSignalled();

    /** Puts the statistics behind the last signal, by name. */
    protected abstract void putStatistics(Map<String, Double> out);
}
