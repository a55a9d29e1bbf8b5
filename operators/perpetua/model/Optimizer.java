package perpetua.model;

import perpetua.schemas.ModelSpec;

/**
 * A first-order update rule over a flat {@code float[]} of parameters.
 *
 * <p>A model calls {@link #update} for the parameters it touches fully (bias, dense weights) and
 * {@link #updateSparse} for the hashed weights active in a batch, so that a step costs the size of
 * the batch and not of the hash space. Per-parameter state (Adam's moments) is a {@code float[]}
 * aligned with the parameters, so it can be snapshotted and restored as is.
 */
public interface Optimizer {

    /**
     * Applies one step to {@code params[from, to)} with the gradient at the same indices.
     *
     * @param step the model's step count for this update, 1 at the first step
     */
    void update(float[] params, float[] grad, int from, int to, long step);

    /**
     * Applies one step to the parameters {@code indices[0, count)} only (lazy sparse update).
     *
     * <p>Parameters outside the list, and their optimizer state, are left untouched; the indices
     * must be distinct.
     *
     * @param step the model's step count for this update, 1 at the first step
     */
    void updateSparse(float[] params, float[] grad, int[] indices, int count, long step);

    /** Returns a copy of the optimizer state, a concatenation of {@link #stateNames()} arrays. */
    float[] state();

    /** Replaces the optimizer state with a copy of an array from {@link #state()}. */
    void restoreState(float[] state);

    /** Returns the names of the per-parameter state arrays, in the order of {@link #state()}. */
    String[] stateNames();

    /** Creates the optimizer a spec names, with fresh state for {@code parameterCount} weights. */
    static Optimizer create(ModelSpec spec, int parameterCount) {
        switch (spec.getOptimizer()) {
            case SGD:
                return new Sgd(spec.getLearningRate());
            case ADAM:
                return new Adam(
                        spec.getLearningRate(),
                        spec.getBeta1(),
                        spec.getBeta2(),
                        spec.getEpsilon(),
                        parameterCount);
            default:
                throw new IllegalArgumentException("unknown optimizer " + spec.getOptimizer());
        }
    }
}
