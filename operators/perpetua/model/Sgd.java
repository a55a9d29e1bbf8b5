package perpetua.model;

/** Plain stochastic gradient descent: {@code w -= lr * g}; it keeps no state. */
public final class Sgd implements Optimizer {

    private static final String[] NO_STATE = new String[0];

    private final float learningRate;

    /** Creates SGD with a fixed learning rate. */
    public Sgd(float learningRate) {
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive: " + learningRate);
        }
        this.learningRate = learningRate;
    }

    @Override
    public void update(float[] params, float[] grad, int from, int to, long step) {
        for (int i = from; i < to; i++) {
            params[i] -= learningRate * grad[i];
        }
    }

    @Override
    public void updateSparse(float[] params, float[] grad, int[] indices, int count, long step) {
        for (int n = 0; n < count; n++) {
            int i = indices[n];
            params[i] -= learningRate * grad[i];
        }
    }

    @Override
    public float[] state() {
        return new float[0];
    }

    @Override
    public void restoreState(float[] state) {
        if (state.length != 0) {
            throw new IllegalArgumentException("SGD has no state, got " + state.length + " values");
        }
    }

    @Override
    public String[] stateNames() {
        return NO_STATE;
    }
}
