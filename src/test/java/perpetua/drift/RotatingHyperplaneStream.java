package perpetua.drift;

import java.util.SplittableRandom;

/**
 * The rotating hyperplane of Hulten, Spencer and Domingos (KDD 2001): d attributes uniform on [0,
 * 1], class 1 when sum_i w_i x_i >= w_0 = 1/2 sum_i w_i, so both classes stay about equally likely
 * whatever the weights. The plane turns gradually (each weight moves by {@code magnitude} per
 * example in its own direction, which reverses with probability 10%) or abruptly ({@link #rotate()}
 * draws new weights, at a point the test knows).
 */
final class RotatingHyperplaneStream {
    private final SplittableRandom random;
    private final double magnitude;
    private final double noise;
    private final double[] w;
    private final double[] direction;

    /** The attributes of the last example. */
    final double[] x;

    RotatingHyperplaneStream(long seed, int dimensions, double magnitude, double noise) {
        this.random = new SplittableRandom(seed);
        this.magnitude = magnitude;
        this.noise = noise;
        this.w = new double[dimensions];
        this.direction = new double[dimensions];
        this.x = new double[dimensions];
        for (int i = 0; i < dimensions; i++) {
            direction[i] = 1.0;
        }
        rotate();
    }

    /** An abrupt change: new weights, drawn uniformly on [0, 1]. */
    void rotate() {
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextDouble();
        }
    }

    /** Draws the next example into {@link #x} and returns its label. */
    int next() {
        double dot = 0.0;
        double threshold = 0.0;
        for (int i = 0; i < w.length; i++) {
            x[i] = random.nextDouble();
            dot += w[i] * x[i];
            threshold += w[i];
        }
        int label = dot >= threshold / 2 ? 1 : 0;
        if (magnitude > 0) {
            for (int i = 0; i < w.length; i++) {
                w[i] += direction[i] * magnitude;
                if (random.nextDouble() < 0.1) {
                    direction[i] = -direction[i];
                }
            }
        }
        return random.nextDouble() < noise ? 1 - label : label;
    }
}
