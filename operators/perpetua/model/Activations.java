package perpetua.model;

import perpetua.schemas.Activation;

/**
 * Element-wise activations and their derivatives, written in terms of the activation's output so
 * that a backward pass needs only what the forward pass kept.
 */
final class Activations {

    /** Slope of LEAKY_RELU below zero. */
    static final float LEAK = 0.01f;

    private Activations() {}

    /** Applies {@code act} to {@code x[0, length)} in place. */
    static void apply(Activation act, float[] x, int length) {
        switch (act) {
            case RELU:
                for (int i = 0; i < length; i++) {
                    x[i] = x[i] > 0f ? x[i] : 0f;
                }
                break;
            case LEAKY_RELU:
                for (int i = 0; i < length; i++) {
                    x[i] = x[i] > 0f ? x[i] : LEAK * x[i];
                }
                break;
            case TANH:
                for (int i = 0; i < length; i++) {
                    x[i] = (float) Math.tanh(x[i]);
                }
                break;
            case SIGMOID:
                for (int i = 0; i < length; i++) {
                    x[i] = (float) (1.0 / (1.0 + Math.exp(-x[i])));
                }
                break;
            case IDENTITY:
                break;
            default:
                throw new IllegalArgumentException("unknown activation " + act);
        }
    }

    /** Multiplies {@code d[0, length)} in place by the derivative at the outputs {@code y}. */
    static void backward(Activation act, float[] y, float[] d, int length) {
        switch (act) {
            case RELU:
                for (int i = 0; i < length; i++) {
                    if (y[i] <= 0f) {
                        d[i] = 0f;
                    }
                }
                break;
            case LEAKY_RELU:
                for (int i = 0; i < length; i++) {
                    if (y[i] <= 0f) {
                        d[i] *= LEAK;
                    }
                }
                break;
            case TANH:
                for (int i = 0; i < length; i++) {
                    d[i] *= 1f - y[i] * y[i];
                }
                break;
            case SIGMOID:
                for (int i = 0; i < length; i++) {
                    d[i] *= y[i] * (1f - y[i]);
                }
                break;
            case IDENTITY:
                break;
            default:
                throw new IllegalArgumentException("unknown activation " + act);
        }
    }
}
