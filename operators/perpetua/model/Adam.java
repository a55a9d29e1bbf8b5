package perpetua.model;

/**
 * Adam (Kingma and Ba, 2015) with bias-corrected first and second moments per parameter.
 *
 * <p>The bias correction uses the model's global step count, also for sparse updates: a hashed
 * weight that is seen rarely keeps moments that decayed only on the steps that touched it (lazy
 * Adam), which is the usual trade for updates that cost the batch and not the hash space.
 */
public final class Adam implements Optimizer {

    private static final String[] STATE_NAMES = {"m", "v"};

    private final float learningRate;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float[] m;
    private final float[] v;

    /** Creates Adam with zero moments for {@code parameterCount} parameters. */
    public Adam(float learningRate, float beta1, float beta2, float epsilon, int parameterCount) {
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive: " + learningRate);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(
                    "beta1 and beta2 must lie in [0, 1): " + beta1 + ", " + beta2);
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive: " + epsilon);
        }
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.m = new float[parameterCount];
        this.v = new float[parameterCount];
    }

    @Override
    public void update(float[] params, float[] grad, int from, int to, long step) {
        double c1 = correction(beta1, step);
        double c2 = correction(beta2, step);
        for (int i = from; i < to; i++) {
            apply(params, grad, i, c1, c2);
        }
    }

    @Override
    public void updateSparse(float[] params, float[] grad, int[] indices, int count, long step) {
        double c1 = correction(beta1, step);
        double c2 = correction(beta2, step);
        for (int n = 0; n < count; n++) {
            apply(params, grad, indices[n], c1, c2);
        }
    }

    // m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    // w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    private void apply(float[] params, float[] grad, int i, double c1, double c2) {
        float g = grad[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        double mHat = m[i] * c1;
        double vHat = v[i] * c2;
        params[i] -= (float) (learningRate * mHat / (Math.sqrt(vHat) + epsilon));
    }

    // 1 / (1 - beta^t): undoes the pull of the zero initial moment towards 0.
    private static double correction(float beta, long step) {
        if (step < 1) {
            throw new IllegalArgumentException("Adam steps count from 1: " + step);
        }
        return 1.0 / (1.0 - Math.pow(beta, step));
    }

    @Override
    public float[] state() {
        float[] state = new float[m.length + v.length];
        System.arraycopy(m, 0, state, 0, m.length);
        System.arraycopy(v, 0, state, m.length, v.length);
        return state;
    }

    @Override
    public void restoreState(float[] state) {
        if (state.length != m.length + v.length) {
            throw new IllegalArgumentException(
                    "Adam state needs " + (m.length + v.length) + " values, got " + state.length);
        }
        System.arraycopy(state, 0, m, 0, m.length);
        System.arraycopy(state, m.length, v, 0, v.length);
    }

    @Override
    public String[] stateNames() {
        return STATE_NAMES.clone();
    }
}
