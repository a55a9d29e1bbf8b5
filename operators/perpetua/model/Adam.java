package perpetua.model;

/**
 * Adam (Kingma and Ba, 2015) with bias-corrected first and second moments per parameter.
 *
 * <p>The bias correction uses the model's global step count, also for sparse updates: a hashed
 * weight that is seen rarely keeps moments that decayed only on the steps that touched it (lazy
 * Adam), which is the usual trade for updates that cost the batch and not the hash space.
 */
public final class Adam extends StatefulOptimizer {

    /*
     * The moments are kept out of the subnormal floats, which x86 cores compute many times slower.
     * A weight whose gradient stays 0, as a dead unit's does, has moments that decay by beta each
     * step: the second into the subnormals for about 16,000 steps, the first into them for good, as
     * 0.9 times the smallest subnormals rounds back to them. With half the mnist MLP's moments
     * there, Adam's pass took 96 instead of 58 us, and would have for the rest of the model's life.
     *
     * The second moment gets V_FLOOR at every step, so it never decays below V_FLOOR / (1 - beta2)
     * (1e-27 at 0.999): beside epsilon (1e-8) its root is nothing, and a moment above 1e-22 does
     * not change at all in float. The first moment is rounded to a multiple of 2^-103 (about
     * 1e-31) by adding and taking away M_GRID, which leaves a moment above 2^-56 (1.4e-17) as it is
     * to the bit and takes the smaller ones to 0 or to a few times 1e-31, where the step (rate
     * times moment) stays a normal float too. Additions, not a comparison, keep the range's loop
     * vector code; Java never folds them, as floating-point addition does not associate.
     */
    static final float V_FLOOR = 1e-30f;
    static final float M_GRID = 0x1p-80f;

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private float c1;
    private float c2;

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
        c1 = (float) (1.0 / (1.0 - Math.pow(beta1, step)));
        c2 = (float) (1.0 / (1.0 - Math.pow(beta2, step)));
    }

    // m = b1 m + (1 - b1) g (on a grid of 2^-103);  v = b2 v + (1 - b2) g^2 + V_FLOOR
    // w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    // In float throughout, as the vector loop of applyRange computes it, value for value.
    @Override
    void apply(float[] params, float[] grad, int i, int s, long step, float lr) {
        float[] m = state[0];
        float[] v = state[1];
        float g = grad[i];
        float mi = (beta1 * m[s] + (1 - beta1) * g + M_GRID) - M_GRID;
        float vi = beta2 * v[s] + (1 - beta2) * g * g + V_FLOOR;
        m[s] = mi;
        v[s] = vi;
        params[i] -= lr * c1 * mi / ((float) Math.sqrt(c2 * vi) + epsilon);
    }

    /**
     * The same rule over a contiguous range, one simple loop that the JIT vectorizes. It does so
     * only when every array is indexed alike, so when the state is aligned with the parameters (an
     * optimizer that owns them from index 0) the loop indexes all four with {@code i}.
     */
    @Override
    void applyRange(float[] params, float[] grad, int from, int to, int s, long step, float lr) {
        if (s != from) {
            super.applyRange(params, grad, from, to, s, step, lr);
            return;
        }
        float[] m = state[0];
        float[] v = state[1];
        float b1 = beta1;
        float b2 = beta2;
        float a1 = 1 - beta1;
        float a2 = 1 - beta2;
        float rate = lr * c1;
        float vScale = c2;
        float eps = epsilon;
        for (int i = from; i < to; i++) {
            float g = grad[i];
            float mi = (b1 * m[i] + a1 * g + M_GRID) - M_GRID;
            float vi = b2 * v[i] + a2 * g * g + V_FLOOR;
            m[i] = mi;
            v[i] = vi;
            params[i] -= rate * mi / ((float) Math.sqrt(vScale * vi) + eps);
        }
    }
}
