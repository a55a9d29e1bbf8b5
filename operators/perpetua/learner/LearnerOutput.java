package perpetua.learner;

import perpetua.ingest.DecodeAndValidate;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;

/**
 * Where the Learner's parts put what they produce, and how they read the clock and set timers. The
 * operator routes each output to its stream and each timer to Flink's timer service; a unit test
 * collects the outputs in lists and fires the timers by hand.
 */
interface LearnerOutput {
    void prediction(Prediction p);

    /** The answer to a request event of a recommender. */
    void recommendation(Recommendation r);

    /** A metrics window, a drift signal, a promotion or a replacement. */
    void metrics(Metrics record);

    void snapshot(ModelSnapshot s);

    void deadLetter(DeadLetter d);

    /** A record that does not fit its model becomes a dead letter with its source and reason. */
    default void refuse(LearnerInput in, String reason) {
        String id =
                in.event != null
                        ? in.event.getId()
                        : in.feedback != null ? in.feedback.getEventId() : null;
        deadLetter(DecodeAndValidate.deadLetter(in.source(), reason, in.model(), id));
    }

    /** The Flink metrics of {@code model} on this subtask. */
    LearnerMetrics counters(String model);

    /** Processing time, milliseconds. */
    long now();

    /** Asks for {@code namespace} to fire at {@code time} for the current model. */
    void wakeAt(String namespace, long time);

    /** Cancels a timer set with {@link #wakeAt}. */
    void cancel(String namespace, long time);
}
