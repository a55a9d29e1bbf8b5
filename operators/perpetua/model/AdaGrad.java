package perpetua.model;

/**
 * AdaGrad (Duchi et al., 2011): {@code G += g^2; w -= lr g / (sqrt(G) + eps)}, a step per
 * coordinate that shrinks with the gradient seen on it.
 */
public final class AdaGrad extends StatefulOptimizer {

    private final float epsilon;

    /** Creates AdaGrad with zero accumulators for {@code count} parameters from {@code offset}. */
    public AdaGrad(float epsilon, int offset, int count) {
        super(new String[] {"sumSquares"}, offset, count);
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive: " + epsilon);
        }
        this.epsilon = epsilon;
    }

    @Override
    void apply(float[] params, float[] grad, int i, int s, long step, float lr) {
        apply(params, i, s, grad[i], lr);
    }

    /** Updates {@code params[i]}, whose state is at {@code s}, by the gradient {@code g}. */
    void apply(float[] params, int i, int s, float g, float lr) {
        float[] sum = state[0];
        sum[s] += g * g;
        params[i] -= (float) (lr * g / (Math.sqrt(sum[s]) + epsilon));
    }
}
