package perpetua.model;

import java.util.Arrays;
import perpetua.features.MicroBatch;
import perpetua.schemas.Loss;

/** The losses of a {@link NeuralModel} and their gradients with respect to the logits. */
final class Losses {
    private Losses() {}

    /**
     * The weighted mean loss of the batch's learnable rows, L = sum_r w_r l_r / sum_r w_r, and
     * dL/dz per row into {@code outGrad}.
     *
     * <p>A regression label is learned standardized: {@code (y - shift) / scale}.
     *
     * @return L, or NaN when no row is learnable ({@code outGrad} is then all zero)
     */
    static double weighted(
            Loss loss,
            float delta,
            MicroBatch batch,
            float[] logits,
            float[] out,
            double[] logNormalizers,
            float[] outGrad,
            int k,
            float shift,
            float scale) {
        int n = batch.size();
        Arrays.fill(outGrad, 0, n * k, 0f);
        float[] labels = batch.labels();
        float[] weights = batch.weights();
        double weightSum = 0;
        for (int r = 0; r < n; r++) {
            if (learnable(labels[r], weights[r])) {
                weightSum += weights[r];
            }
        }
        if (weightSum == 0) {
            return Double.NaN;
        }
        double total = 0;
        for (int r = 0; r < n; r++) {
            if (!learnable(labels[r], weights[r])) {
                continue;
            }
            double c = weights[r] / weightSum;
            float y = labels[r];
            int row = r * k;
            switch (loss) {
                case LOG_LOSS:
                    {
                        // softplus(z) - y z; gradient p - y
                        double z = logits[r];
                        total += c * (softplus(z) - y * z);
                        outGrad[r] = (float) (c * (out[r] - y));
                        break;
                    }
                case CROSS_ENTROPY:
                    {
                        // logsumexp(z) - z_y; gradient p - onehot(y)
                        int label = (int) y;
                        total += c * (logNormalizers[r] - logits[row + label]);
                        for (int cl = 0; cl < k; cl++) {
                            double target = cl == label ? 1.0 : 0.0;
                            outGrad[row + cl] = (float) (c * (out[row + cl] - target));
                        }
                        break;
                    }
                case HUBER:
                    {
                        // 0.5 d^2 within delta, delta (|d| - 0.5 delta) beyond; gradient clipped d
                        double d = (double) logits[r] - (y - shift) / scale;
                        double ad = Math.abs(d);
                        total += c * (ad <= delta ? 0.5 * d * d : delta * (ad - 0.5 * delta));
                        outGrad[r] = (float) (c * Math.max(-delta, Math.min(delta, d)));
                        break;
                    }
                default:
                    {
                        double d = (double) logits[r] - (y - shift) / scale;
                        total += c * 0.5 * d * d;
                        outGrad[r] = (float) (c * d);
                        break;
                    }
            }
        }
        return total;
    }

    /**
     * The pairwise ranking loss of implicit feedback (BPR) over a group of events each followed by
     * its sampled negatives: every negative (label 0) is compared with the positive (label 1)
     * before it, l = -log sigmoid(z_pos - z_neg) = softplus(z_neg - z_pos); a positive with no
     * negative after it and a negative with no positive before it are learned with the log loss of
     * their label. L = sum_t w_t l_t / sum_t w_t over these terms, a pair weighing as its negative,
     * and dL/dz per row into {@code outGrad}.
     *
     * @return L, or NaN when no row is learnable ({@code outGrad} is then all zero)
     */
    static double pairwise(MicroBatch batch, float[] logits, float[] out, float[] outGrad) {
        int n = batch.size();
        Arrays.fill(outGrad, 0, n, 0f);
        float[] labels = batch.labels();
        float[] weights = batch.weights();
        // Pass 1: the weight of each term; pass 2: the loss and gradients.
        double weightSum = 0;
        int positive = -1;
        boolean paired = false;
        for (int r = 0; r < n; r++) {
            if (!learnable(labels[r], weights[r])) {
                continue;
            }
            if (labels[r] >= 0.5f) {
                if (positive >= 0 && !paired) {
                    weightSum += weights[positive];
                }
                positive = r;
                paired = false;
            } else {
                weightSum += weights[r];
                paired |= positive >= 0;
            }
        }
        if (positive >= 0 && !paired) {
            weightSum += weights[positive];
        }
        if (weightSum == 0) {
            return Double.NaN;
        }
        double total = 0;
        positive = -1;
        paired = false;
        for (int r = 0; r <= n; r++) {
            boolean end = r == n;
            if (!end && !learnable(labels[r], weights[r])) {
                continue;
            }
            if (end || labels[r] >= 0.5f) {
                if (positive >= 0 && !paired) {
                    double c = weights[positive] / weightSum;
                    double z = logits[positive];
                    total += c * (softplus(z) - z);
                    outGrad[positive] += (float) (c * (out[positive] - 1.0));
                }
                if (end) {
                    break;
                }
                positive = r;
                paired = false;
                continue;
            }
            double c = weights[r] / weightSum;
            if (positive < 0) {
                double z = logits[r];
                total += c * softplus(z);
                outGrad[r] += (float) (c * out[r]);
                continue;
            }
            paired = true;
            // d/dz_neg softplus(z_neg - z_pos) = sigmoid(z_neg - z_pos); d/dz_pos its negative.
            double d = (double) logits[r] - logits[positive];
            total += c * softplus(d);
            double g = c / (1.0 + Math.exp(-d));
            outGrad[r] += (float) g;
            outGrad[positive] -= (float) g;
        }
        return total;
    }

    /** A row is learned from when it has a weight and a label. */
    static boolean learnable(float label, float weight) {
        return weight > 0 && !Float.isNaN(label);
    }

    static boolean hasLearnableRow(MicroBatch batch) {
        for (int r = 0; r < batch.size(); r++) {
            if (learnable(batch.label(r), batch.weight(r))) {
                return true;
            }
        }
        return false;
    }

    // softplus(z) = log(1 + e^z), written so that neither branch overflows
    static double softplus(double z) {
        return Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /**
     * Sets p = exp(z - max) / sum exp(z - max) and returns the log-sum-exp of z, max + log(sum),
     * which the cross-entropy needs: each exponential computed once, kept in {@code exps} (at least
     * {@code length} long) between the two passes.
     */
    static double softmax(float[] z, float[] p, int from, int length, double[] exps) {
        double max = max(z, from, length);
        double sum = 0;
        for (int i = from; i < from + length; i++) {
            double e = Math.exp(z[i] - max);
            exps[i - from] = e;
            sum += e;
        }
        for (int i = from; i < from + length; i++) {
            p[i] = (float) (exps[i - from] / sum);
        }
        return max + Math.log(sum);
    }

    private static double max(float[] z, int from, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + length; i++) {
            max = Math.max(max, z[i]);
        }
        return max;
    }
}
