package perpetua.model;

import java.util.Arrays;
import perpetua.features.MicroBatch;

/**
 * The sparse blocks of a {@link NeuralModel}'s parameters, the wide weights and the embedding
 * tables, as a pass over one micro-batch touches them.
 *
 * <p>A batch reads and writes these blocks only at the slots and ids its rows name: the forward
 * pass gathers the mean embedding of each field's bag into the deep input and adds the wide part to
 * the logits; the backward pass scatters dLoss/dz and dLoss/dInput onto those indices, with L2 on
 * each once, and lists them as active so that the optimizer updates them and only them. The lists
 * are deduplicated by marking each slot and table row with the pass's number, which costs nothing
 * to clear between passes. Working buffers only, never state.
 */
final class SparseBlocks {
    private final ParameterLayout p;
    private final float[] params;
    private final float[] grad;
    private final float l2;

    /** Indices of wide weights the last backward pass used, {@link #wideCount} of them. */
    int[] activeWide = new int[64];

    int wideCount;

    /**
     * Indices of embedding and factor weights the last backward pass used, {@link #embCount} of
     * them.
     */
    int[] activeEmb = new int[64];

    int embCount;

    private final int[] slotMark;
    private final int[] rowMark;
    private int mark;

    SparseBlocks(ParameterLayout layout, float[] params, float[] grad, float l2) {
        this.p = layout;
        this.params = params;
        this.grad = grad;
        this.l2 = l2;
        this.slotMark = new int[layout.hashSize];
        this.rowMark = new int[layout.tableOffset.length * layout.embRows];
    }

    /** Writes each row's dense values, then the mean embedding of each of its bags, into input. */
    void gatherEmbeddings(MicroBatch batch, float[] input) {
        // row r, field f: input[r, column_f ..] = mean of the table rows of the bag's ids
        copyDense(batch, input);
        int n = batch.size();
        int in = p.width[0];
        int[] bagStart = batch.bagStart();
        int[] ids = batch.bagIds();
        for (int r = 0; r < n; r++) {
            for (int f = 0; f < p.fields; f++) {
                int col = r * in + p.fieldColumn[f];
                int dim = p.fieldDim[f];
                int from = bagStart[r * p.fields + f];
                int to = bagStart[r * p.fields + f + 1];
                int table = p.tableOffset[p.fieldTable[f]];
                if (to - from == 1) {
                    // A bag of one, the usual case: its row as it is.
                    System.arraycopy(params, table + ids[from] * dim, input, col, dim);
                    continue;
                }
                Arrays.fill(input, col, col + dim, 0f);
                if (to == from) {
                    continue;
                }
                float scale = 1f / (to - from);
                for (int j = from; j < to; j++) {
                    int base = table + ids[j] * dim;
                    for (int d = 0; d < dim; d++) {
                        input[col + d] += scale * params[base + d];
                    }
                }
            }
        }
    }

    /**
     * Writes each row's dense values into input and leaves its embedding columns as they are (on
     * its own: for rows whose bags are those of the rows last gathered there).
     */
    void copyDense(MicroBatch batch, float[] input) {
        int n = batch.size();
        int in = p.width[0];
        float[] dense = batch.dense();
        for (int r = 0; r < n; r++) {
            System.arraycopy(dense, r * p.denseWidth, input, r * in, p.denseWidth);
        }
    }

    /** Adds the wide part of each row to its logits, {@code k} a row. */
    void addWide(MicroBatch batch, float[] logits) {
        addWide(batch, logits, null);
    }

    /**
     * Adds the wide part of each row to its logits, {@code k} a row, and keeps each sum in {@code
     * sums} when it is not null, for {@link #addSums}.
     */
    void addWide(MicroBatch batch, float[] logits, float[] sums) {
        // z[r, c] += sum_j value_j W_h[c, slot_j]
        int n = batch.size();
        int k = p.k;
        int[] start = batch.slotStart();
        int[] slots = batch.slots();
        float[] values = batch.slotValues();
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                int base = p.hashedOffset + c * p.hashSize;
                float z = 0f;
                for (int j = start[r]; j < start[r + 1]; j++) {
                    z += values[j] * params[base + slots[j]];
                }
                logits[r * k + c] += z;
                if (sums != null) {
                    sums[r * k + c] = z;
                }
            }
        }
    }

    /**
     * Adds wide sums kept by {@link #addWide(MicroBatch, float[], float[])} to the logits of {@code
     * n} rows: the same additions, so the same logits, as that pass made.
     */
    void addSums(int n, float[] logits, float[] sums) {
        for (int i = 0; i < n * p.k; i++) {
            logits[i] += sums[i];
        }
    }

    /**
     * Scatters the gradient of a backward pass onto the wide weights (from dLoss/dz, {@code k} a
     * row) and the embedding rows (from dLoss/dInput of the deep input) the batch used, L2
     * included, and lists them as active; the factor part adds its rows after.
     */
    void scatter(MicroBatch batch, float[] outGrad, float[] inputGrad) {
        if (++mark == 0) {
            // The marker wrapped around: old marks could collide with new ones.
            Arrays.fill(slotMark, 0);
            Arrays.fill(rowMark, 0);
            mark = 1;
        }
        if (p.wide) {
            scatterWide(batch, outGrad);
        }
        embCount = 0;
        if (p.fields > 0) {
            scatterEmbeddings(batch, inputGrad);
        }
    }

    /**
     * Lists {@code count} sparse weights from {@code from} as used by this backward pass: the
     * optimizer updates them, and only them, with the embedding rows.
     */
    void activate(int from, int count) {
        activeEmb = ensure(activeEmb, embCount + count);
        for (int d = 0; d < count; d++) {
            activeEmb[embCount++] = from + d;
        }
    }

    private void scatterWide(MicroBatch batch, float[] outGrad) {
        int n = batch.size();
        int k = p.k;
        int[] start = batch.slotStart();
        int[] slots = batch.slots();
        float[] values = batch.slotValues();
        wideCount = 0;
        if (k == 1) {
            scatterWideOne(n, start, slots, values, outGrad);
            return;
        }
        for (int r = 0; r < n; r++) {
            for (int j = start[r]; j < start[r + 1]; j++) {
                int s = slots[j];
                if (slotMark[s] != mark) {
                    slotMark[s] = mark;
                    activeWide = ensure(activeWide, wideCount + k);
                    for (int c = 0; c < k; c++) {
                        activeWide[wideCount++] = p.hashedOffset + c * p.hashSize + s;
                    }
                }
                float v = values[j];
                for (int c = 0; c < k; c++) {
                    grad[p.hashedOffset + c * p.hashSize + s] += v * outGrad[r * k + c];
                }
            }
        }
        addL2(activeWide, wideCount);
    }

    /** {@link #scatterWide} for one output, a weight a slot: the usual binary or regression. */
    private void scatterWideOne(int n, int[] start, int[] slots, float[] values, float[] outGrad) {
        int base = p.hashedOffset;
        int count = 0;
        int[] active = ensure(activeWide, start[n] - start[0]);
        for (int r = 0; r < n; r++) {
            float g = outGrad[r];
            for (int j = start[r]; j < start[r + 1]; j++) {
                int s = slots[j];
                if (slotMark[s] != mark) {
                    slotMark[s] = mark;
                    active[count++] = base + s;
                }
                grad[base + s] += values[j] * g;
            }
        }
        activeWide = active;
        wideCount = count;
        addL2(active, count);
    }

    private void scatterEmbeddings(MicroBatch batch, float[] inputGrad) {
        int n = batch.size();
        int in = p.width[0];
        int[] bagStart = batch.bagStart();
        int[] ids = batch.bagIds();
        for (int r = 0; r < n; r++) {
            for (int f = 0; f < p.fields; f++) {
                int from = bagStart[r * p.fields + f];
                int to = bagStart[r * p.fields + f + 1];
                if (to == from) {
                    continue;
                }
                float scale = 1f / (to - from);
                int dim = p.fieldDim[f];
                int col = r * in + p.fieldColumn[f];
                int table = p.fieldTable[f];
                for (int j = from; j < to; j++) {
                    int id = ids[j];
                    int base = p.tableOffset[table] + id * dim;
                    int m = table * p.embRows + id;
                    if (rowMark[m] != mark) {
                        rowMark[m] = mark;
                        activeEmb = ensure(activeEmb, embCount + dim);
                        for (int d = 0; d < dim; d++) {
                            activeEmb[embCount++] = base + d;
                        }
                    }
                    for (int d = 0; d < dim; d++) {
                        grad[base + d] += scale * inputGrad[col + d];
                    }
                }
            }
        }
        addL2(activeEmb, embCount);
    }

    /** Adds L2's gradient to the first {@code count} weights of {@code indices}. */
    private void addL2(int[] indices, int count) {
        if (l2 > 0) {
            // Without L2 this pass would only read each active weight, a cache miss apiece.
            for (int a = 0; a < count; a++) {
                int i = indices[a];
                grad[i] += l2 * params[i];
            }
        }
    }

    /** Zeroes the sparse part of the gradient and forgets the active indices. */
    void clearGradient() {
        for (int a = 0; a < wideCount; a++) {
            grad[activeWide[a]] = 0f;
        }
        for (int a = 0; a < embCount; a++) {
            grad[activeEmb[a]] = 0f;
        }
        wideCount = 0;
        embCount = 0;
    }

    private static int[] ensure(int[] array, int needed) {
        return needed > array.length
                ? Arrays.copyOf(array, Math.max(needed, array.length * 2))
                : array;
    }
}
