package perpetua.model;

import java.util.Arrays;
import perpetua.features.MicroBatch;

/**
 * The pairwise part of a factorization machine on a {@link NeuralModel}'s flat parameters: every
 * categorical input i of a row has a factor vector v_i (a row of the hashed table "factors") and a
 * value x_i, and the row's score gains the interactions of all its pairs of inputs.
 *
 * <p>Forward, per row, in O(inputs x dim) (Rendle's identity): {@code z += sum_{i<j} <v_i, v_j> x_i
 * x_j = 0.5 (|S|^2 - sum_i x_i^2 |v_i|^2)} with {@code S = sum_i x_i v_i}. Backward: {@code dz/dv_i
 * = x_i (S - x_i v_i)}, scattered onto the table rows the batch used, which join the model's lazily
 * updated sparse weights (with L2 there) as embedding rows do. The sums S of the last forward pass
 * are kept for the backward pass of the same batch; never state.
 */
final class FactorPart {
    private final float[] params;
    private final int offset;
    private final int dim;
    private final int[] rowMark;
    private int mark;
    private float[] sums = new float[0];

    FactorPart(ParameterLayout layout, float[] params) {
        this.params = params;
        this.offset = layout.factorOffset;
        this.dim = layout.factorDim;
        this.rowMark = new int[layout.factorRows];
    }

    /**
     * The interaction of row {@code r}'s inputs, from its sum S as the last forward pass left it.
     */
    // z_r += 0.5 (|S_r|^2 - sum_i x_i^2 |v_i|^2)
    void forward(MicroBatch batch, float[] logits) {
        int n = batch.size();
        if (sums.length < n * dim) {
            sums = new float[Math.max(n, 16) * dim];
        }
        for (int r = 0; r < n; r++) {
            int s = r * dim;
            Arrays.fill(sums, s, s + dim, 0f);
            double squares = addSums(batch, r, sums, s);
            double total = 0;
            for (int d = 0; d < dim; d++) {
                total += (double) sums[s + d] * sums[s + d];
            }
            logits[r] += (float) (0.5 * (total - squares));
        }
    }

    /**
     * Adds to each row of {@code batch} the interactions of its inputs with each other and with the
     * inputs of a base row whose sum is {@code baseSums} (S_b) and whose squares sum to {@code
     * baseSquares}, less the base row's own interactions: {@code 0.5 (|S_b + S_r|^2 - Q_b - Q_r) -
     * 0.5 (|S_b|^2 - Q_b)}, what joining the row's inputs to the base row's adds to its score. The
     * sums of the last forward pass are left as they were.
     */
    void addJoined(MicroBatch batch, float[] logits, float[] baseSums, double baseSquares) {
        int n = batch.size();
        float[] joined = new float[dim];
        double base = 0;
        for (int d = 0; d < dim; d++) {
            base += (double) baseSums[d] * baseSums[d];
        }
        double baseInteractions = 0.5 * (base - baseSquares);
        for (int r = 0; r < n; r++) {
            System.arraycopy(baseSums, 0, joined, 0, dim);
            double squares = baseSquares + addSums(batch, r, joined, 0);
            double total = 0;
            for (int d = 0; d < dim; d++) {
                total += (double) joined[d] * joined[d];
            }
            logits[r] += (float) (0.5 * (total - squares) - baseInteractions);
        }
    }

    /**
     * Fills {@code sums} with row {@code r}'s S = sum_i x_i v_i and returns sum_i x_i^2 |v_i|^2.
     */
    double sumsOf(MicroBatch batch, int r, float[] sums) {
        Arrays.fill(sums, 0, dim, 0f);
        return addSums(batch, r, sums, 0);
    }

    // sums[at ..] += row r's x_i v_i; returns sum_i x_i^2 |v_i|^2
    private double addSums(MicroBatch batch, int r, float[] sums, int at) {
        int[] start = batch.factorStart();
        int[] ids = batch.factorIds();
        float[] values = batch.factorValues();
        double squares = 0;
        for (int j = start[r]; j < start[r + 1]; j++) {
            float x = values[j];
            int base = offset + ids[j] * dim;
            for (int d = 0; d < dim; d++) {
                float xv = x * params[base + d];
                sums[at + d] += xv;
                squares += (double) xv * xv;
            }
        }
        return squares;
    }

    /** Factor dimensions. */
    int dim() {
        return dim;
    }

    /**
     * Adds dLoss/dv_i = dLoss/dz_r x_i (S_r - x_i v_i) for every input of every row to {@code
     * grad}, with {@code l2} on each table row once, and lists each row the batch touched as
     * active.
     */
    void backward(MicroBatch batch, float[] outGrad, float[] grad, float l2, SparseBlocks active) {
        if (++mark == 0) {
            Arrays.fill(rowMark, 0);
            mark = 1;
        }
        int n = batch.size();
        int[] start = batch.factorStart();
        int[] ids = batch.factorIds();
        float[] values = batch.factorValues();
        for (int r = 0; r < n; r++) {
            float g = outGrad[r];
            int s = r * dim;
            for (int j = start[r]; j < start[r + 1]; j++) {
                int id = ids[j];
                int base = offset + id * dim;
                if (rowMark[id] != mark) {
                    rowMark[id] = mark;
                    active.activate(base, dim);
                    if (l2 > 0) {
                        for (int d = 0; d < dim; d++) {
                            grad[base + d] += l2 * params[base + d];
                        }
                    }
                }
                if (g == 0f) {
                    continue;
                }
                float x = values[j];
                for (int d = 0; d < dim; d++) {
                    grad[base + d] += g * x * (sums[s + d] - x * params[base + d]);
                }
            }
        }
    }
}
