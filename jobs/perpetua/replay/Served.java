package perpetua.replay;

import java.util.List;
import org.apache.flink.api.common.functions.MapFunction;
import perpetua.schemas.Prediction;

/**
 * What the evaluator keeps of one prediction: the model, the replay position of its row, the served
 * class or value and scores, the version that served it, and when its event was read and predicted.
 *
 * <p>A Flink POJO, smaller on the wire than the Avro {@link Prediction} it comes from.
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

    /** Maps a prediction of the replay, whose event id is its row's position, to what is kept. */
    public static final class Of implements MapFunction<Prediction, Served> {
        private static final long serialVersionUID = 1L;

        @Override
        public Served map(Prediction p) {
            Served s = new Served();
            s.model = p.getModel();
            s.row = Integer.parseInt(p.getEventId());
            s.predicted = ((Number) p.getLabel()).floatValue();
            List<Float> scores = p.getScores();
            s.scores = new float[scores.size()];
            for (int k = 0; k < s.scores.length; k++) {
                s.scores[k] = scores.get(k);
            }
            s.version = p.getModelVersion();
            s.readAt = p.getPublishedAt();
            s.predictedAt = p.getPredictedAt();
            s.rank = p.getRank() == null ? 0 : p.getRank();
            return s;
        }
    }
}
