package perpetua.replay;

import java.util.LinkedHashMap;
import java.util.Map;
import perpetua.schemas.Task;

/**
 * How far the replay job has measured one model: a count of its predictions while the replay runs,
 * and at the end its whole-replay metrics. A Flink POJO, one every few thousand predictions, so
 * that the evaluator does not collect every prediction out of the job.
 */
public class ReplayTally {
    public String model;

    /** Predictions measured so far. */
    public long events;

    /** Labelled predictions among them. */
    public long labelled;

    /** The version that served the last of them. */
    public long version;

    /** From the first event read to the last prediction, seconds. */
    public double seconds;

    /** The metrics over the whole replay, by their names in the metrics schema; at the end only. */
    public String[] metricNames;

    public double[] metricValues;

    /** Whether this is the model's final tally, with its metrics. */
    public boolean done;

    public ReplayTally() {}

    /** A running count of {@code model}'s predictions. */
    static ReplayTally progress(String model, long events) {
        ReplayTally t = new ReplayTally();
        t.model = model;
        t.events = events;
        t.metricNames = new String[0];
        t.metricValues = new double[0];
        return t;
    }

    /**
     * The summary of a final tally, with the dead letters and the wall time that the job did not
     * see.
     */
    Summary summary(Task task, long deadLetters, double wallSeconds) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int i = 0; i < metricNames.length; i++) {
            metrics.put(metricNames[i], metricValues[i]);
        }
        return new Summary(
                model,
                task,
                events,
                labelled,
                deadLetters,
                version,
                metrics,
                seconds,
                events == 0 ? 0.0 : events / seconds,
                wallSeconds);
    }
}
