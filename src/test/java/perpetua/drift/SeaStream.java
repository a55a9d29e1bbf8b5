package perpetua.drift;

import java.util.SplittableRandom;

/**
 * The SEA concepts of Street and Kim (KDD 2001): three attributes uniform on [0, 10], of which only
 * the first two matter; the class is 1 when x1 + x2 <= θ, with θ = 8, 9, 7 and 9.5 for concepts 0
 * to 3, and a chosen fraction of labels flipped as noise.
 */
final class SeaStream {
    static final double[] THETAS = {8.0, 9.0, 7.0, 9.5};

    private final SplittableRandom random;
    private final double noise;

    /** The attributes of the last example. */
    final double[] x = new double[3];

    SeaStream(long seed, double noise) {
        this.random = new SplittableRandom(seed);
        this.noise = noise;
    }

    /** Draws the next example of the given concept into {@link #x} and returns its label. */
    int next(int concept) {
        for (int i = 0; i < 3; i++) {
            x[i] = random.nextDouble() * 10.0;
        }
        int label = x[0] + x[1] <= THETAS[concept] ? 1 : 0;
        return random.nextDouble() < noise ? 1 - label : label;
    }
}
