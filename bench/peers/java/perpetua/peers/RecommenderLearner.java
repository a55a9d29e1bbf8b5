package perpetua.peers;

import perpetua.catalog.InteractionMemory;
import perpetua.schemas.Event;

/**
 * A peer recommender under prequential evaluation on a rating stream: before an event is learned,
 * it predicts the event's rating and scores the event's user against sampled candidate items (the
 * event with another item and that item's side features), and Perpetua's own ranking arithmetic
 * ranks the event's item among them.
 *
 * <p>Scores rank as ratings: higher first. Feature encoding is part of each call and timed with it,
 * as for {@link StreamLearner}.
 */
interface RecommenderLearner extends AutoCloseable {

    /** The row name in the report. */
    String name();

    /**
     * The scores of the event as it is, then of the event with each of {@code candidates} and its
     * side features from {@code catalog} in place of its item: {@code candidates.length + 1}
     * values, from the model as it is; does not learn.
     */
    double[] score(Event event, String[] candidates, InteractionMemory catalog);

    /** Predicts the event's rating with the model as it is, then learns the rating. */
    double predictThenLearn(Event event);

    @Override
    default void close() throws Exception {}
}
