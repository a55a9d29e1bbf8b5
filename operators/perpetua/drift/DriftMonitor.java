package perpetua.drift;

import java.util.Map;
import java.util.stream.Collectors;
import perpetua.drift.DriftDetector.Signal;
import perpetua.schemas.DriftDetectorKind;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * The drift detector a model's spec chose, watching that model's error stream, as one value for
 * keyed state.
 *
 * <p>Exactly one of {@link #adwin}, {@link #ddm} and {@link #pageHinkley} is set (none for NONE):
 * concrete fields rather than one of the {@link DriftDetector} interface, so that Flink's POJO
 * serializer handles the state without Kryo. It also remembers where the current warning episode
 * began, which is where a background model would start learning, and turns a signal into a record
 * for the metrics topic.
 */
public class DriftMonitor {

    public DriftDetectorKind kind = DriftDetectorKind.NONE;
    public AdwinDetector adwin;
    public DdmDetector ddm;
    public PageHinkleyDetector pageHinkley;

    /** Position of the first WARNING of the current warning episode; -1 outside one. */
    public long warningSince = -1;

    /** For Flink's POJO serializer only. */
    public DriftMonitor() {}

    /** A monitor with the detector the spec names, tuned by its drift fields. */
    public static DriftMonitor forSpec(ModelSpec spec) {
        String problem = DriftDetectors.problem(spec);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        DriftMonitor m = new DriftMonitor();
        m.kind = spec.getDriftDetector();
        DriftDetector d = DriftDetectors.forSpec(spec);
        if (d instanceof AdwinDetector a) {
            m.adwin = a;
        } else if (d instanceof DdmDetector a) {
            m.ddm = a;
        } else if (d instanceof PageHinkleyDetector a) {
            m.pageHinkley = a;
        }
        return m;
    }

    /** Whether this monitor runs the detector {@code spec} asks for, with the same tuning. */
    public boolean sameDetector(ModelSpec spec) {
        if (spec.getDriftDetector() != kind) {
            return false;
        }
        return switch (kind) {
            case NONE -> true;
            case ADWIN ->
                    adwin.delta == spec.getDriftDelta()
                            && adwin.minInstances == spec.getDriftMinInstances();
            case DDM -> ddm.minInstances == spec.getDriftMinInstances();
            case PAGE_HINKLEY ->
                    pageHinkley.delta == spec.getDriftTolerance()
                            && pageHinkley.lambda == spec.getDriftThreshold()
                            && pageHinkley.minInstances == spec.getDriftMinInstances();
        };
    }

    /** The detector, or null for NONE. */
    public DriftDetector detector() {
        return switch (kind) {
            case NONE -> null;
            case ADWIN -> adwin;
            case DDM -> ddm;
            case PAGE_HINKLEY -> pageHinkley;
        };
    }

    /**
     * Feeds the error of the next labelled example (see {@link #error}).
     *
     * @return the detector's signal; always NONE without a detector
     */
    public Signal update(double error) {
        DriftDetector d = detector();
        if (d == null) {
            return Signal.NONE;
        }
        Signal s = d.update(error);
        if (s == Signal.WARNING) {
            if (warningSince < 0) {
                warningSince = d.seen();
            }
        } else {
            warningSince = -1;
        }
        return s;
    }

    /** Errors fed so far: the position of the last signal in the model's labelled stream. */
    public long position() {
        DriftDetector d = detector();
        return d == null ? 0L : d.seen();
    }

    /**
     * What the detector watches for one labelled example: 1 for a miss and 0 for a hit
     * (classification), the absolute error (regression).
     */
    public static double error(Task task, float predicted, float label) {
        return task == Task.REGRESSION
                ? Math.abs((double) predicted - label)
                : predicted == label ? 0 : 1;
    }

    /**
     * The record of a WARNING or a DRIFT for the metrics topic: event {@code warning} or {@code
     * drift}, the detector, its position and its statistics, at the model's version.
     *
     * @param model the model's name
     * @param task the model's task
     * @param version the model's version when the signal came
     * @param now wall-clock time, epoch milliseconds
     * @param signal WARNING or DRIFT
     */
    public Metrics record(String model, Task task, long version, long now, Signal signal) {
        if (signal == Signal.NONE || detector() == null) {
            throw new IllegalArgumentException("only a WARNING or DRIFT of a detector is recorded");
        }
        DriftDetector d = detector();
        Map<String, Double> stats = d.statistics();
        String event = signal == Signal.DRIFT ? "drift" : "warning";
        String detail =
                d.name()
                        + " "
                        + event
                        + " after "
                        + d.seen()
                        + " examples: "
                        + stats.entrySet().stream()
                                .map(e -> e.getKey() + "=" + String.format("%.6g", e.getValue()))
                                .collect(Collectors.joining(" "));
        return Metrics.newBuilder()
                .setModel(model)
                .setTask(task)
                .setVersionFrom(version)
                .setVersionTo(version)
                .setWindowStart(now)
                .setWindowEnd(now)
                .setEvents(0L)
                .setLabelled(0L)
                .setEventsPerSecond(0.0)
                .setEvent(event)
                .setDetail(detail)
                .setDetector(d.name())
                .setPosition(d.seen())
                .setStatistics(stats)
                .build();
    }
}
