package perpetua.model;

/**
 * The bookkeeping every optimizer with per-parameter state shares: the owned range and its state
 * arrays. A subclass implements {@link #apply}, the rule for one coordinate.
 */
abstract class StatefulOptimizer implements Optimizer {

    private final String[] names;
    private final int offset;
    protected final float[][] state;

    StatefulOptimizer(String[] names, int offset, int count) {
        if (offset < 0 || count < 0) {
            throw new IllegalArgumentException(
                    "offset and count must be >= 0: " + offset + ", " + count);
        }
        this.names = names.clone();
        this.offset = offset;
        this.state = new float[names.length][count];
    }

    /**
     * Updates {@code params[i]} from {@code grad[i]}; {@code s} indexes the state arrays.
     *
     * @param step the model's step count, 1 at the first step
     */
    abstract void apply(float[] params, float[] grad, int i, int s, long step, float lr);

    /** Called once per step before the coordinates, e.g. for bias corrections. */
    void begin(long step) {}

    /**
     * Applies {@link #apply} to {@code params[from, to)}, whose state starts at {@code s}. A
     * subclass may override it with one loop over the whole range, in place, that the JIT turns
     * into vector code (a dense layer's weights are a long contiguous range); it must give the same
     * values as {@link #apply} coordinate by coordinate.
     */
    void applyRange(float[] params, float[] grad, int from, int to, int s, long step, float lr) {
        for (int i = from; i < to; i++) {
            apply(params, grad, i, s + (i - from), step, lr);
        }
    }

    @Override
    public final void update(float[] params, float[] grad, int from, int to, long step, float lr) {
        begin(step);
        applyRange(params, grad, from, to, from - offset, step, lr);
    }

    @Override
    public final void updateSparse(
            float[] params, float[] grad, int[] indices, int count, long step, float lr) {
        begin(step);
        for (int n = 0; n < count; n++) {
            int i = indices[n];
            apply(params, grad, i, i - offset, step, lr);
        }
    }

    @Override
    public final float[] state() {
        float[] out = new float[stateSize()];
        saveState(out, 0);
        return out;
    }

    @Override
    public final void restoreState(float[] values) {
        if (values.length != stateSize()) {
            throw new IllegalArgumentException(
                    getClass().getSimpleName()
                            + " state needs "
                            + stateSize()
                            + " values, got "
                            + values.length);
        }
        loadState(values, 0);
    }

    @Override
    public final String[] stateNames() {
        return names.clone();
    }

    @Override
    public final int stateSize() {
        return names.length == 0 ? 0 : names.length * state[0].length;
    }

    @Override
    public final void saveState(float[] into, int at) {
        for (float[] s : state) {
            System.arraycopy(s, 0, into, at, s.length);
            at += s.length;
        }
    }

    @Override
    public final void loadState(float[] from, int at) {
        for (float[] s : state) {
            System.arraycopy(from, at, s, 0, s.length);
            at += s.length;
        }
    }
}
