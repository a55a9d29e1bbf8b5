package perpetua.peers;

import java.util.List;
import perpetua.schemas.Event;

/**
 * One online learner under prequential (test-then-train) evaluation: every event is predicted by
 * the model as it was before that event, then learned.
 *
 * <p>Scores by task: BINARY and MULTICLASS give one probability per class (length = classes,
 * summing to 1); REGRESSION gives the predicted value (length 1). A learner that gives hard votes
 * rather than probabilities says so with {@link #givesProbabilities()}, and its log loss is not
 * reported. Encoding the event into the learner's own input format is part of the learner's work
 * and is timed with it, as Perpetua's Learner benchmark times encode, predict and learn together.
 */
public interface StreamLearner extends AutoCloseable {

    /** The row name in the report, e.g. {@code MOA HoeffdingTree}. */
    String name();

    /** Whether {@link #predict} gives probabilities (classification) rather than hard votes. */
    default boolean givesProbabilities() {
        return true;
    }

    /** Scores the event with the current model; does not learn. */
    double[] predict(Event event);

    /** Learns from the event's label. */
    void learn(Event event);

    /**
     * Predicts the event, then learns it; returns the scores from before learning.
     *
     * <p>A learner whose library returns the pre-update prediction from its learn call (Vowpal
     * Wabbit) overrides this to do one pass instead of two.
     */
    default double[] predictThenLearn(Event event) {
        double[] scores = predict(event);
        learn(event);
        return scores;
    }

    /**
     * Events per call of {@link #predictThenLearn(List)}: 1 for a learner that goes event by event;
     * a micro-batching learner (Perpetua's) predicts a whole batch with the model from before the
     * batch, then learns it.
     */
    default int batchSize() {
        return 1;
    }

    /** Predicts then learns each event of {@code batch}; returns the scores, one row per event. */
    default double[][] predictThenLearn(List<Event> batch) {
        double[][] scores = new double[batch.size()][];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = predictThenLearn(batch.get(i));
        }
        return scores;
    }

    @Override
    default void close() throws Exception {}
}
