package perpetua.features;

import java.util.ArrayDeque;

/**
 * The labelled rows a model has yet to learn, in the order they came, cut into groups of a fixed
 * size: each complete group is one gradient step, and the rows of an incomplete one wait for more.
 * So the steps a model takes depend on its labelled events and their order, not on where its
 * micro-batches happened to end.
 *
 * <p>With pairwise learning (spec {@code pairwise}) a group is one event and its sampled negatives:
 * an event (new, or a late label) closes the open group before it joins, a negative joins its
 * event's group, and a group closes when full. Restored rows carry no such mark, so there a
 * positive row starts a group and a negative joins the open one.
 *
 * <p>The rows are kept encoded as they are learned ({@link FeatureEncoder#learningRow}); the
 * waiting ones go into Flink state as {@link BatchRows}. Buffers of learned groups are reused.
 */
public final class LearningQueue {
    private final int denseWidth;
    private final int fields;
    private int groupSize;
    private boolean pairwise;
    private final ArrayDeque<MicroBatch> complete = new ArrayDeque<>();
    private final ArrayDeque<MicroBatch> spare = new ArrayDeque<>();
    private MicroBatch open;

    /** An empty queue of rows shaped as {@code encoder}'s, in groups of {@code groupSize}. */
    public LearningQueue(FeatureEncoder encoder, int groupSize) {
        this(encoder, groupSize, false);
    }

    /**
     * An empty queue of rows shaped as {@code encoder}'s, in groups of at most {@code groupSize};
     * with {@code pairwise}, each group one event and the negatives sampled for it.
     */
    public LearningQueue(FeatureEncoder encoder, int groupSize, boolean pairwise) {
        this.pairwise = pairwise;
        MicroBatch shape = encoder.newBatch();
        this.denseWidth = shape.denseWidth();
        this.fields = shape.fields();
        this.groupSize = checked(groupSize);
        this.open = newGroup();
    }

    /** Returns the rows per gradient step. */
    public int groupSize() {
        return groupSize;
    }

    /**
     * The last row {@code encoder} encoded into {@code batch} joins the queue, as it is learned.
     */
    public void add(FeatureEncoder encoder, MicroBatch batch) {
        startEvent();
        encoder.learningRow(batch, open);
        closeIfComplete();
    }

    /** A labelled event whose features were counted before (a late label) joins the queue. */
    public void addCounted(FeatureEncoder encoder, perpetua.schemas.Event event) {
        startEvent();
        encoder.encodeCounted(event, open);
        closeIfComplete();
    }

    /**
     * A negative sampled for the event that joined last, whose features were counted with it, joins
     * the queue: with pairwise learning, in that event's group.
     */
    public void addNegative(FeatureEncoder encoder, perpetua.schemas.Event negative) {
        encoder.encodeCounted(negative, open);
        closeIfComplete();
    }

    /** The oldest complete group, or null when none is; hand it back with {@link #learned}. */
    public MicroBatch nextGroup() {
        return complete.poll();
    }

    /** Whether exactly one group is complete and no row waits after it. */
    public boolean oneGroupExactly() {
        return complete.size() == 1 && open.isEmpty();
    }

    /** A group from {@link #nextGroup()} was learned (or refused); its buffer is reused. */
    public void learned(MicroBatch group) {
        group.clear();
        spare.add(group);
    }

    /** Returns the rows waiting: in complete groups and in the open one. */
    public int waiting() {
        int n = open.size();
        for (MicroBatch g : complete) {
            n += g.size();
        }
        return n;
    }

    /** A copy of every waiting row in order, for state. */
    public BatchRows toRows() {
        MicroBatch all = new MicroBatch(denseWidth, fields, Math.max(1, waiting()));
        for (MicroBatch g : complete) {
            copy(g, all);
        }
        copy(open, all);
        return all.toRows();
    }

    /** Rows of {@link #toRows()} join the queue, in order. */
    public void addRows(BatchRows rows) {
        if (rows == null || rows.size == 0) {
            return;
        }
        MicroBatch source = new MicroBatch(denseWidth, fields, rows.size);
        source.addRows(rows);
        for (int r = 0; r < source.size(); r++) {
            if (source.label(r) >= 0.5f) {
                startEvent();
            }
            open.addRowFrom(source, r, null);
            closeIfComplete();
        }
    }

    /** The waiting rows are cut again into groups of {@code size}, in the same order. */
    public void resize(int size) {
        resize(size, pairwise);
    }

    /**
     * The waiting rows are cut again into groups of {@code size}, pairwise or not, in the same
     * order.
     */
    public void resize(int size, boolean pairwise) {
        if (checked(size) == groupSize && pairwise == this.pairwise) {
            return;
        }
        BatchRows rows = toRows();
        complete.clear();
        open.clear();
        groupSize = size;
        this.pairwise = pairwise;
        addRows(rows);
    }

    /** With pairwise learning a new event's group starts: the open one closes, short or not. */
    private void startEvent() {
        if (pairwise && !open.isEmpty()) {
            complete.add(open);
            open = spare.isEmpty() ? newGroup() : spare.poll();
        }
    }

    private void closeIfComplete() {
        if (open.size() >= groupSize) {
            complete.add(open);
            open = spare.isEmpty() ? newGroup() : spare.poll();
        }
    }

    private MicroBatch newGroup() {
        return new MicroBatch(denseWidth, fields, Math.min(groupSize, 1024));
    }

    private static void copy(MicroBatch from, MicroBatch to) {
        for (int r = 0; r < from.size(); r++) {
            to.addRowFrom(from, r, null);
        }
    }

    private static int checked(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a learning group needs at least one row: " + size);
        }
        return size;
    }
}
