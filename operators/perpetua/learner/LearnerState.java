package perpetua.learner;

/**
 * What a model keeps in Flink keyed state: its spec, its served version line, its champion and
 * challengers, and its snapshot schedule. Primitive arrays and POJOs only, never an INDArray.
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

    public LearnerState() {}
}
