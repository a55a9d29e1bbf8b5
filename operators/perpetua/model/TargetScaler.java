package perpetua.model;

import java.util.List;
import perpetua.features.MicroBatch;
import perpetua.schemas.Tensor;

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
    /** The parameter tensor of a regression model's label moments: weight, mean, m2. */
    static final String TENSOR = "target";

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

    /** Copies weight, mean and sum of squared deviations into {@code into}. */
    void saveMoments(double[] into) {
        into[0] = weight;
        into[1] = mean;
        into[2] = m2;
    }

    /** Goes back to the moments {@link #saveMoments} copied. */
    void loadMoments(double[] from) {
        weight = from[0];
        mean = from[1];
        m2 = from[2];
    }

    /** The moments as the parameter tensor {@link #TENSOR} {@code [3]}: weight, mean, m2. */
    Tensor toTensor() {
        return Tensors.toTensor(
                TENSOR, new int[] {3}, new float[] {(float) weight, (float) mean, (float) m2});
    }

    /**
     * The scaler whose moments are among {@code parameters}, or null when they hold none: a
     * snapshot of a model that learned before target scaling existed has no such tensor.
     */
    static TargetScaler fromTensors(List<Tensor> parameters) {
        for (Tensor t : parameters) {
            if (t.getName().equals(TENSOR)) {
                float[] v = Tensors.toFloats(t);
                return new TargetScaler(new double[] {v[0], v[1], v[2]});
            }
        }
        return null;
    }
}
