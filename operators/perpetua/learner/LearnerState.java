package perpetua.learner;

/**
 * What a model keeps in Flink keyed state: its spec, its served version line, its champion,
 * challengers and drift background model, and its snapshot schedule. Primitive arrays and POJOs
 * only, never an INDArray.
 *
 * <p>Written once per checkpoint for each model that changed since the last one, not per event.
 */
public class LearnerState {
    /** The current spec, in single-object encoding. */
    public byte[] spec;

    public long version;
    public VariantState champion;
    public VariantState[] challengers;
    public int batchesSinceSnapshot;
    public long lastSnapshotAt;
    public long pendingLabels;

    /** The model learning in the champion's shadow since a drift warning or drift; or null. */
    public VariantState background;

    /**
     * Position in the champion's error stream of the warning or drift that started the background.
     */
    public long backgroundSince;

    /** A drift came: the background replaces the champion once it has learned enough. */
    public boolean replacementDue;

    /** The search's current rung (0 first), and the windows the champion closed in it. */
    public int searchRung;

    public int rungWindows;

    /**
     * A recommender's catalog and user histories, an {@code Interactions} record in single-object
     * encoding; null for other models.
     */
    public byte[] interactions;

    public LearnerState() {}
}
