package perpetua.model;

import perpetua.features.MicroBatch;

/**
 * The running mean and standard deviation of a regression model's label, so that the model learns
 * the label standardized, {@code (y - mean) / sd}, and predicts {@code mean + sd * f(x)} in the
 * label's own units: its steps do not depend on whether the label is in cents or millions.
 *
 * <p>The moments take each learned group's labels (weighted) before the group's step, so that even
 * the first step sees a standardized label; between steps they stand still, so that every
 * prediction of one model version uses the same ones.
 */
final class TargetScaler {
    /** Below this variance the label is treated as constant: centred, not scaled. */
    private static final double MIN_VARIANCE = 1e-12;

    private double weight;
    private double mean;
    private double m2;

    /** A scaler that has seen no label. */
    TargetScaler() {}

    /** A scaler that goes on from {@link #moments()}. */
    TargetScaler(double[] moments) {
        if (moments.length != 3) {
            throw new IllegalArgumentException("target moments are weight, mean and m2");
        }
        this.weight = moments[0];
        this.mean = moments[1];
        this.m2 = moments[2];
    }

    /** Folds the labels of the learnable rows of {@code batch} into the moments, by weight. */
    void fold(MicroBatch batch) {
        for (int r = 0; r < batch.size(); r++) {
            float w = batch.weight(r);
            float y = batch.label(r);
            if (Losses.learnable(y, w)) {
                // West's weighted update of mean and sum of squared deviations.
                weight += w;
                double delta = y - mean;
                mean += delta * w / weight;
                m2 += w * delta * (y - mean);
            }
        }
    }

    /** The mean that a standardized label is centred on. */
    float shift() {
        return (float) mean;
    }

    /** The standard deviation that a standardized label is divided by; 1 while it is unknown. */
    float scale() {
        double var = weight > 0 ? m2 / weight : 0;
        return var < MIN_VARIANCE ? 1f : (float) Math.sqrt(var);
    }

    /** Weight, mean and sum of squared deviations, for state and snapshots. */
    double[] moments() {
        return new double[] {weight, mean, m2};
    }
}
