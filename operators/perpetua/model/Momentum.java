package perpetua.model;

/**
 * SGD with momentum, classical or Nesterov, one velocity per parameter.
 *
 * <p>Classical: {@code v = mu v + g; w -= lr v}. Nesterov: {@code v = mu v + g; w -= lr (g + mu
 * v)}, the look-ahead written on the current weights (Sutskever et al., 2013).
 */
public final class Momentum extends StatefulOptimizer {

    private final float mu;
    private final boolean nesterov;

    /** Creates momentum with zero velocity for {@code count} parameters from {@code offset}. */
    public Momentum(float mu, boolean nesterov, int offset, int count) {
        super(new String[] {"velocity"}, offset, count);
        if (!(mu >= 0 && mu < 1)) {
            throw new IllegalArgumentException("momentum must lie in [0, 1): " + mu);
        }
        this.mu = mu;
        this.nesterov = nesterov;
    }

    @Override
    void apply(float[] params, float[] grad, int i, int s, long step, float lr) {
        float[] v = state[0];
        float g = grad[i];
        v[s] = mu * v[s] + g;
        params[i] -= lr * (nesterov ? g + mu * v[s] : v[s]);
    }
}
