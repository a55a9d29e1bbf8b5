package perpetua.model;

/** Plain stochastic gradient descent: {@code w -= lr * g}; it keeps no state. */
public final class Sgd extends StatefulOptimizer {

    /** Creates SGD. */
    public Sgd() {
        super(new String[0], 0, 0);
    }

    @Override
    void apply(float[] params, float[] grad, int i, int s, long step, float lr) {
        params[i] -= lr * grad[i];
    }
}
