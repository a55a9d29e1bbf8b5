package perpetua.model;

import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;

/**
 * A first-order update rule over a range of a flat {@code float[]} of parameters.
 *
 * <p>An optimizer owns the parameters {@code [offset, offset + count)} of a model. The model calls
 * {@link #update} for the parameters it touches fully (biases, dense and layer weights) and {@link
 * #updateSparse} for the hashed and embedding weights active in a batch, so that a step costs the
 * batch and not the hash space. Per-parameter state (moments, accumulators) is one {@code float[]}
 * per {@link #stateNames() name}, aligned with the owned range, so it can be snapshotted and
 * restored as is. The learning rate is passed per step, so that a schedule or a temporary boost
 * needs no state here.
 */
public interface Optimizer {

    /**
     * Applies one step to {@code params[from, to)} with the gradient at the same indices.
     *
     * @param step the model's step count for this update, 1 at the first step
     * @param lr the learning rate of this step
     */
    void update(float[] params, float[] grad, int from, int to, long step, float lr);

    /**
     * Applies one step to the parameters {@code indices[0, count)} only (lazy sparse update).
     *
     * <p>Parameters outside the list, and their optimizer state, are left untouched; the indices
     * must be distinct.
     */
    void updateSparse(float[] params, float[] grad, int[] indices, int count, long step, float lr);

    /** Returns a copy of the optimizer state, a concatenation of {@link #stateNames()} arrays. */
    float[] state();

    /** Replaces the optimizer state with a copy of an array from {@link #state()}. */
    void restoreState(float[] state);

    /** Returns the names of the per-parameter state arrays, in the order of {@link #state()}. */
    String[] stateNames();

    /** Returns the number of state values: state arrays times owned parameters. */
    int stateSize();

    /** Copies the state into {@code into} at {@code at}, without allocating. */
    void saveState(float[] into, int at);

    /** Copies the state back from {@code from} at {@code at}, as saved by {@link #saveState}. */
    void loadState(float[] from, int at);

    /**
     * The spec's learning rate, or when it is 0 its optimizer's default: 1 for NORMALIZED_ADAGRAD,
     * whose steps are already scaled by the gradients and inputs they follow (measured across the
     * benchmark streams, BENCHMARKS.md), and 0.01 for the others.
     */
    public static float learningRate(ModelSpec spec) {
        if (spec.getLearningRate() > 0) {
            return spec.getLearningRate();
        }
        return spec.getOptimizer() == OptimizerKind.NORMALIZED_ADAGRAD ? 1f : 0.01f;
    }

    /** Creates the optimizer the spec names for all of {@code count} parameters from 0. */
    static Optimizer create(ModelSpec spec, int count) {
        return create(spec.getOptimizer(), spec, 0, count);
    }

    /**
     * Creates an optimizer of {@code kind} with the spec's hyper-parameters and fresh state for the
     * parameters {@code [offset, offset + count)}.
     */
    static Optimizer create(OptimizerKind kind, ModelSpec spec, int offset, int count) {
        switch (kind) {
            case SGD:
                return new Sgd();
            case MOMENTUM:
                return new Momentum(spec.getMomentum(), false, offset, count);
            case NESTEROV:
                return new Momentum(spec.getMomentum(), true, offset, count);
            case ADAGRAD:
            case NORMALIZED_ADAGRAD:
                return new AdaGrad(spec.getEpsilon(), offset, count);
            case RMSPROP:
                return new RmsProp(spec.getRho(), spec.getEpsilon(), offset, count);
            case ADAM:
                return new Adam(spec.getBeta1(), spec.getBeta2(), spec.getEpsilon(), offset, count);
            case FTRL:
                return new Ftrl(spec.getFtrlBeta(), spec.getL1(), offset, count);

            default:
                throw new IllegalArgumentException("unknown optimizer " + kind);
        }
    }
}
