package perpetua.replay;

import perpetua.schemas.Prediction;

/**
 * What the evaluator keeps of one prediction: the model, the replay position of its row, the served
 * class or value and scores, the version that served it, and when its event was read and predicted.
 *
 * <p>{@link ReplayScore} fills one per {@link Prediction} it measures.
 */
public class Served {
    public String model;

    /** The replay position of the predicted row, read from the event id. */
    public int row;

    /** The served class index, or the regression value. */
    public float predicted;

    /** The served class probabilities; empty for regression. */
    public float[] scores;

    public long version;

    /** When the replay source read the event, epoch milliseconds. */
    public long readAt;

    /** When the Learner predicted it, epoch milliseconds. */
    public long predictedAt;

    /** A recommender's rank of the row's item among its candidates; 0 when not ranked. */
    public int rank;

    public Served() {}
}
