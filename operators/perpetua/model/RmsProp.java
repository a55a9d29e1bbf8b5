package perpetua.model;

/**
 * RMSProp (Tieleman and Hinton, 2012): {@code s = rho s + (1 - rho) g^2; w -= lr g / (sqrt(s) +
 * eps)}.
 */
public final class RmsProp extends StatefulOptimizer {

    private final float rho;
    private final float epsilon;

    /** Creates RMSProp with zero mean squares for {@code count} parameters from {@code offset}. */
    public RmsProp(float rho, float epsilon, int offset, int count) {
        super(new String[] {"meanSquare"}, offset, count);
        if (!(rho >= 0 && rho < 1)) {
            throw new IllegalArgumentException("rho must lie in [0, 1): " + rho);
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive: " + epsilon);
        }
        this.rho = rho;
        this.epsilon = epsilon;
    }

    @Override
    void apply(float[] params, float[] grad, int i, int s, long step, float lr) {
        float[] ms = state[0];
        float g = grad[i];
        ms[s] = rho * ms[s] + (1 - rho) * g * g;
        params[i] -= (float) (lr * g / (Math.sqrt(ms[s]) + epsilon));
    }
}
