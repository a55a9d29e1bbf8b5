package perpetua.model;

/**
 * Adam (Kingma and Ba, 2015) with bias-corrected first and second moments per parameter.
 *
 * <p>The bias correction uses the model's global step count, also for sparse updates: a hashed
 * weight that is seen rarely keeps moments that decayed only on the steps that touched it (lazy
 * Adam), which is the usual trade for updates that cost the batch and not the hash space.
 */
public final class Adam extends StatefulOptimizer {

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private double c1;
    private double c2;

    /** Creates Adam with zero moments for {@code count} parameters from {@code offset}. */
    public Adam(float beta1, float beta2, float epsilon, int offset, int count) {
        super(new String[] {"m", "v"}, offset, count);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(
                    "beta1 and beta2 must lie in [0, 1): " + beta1 + ", " + beta2);
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive: " + epsilon);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    @Override
    void begin(long step) {
        if (step < 1) {
            throw new IllegalArgumentException("Adam steps count from 1: " + step);
        }
        // 1 / (1 - beta^t): undoes the pull of the zero initial moment towards 0.
        c1 = 1.0 / (1.0 - Math.pow(beta1, step));
        c2 = 1.0 / (1.0 - Math.pow(beta2, step));
    }

    // m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    // w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    @Override
    void apply(float[] params, float[] grad, int i, int s, long step, float lr) {
        float[] m = state[0];
        float[] v = state[1];
        float g = grad[i];
        m[s] = beta1 * m[s] + (1 - beta1) * g;
        v[s] = beta2 * v[s] + (1 - beta2) * g * g;
        double mHat = m[s] * c1;
        double vHat = v[s] * c2;
        params[i] -= (float) (lr * mHat / (Math.sqrt(vHat) + epsilon));
    }
}
