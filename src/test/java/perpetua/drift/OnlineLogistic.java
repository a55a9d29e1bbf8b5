package perpetua.drift;

/**
 * A plain online logistic regression (SGD on the log loss, constant rate), only to turn a synthetic
 * stream into the 0/1 error stream a drift detector watches. It predicts each example before it
 * learns from it.
 */
final class OnlineLogistic {
    private final double[] w;
    private final double maxRate;
    private final double c;
    private final double inputScale;
    private long t;

    /**
     * @param dimensions attributes per example
     * @param maxRate the largest learning rate
     * @param c the rate at example t is min(maxRate, c / t)
     * @param inputScale attributes are multiplied by this first (1/10 for SEA's [0, 10])
     */
    OnlineLogistic(int dimensions, double maxRate, double c, double inputScale) {
        this.w = new double[dimensions + 1];
        this.maxRate = maxRate;
        this.c = c;
        this.inputScale = inputScale;
    }

    /** Predicts x, learns from the label, and returns 1 if the prediction was wrong, else 0. */
    int errorThenLearn(double[] x, int label) {
        double z = w[x.length];
        for (int i = 0; i < x.length; i++) {
            z += w[i] * x[i] * inputScale;
        }
        double p = 1.0 / (1.0 + Math.exp(-z));
        int predicted = p >= 0.5 ? 1 : 0;
        // d(log loss)/dz = p - y
        double g = p - label;
        double rate = Math.min(maxRate, c / ++t);
        for (int i = 0; i < x.length; i++) {
            w[i] -= rate * g * x[i] * inputScale;
        }
        w[x.length] -= rate * g;
        return predicted == label ? 0 : 1;
    }
}
