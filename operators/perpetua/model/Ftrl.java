package perpetua.model;

/**
 * FTRL-Proximal (McMahan et al., 2013), per coordinate, with the learning rate as alpha.
 *
 * <p>{@code sigma = (sqrt(n + g^2) - sqrt(n)) / alpha; z += g - sigma w; n += g^2}; then the weight
 * is solved in closed form: {@code w = 0} when {@code |z| <= l1}, else {@code w = -(z - sign(z) l1)
 * / ((beta + sqrt(n)) / alpha)}. Weights whose accumulated gradient stays under l1 are exactly
 * zero, which keeps a hashed model sparse. An L2 term reaches it through the model's gradient.
 */
public final class Ftrl extends StatefulOptimizer {

    private final float beta;
    private final float l1;

    /** Creates FTRL with zero accumulators for {@code count} parameters from {@code offset}. */
    public Ftrl(float beta, float l1, int offset, int count) {
        super(new String[] {"z", "n"}, offset, count);
        if (!(beta >= 0) || !(l1 >= 0)) {
            throw new IllegalArgumentException("ftrlBeta and l1 must be >= 0: " + beta + ", " + l1);
        }
        this.beta = beta;
        this.l1 = l1;
    }

    @Override
    void apply(float[] params, float[] grad, int i, int s, long step, float lr) {
        float[] z = state[0];
        float[] n = state[1];
        double g = grad[i];
        double nOld = n[s];
        double nNew = nOld + g * g;
        double sigma = (Math.sqrt(nNew) - Math.sqrt(nOld)) / lr;
        double zNew = z[s] + g - sigma * params[i];
        z[s] = (float) zNew;
        n[s] = (float) nNew;
        if (Math.abs(zNew) <= l1) {
            params[i] = 0f;
        } else {
            params[i] =
                    (float) (-(zNew - Math.signum(zNew) * l1) / ((beta + Math.sqrt(nNew)) / lr));
        }
    }
}
