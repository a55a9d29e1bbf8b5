package perpetua.model;

import java.util.Arrays;
import perpetua.features.MicroBatch;
import perpetua.schemas.Activation;
import perpetua.schemas.Kernel;
import perpetua.schemas.ModelSpec;

/**
 * The forward and backward passes of a {@link NeuralModel} over one micro-batch, on the model's
 * flat parameters.
 *
 * <p>Forward: the deep input (dense values, then the mean embedding of each field's bag of ids),
 * each hidden layer {@code act(A W^T + b)} with inverted dropout while learning, the output layer
 * plus the wide part, then the task's activation. Backward: dLoss/dz from the loss, through the
 * layers by their kernels, into a gradient laid out as the parameters: dense blocks fully, wide and
 * embedding weights ({@link SparseBlocks}) and factor vectors ({@link FactorPart}) scattered onto
 * the indices the batch used (listed as active), L2 on every weight but the biases. Working buffers
 * grow to the largest batch seen and are never state; the last forward pass is reused when learning
 * follows a prediction of the same batch and weights.
 */
final class ForwardBackward {
    private final ParameterLayout p;
    private final ModelSpec spec;
    private final float[] params;
    private final float l2;
    private final DenseKernel[] kernels;

    /** The factorization machine's pairwise part; null without one. */
    private final FactorPart factors;

    /** The gradient, laid out as the parameters; sparse blocks only at the active indices. */
    final float[] grad;

    /** The wide weights and embedding tables, and the indices of them the last pass used. */
    final SparseBlocks sparse;

    /** A regression label is learned as {@code (y - targetShift) / targetScale}. */
    float targetShift;

    float targetScale = 1f;

    private int rowCapacity;
    private float[][] acts; // acts[0]: input; acts[l + 1]: output of hidden layer l
    private float[][] dropped; // dropout applied to acts[l + 1] while learning
    private float[][] masks;
    private float[][] dActs;
    private float[] logits = new float[0];
    private float[] out = new float[0];
    // A MULTICLASS row's log-sum-exp of its logits, from the softmax that gave its probabilities.
    private double[] logNormalizers = new double[0];
    private final double[] classExps;
    private float[] outGrad = new float[0];
    // What the last forward pass ran on, so that learning right after predicting the same batch
    // with the same weights reuses it (only without dropout, which changes the pass).
    private MicroBatch forwardBatch;
    private long forwardChanges;
    private boolean forwardReusable;
    // The batch whose embeddings are in acts[0] and whose wide sums are in wideSums, as its rows
    // were then, while the weights stay: a batch with the same sparse rows (the learned copy of
    // rows just predicted, which differs in its dense scaling alone) takes them from there.
    private MicroBatch sparseBatch;
    private long sparseChanges;
    private boolean sparseReusable;
    private float[] wideSums = new float[0];

    ForwardBackward(ParameterLayout layout, ModelSpec spec, float[] params) {
        this.p = layout;
        this.spec = spec;
        this.params = params;
        this.l2 = spec.getL2();
        this.grad = new float[params.length];
        this.sparse = new SparseBlocks(layout, params, grad, l2);
        this.factors = layout.factorDim > 0 ? new FactorPart(layout, params) : null;
        this.classExps = new double[layout.k];
        this.kernels = new DenseKernel[layout.layers + 1];
        for (int l = 0; l <= layout.layers; l++) {
            int in = layout.width[l];
            int o = l < layout.layers ? layout.width[l + 1] : layout.k;
            Kernel kind = in == 0 ? Kernel.PRIMITIVE : Kernels.choose(spec, in, o);
            kernels[l] = Kernels.create(kind, in, o);
        }
    }

    // Scores of joined rows (joinedScores), apart from the pass's own buffers, and the base row's
    // factor sums they start from.
    private float[] joined = new float[0];
    private float[] baseFactorSums;

    /** The kernel of each dense layer, the output layer last. */
    DenseKernel[] kernels() {
        return kernels;
    }

    /** The scores of the last forward pass before the task's activation, {@code k} a row. */
    float[] logits() {
        return logits;
    }

    /** The outputs of the last forward pass: probabilities or values, {@code k} a row. */
    float[] out() {
        return out;
    }

    // Every write to the parameters ends here, so that no kernel reuses a copy of old weights.
    void weightsChanged() {
        forwardReusable = false;
        sparseReusable = false;
        for (DenseKernel kernel : kernels) {
            kernel.weightsChanged();
        }
    }

    /**
     * The input of hidden layer l (or of the output layer, l = layers) in the last forward pass.
     */
    private float[] inputOf(int l, float[] input, boolean training) {
        if (l == 0) {
            return input;
        }
        return training && p.dropout[l - 1] > 0 ? dropped[l] : acts[l];
    }

    private float[] input(MicroBatch batch) {
        return p.fields == 0 ? batch.dense() : acts[0];
    }

    /**
     * Whether the embeddings in acts[0] and the wide sums of the last pass that computed them are
     * those of {@code batch}'s {@code n} rows: the weights unchanged since, and that pass's batch
     * unchanged and with the same sparse rows.
     */
    private boolean sparseSame(MicroBatch batch, int n) {
        return sparseReusable
                && (p.wide || p.fields > 0)
                && sparseBatch.changes() == sparseChanges
                && sparseBatch.size() == n
                && batch.sameSparse(sparseBatch, n);
    }

    /** Fills {@link #out} (and the logits) for the batch's rows. */
    void forward(MicroBatch batch, boolean training, long step) {
        if (!p.anyDropout
                && forwardReusable
                && batch == forwardBatch
                && batch.changes() == forwardChanges) {
            return;
        }
        int n = batch.size();
        int k = p.k;
        ensureRows(n);
        forwardBatch = batch;
        forwardChanges = batch.changes();
        // A pass with dropout differs from the next one; without, it is the same computation.
        forwardReusable = !p.anyDropout;
        boolean sparseSame = sparseSame(batch, n);
        if (!sparseSame) {
            sparseBatch = batch;
            sparseChanges = batch.changes();
            sparseReusable = true;
        }
        if (p.fields > 0) {
            if (sparseSame) {
                sparse.copyDense(batch, acts[0]);
            } else {
                sparse.gatherEmbeddings(batch, acts[0]);
            }
        }
        float[] input = input(batch);
        for (int l = 0; l < p.layers; l++) {
            kernels[l].forward(
                    inputOf(l, input, training),
                    n,
                    params,
                    p.weightOffset[l],
                    p.biasOffset[l],
                    p.activation[l],
                    acts[l + 1]);
            if (training && p.dropout[l] > 0) {
                applyDropout(l, n, step);
            }
        }
        kernels[p.layers].forward(
                inputOf(p.layers, input, training), n, params, k, 0, Activation.IDENTITY, logits);
        if (p.wide) {
            if (sparseSame) {
                sparse.addSums(n, logits, wideSums);
            } else {
                sparse.addWide(batch, logits, wideSums);
            }
        }
        if (factors != null) {
            factors.forward(batch, logits);
        }
        int size = n * k;
        switch (p.task) {
            case BINARY:
                for (int i = 0; i < size; i++) {
                    out[i] = (float) (1.0 / (1.0 + Math.exp(-logits[i])));
                }
                break;
            case MULTICLASS:
                for (int r = 0; r < n; r++) {
                    logNormalizers[r] = Losses.softmax(logits, out, r * k, k, classExps);
                }
                break;
            default:
                System.arraycopy(logits, 0, out, 0, size);
                break;
        }
    }

    private void applyDropout(int l, int n, long step) {
        int w = p.width[l + 1];
        float drop = p.dropout[l];
        float keep = 1f / (1f - drop);
        float[] a = acts[l + 1];
        float[] d = dropped[l + 1];
        float[] m = masks[l + 1];
        long seed = spec.getSeed();
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < w; j++) {
                int i = r * w + j;
                m[i] = uniform(seed, step, l, i) < drop ? 0f : keep;
                d[i] = a[i] * m[i];
            }
        }
    }

    /**
     * A uniform draw in [0, 1) that depends only on (seed, step, layer, index): dropout needs no
     * random state, and a restored model drops the same units as the original would have.
     */
    static double uniform(long seed, long step, int layer, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + step;
        z = z * 0xBF58476D1CE4E5B9L + layer;
        z = z * 0x94D049BB133111EBL + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    /**
     * The scores of {@code items}' rows each joined with row 0 of {@code base}: the base row's
     * score plus what the row's inputs add to it, in its wide part and in the factor part, which
     * alone mixes the inputs of the two. Exact when neither has embeddings ({@code p.fields == 0}):
     * the dense layers then see only the base row's dense values, and the item rows' own dense
     * values and numerics are not read. One output per row; the array is a working buffer.
     */
    float[] joinedScores(MicroBatch base, MicroBatch items) {
        if (p.fields != 0 || p.k != 1) {
            throw new IllegalStateException("rows join only without embeddings, one output a row");
        }
        forward(base, false, 0);
        float baseScore = logits[0];
        int n = items.size();
        if (joined.length < n) {
            joined = new float[Math.max(n, 16)];
        }
        Arrays.fill(joined, 0, n, baseScore);
        if (p.wide) {
            sparse.addWide(items, joined);
        }
        if (factors != null) {
            if (baseFactorSums == null) {
                baseFactorSums = new float[factors.dim()];
            }
            double squares = factors.sumsOf(base, 0, baseFactorSums);
            factors.addJoined(items, joined, baseFactorSums, squares);
        }
        return joined;
    }

    /**
     * Runs the forward pass while learning and fills dLoss/dz per row, already weighted: L = sum_r
     * w_r l_r / sum_r w_r over the learnable rows.
     *
     * @return L, or NaN when no row is learnable (dLoss/dz is then all zero)
     */
    double forwardLoss(MicroBatch batch, long step) {
        forward(batch, true, step);
        if (spec.getPairwise()) {
            return Losses.pairwise(batch, logits, out, outGrad);
        }
        return Losses.weighted(
                p.loss,
                spec.getHuberDelta(),
                batch,
                logits,
                out,
                logNormalizers,
                outGrad,
                p.k,
                targetShift,
                targetScale);
    }

    /**
     * Fills {@link #grad}: dense blocks fully, wide and embedding weights on the active indices, L2
     * included on every weight but the biases.
     *
     * @return the data loss, NaN when no row is learnable
     */
    double backward(MicroBatch batch, long step) {
        int n = batch.size();
        double value = n == 0 ? Double.NaN : forwardLoss(batch, step);
        float[] input = input(batch);
        int layers = p.layers;
        boolean needInputGrad = layers > 0 || p.fields > 0;
        kernels[layers].backward(
                outGrad,
                inputOf(layers, input, true),
                n,
                params,
                p.k,
                0,
                grad,
                needInputGrad ? dActs[layers] : null);
        for (int l = layers - 1; l >= 0; l--) {
            int size = n * p.width[l + 1];
            float[] d = dActs[l + 1];
            if (p.dropout[l] > 0) {
                float[] m = masks[l + 1];
                for (int i = 0; i < size; i++) {
                    d[i] *= m[i];
                }
            }
            Activations.backward(p.activation[l], acts[l + 1], d, size);
            boolean below = l > 0 || p.fields > 0;
            kernels[l].backward(
                    d,
                    inputOf(l, input, true),
                    n,
                    params,
                    p.weightOffset[l],
                    p.biasOffset[l],
                    grad,
                    below ? dActs[l] : null);
        }
        if (l2 > 0) {
            for (int i = p.k; i < p.hashedOffset; i++) {
                grad[i] += l2 * params[i];
            }
            for (int l = 0; l < layers; l++) {
                for (int i = p.weightOffset[l]; i < p.biasOffset[l]; i++) {
                    grad[i] += l2 * params[i];
                }
            }
        }
        sparse.scatter(batch, outGrad, dActs[0]);
        if (factors != null) {
            factors.backward(batch, outGrad, grad, l2, sparse);
        }
        return value;
    }

    /** {@code 0.5 l2 ||w||^2} over every weight but the biases. */
    double l2Penalty() {
        if (l2 == 0f) {
            return 0.0;
        }
        double sum = 0;
        for (int i = p.k; i < p.layersOffset; i++) {
            sum += (double) params[i] * params[i];
        }
        for (int l = 0; l < p.layers; l++) {
            for (int i = p.weightOffset[l]; i < p.biasOffset[l]; i++) {
                sum += (double) params[i] * params[i];
            }
        }
        return 0.5 * l2 * sum;
    }

    private void ensureRows(int n) {
        if (n <= rowCapacity && acts != null) {
            return;
        }
        int layers = p.layers;
        int capacity = Math.max(n, Math.max(16, rowCapacity * 2));
        acts = new float[layers + 1][];
        dropped = new float[layers + 1][];
        masks = new float[layers + 1][];
        dActs = new float[layers + 1][];
        for (int l = 0; l <= layers; l++) {
            acts[l] = new float[capacity * p.width[l]];
            dActs[l] = new float[capacity * p.width[l]];
            if (l > 0 && p.dropout[l - 1] > 0) {
                dropped[l] = new float[capacity * p.width[l]];
                masks[l] = new float[capacity * p.width[l]];
            }
        }
        logits = new float[capacity * p.k];
        wideSums = new float[capacity * p.k];
        sparseReusable = false;
        out = new float[capacity * p.k];
        logNormalizers = new double[capacity];
        outGrad = new float[capacity * p.k];
        rowCapacity = capacity;
    }
}
