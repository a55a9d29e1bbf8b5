package perpetua.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

/**
 * A linear model over dense inputs and hashed categorical slots: logistic regression (BINARY),
 * softmax regression (MULTICLASS) or least-squares regression (REGRESSION).
 *
 * <p>Parameters are one flat {@code float[]}: bias {@code [K]}, dense weights {@code [K x D]} and
 * hashed weights {@code [K x 2^bits]}, row-major, where K is 1 for BINARY and REGRESSION and the
 * class count for MULTICLASS and D the encoder's dense width. They start at zero. The state worth
 * keeping is {@link #parameters()}, {@link #optimizerState()} and {@link #steps()}; everything
 * else, the ND4J arrays included, is a working buffer rebuilt on demand and never stored.
 *
 * <p>Per micro-batch, the dense part of the logits is one ND4J GEMM and the output activation one
 * ND4J op; the hashed part is a gather (forward) and a scatter (backward) in primitive arrays,
 * because a row touches only a handful of the 2^bits slots. A learning step updates the bias and
 * dense weights fully and the hashed weights only on the slots active in the batch. L2 is therefore
 * applied lazily to hashed weights: a hashed weight decays only on steps whose batch uses its slot,
 * whereas {@link #gradient} and {@link #loss} report the exact full objective.
 *
 * <p>Not thread-safe; one instance serves one operator thread.
 */
public final class LinearModel {

    private final ModelSpec spec;
    private final Task task;
    private final int k;
    private final int denseWidth;
    private final int hashSize;
    private final int denseOffset;
    private final int hashedOffset;
    private final float l2;
    private final float[] params;
    private final Optimizer optimizer;
    private long steps;

    // Working buffers, grown to the largest batch seen and reused; never part of state.
    private transient int rowCapacity;
    private transient INDArray xBuf; // [cap x D] dense inputs
    private transient INDArray zBuf; // [cap x K] logits, then activations
    private transient INDArray gBuf; // [cap x K] dLoss/dLogits
    private transient INDArray wBuf; // [K x D] copy of the dense weights
    private transient INDArray dwBuf; // [K x D] dense weight gradient
    private transient boolean weightsStale = true;
    private transient float[] logits = new float[0];
    private transient float[] out = new float[0];
    private transient float[] outGrad = new float[0];
    // Full-size gradient; its hashed part is zero between calls except on the active indices.
    private transient float[] grad;
    private transient int[] slotMark;
    private transient int mark;
    private transient int[] activeIndices = new int[64];
    private transient int activeCount;

    /** Creates a zero-initialized model for {@code spec}. */
    public LinearModel(ModelSpec spec) {
        this.spec = spec;
        this.task = spec.getTask();
        this.k = outputsOf(spec);
        this.denseWidth = spec.getDenseSize() + spec.getNumericFeatures().size();
        int bits = spec.getHashBits();
        if (bits < 0 || bits > 30) {
            throw new IllegalArgumentException("hashBits must lie in [0, 30]: " + bits);
        }
        this.hashSize = 1 << bits;
        this.denseOffset = k;
        this.hashedOffset = k + k * denseWidth;
        long count = (long) hashedOffset + (long) k * hashSize;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("model too large: " + count + " parameters");
        }
        if (!(spec.getL2() >= 0)) {
            throw new IllegalArgumentException("l2 must be >= 0: " + spec.getL2());
        }
        this.l2 = spec.getL2();
        this.params = new float[(int) count];
        this.optimizer = Optimizer.create(spec, params.length);
        this.grad = new float[params.length];
        this.slotMark = new int[hashSize];
    }

    /** Returns a model with the given parameters, optimizer state and step count. */
    public static LinearModel restore(
            ModelSpec spec, float[] parameters, float[] optimizerState, long steps) {
        LinearModel model = new LinearModel(spec);
        model.setParameters(parameters);
        model.optimizer.restoreState(optimizerState);
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0: " + steps);
        }
        model.steps = steps;
        return model;
    }

    /** Returns a model rebuilt from {@link #parameterTensors()} and {@link #optimizerTensors()}. */
    public static LinearModel fromTensors(
            ModelSpec spec, List<Tensor> parameters, List<Tensor> optimizerState, long steps) {
        LinearModel model = new LinearModel(spec);
        float[] flat = new float[model.params.length];
        model.copyTensor(parameters, "bias", new int[] {model.k}, flat, 0);
        model.copyTensor(
                parameters,
                "dense",
                new int[] {model.k, model.denseWidth},
                flat,
                model.denseOffset);
        model.copyTensor(
                parameters,
                "hashed",
                new int[] {model.k, model.hashSize},
                flat,
                model.hashedOffset);
        String[] names = model.optimizer.stateNames();
        int p = model.params.length;
        float[] state = new float[names.length * p];
        for (int i = 0; i < names.length; i++) {
            model.copyTensor(optimizerState, names[i], new int[] {p}, state, i * p);
        }
        return restore(spec, flat, state, steps);
    }

    /** Returns the spec this model was built for. */
    public ModelSpec spec() {
        return spec;
    }

    /** Returns the number of dense inputs per row: dense size plus named numerics. */
    public int denseWidth() {
        return denseWidth;
    }

    /** Returns the number of outputs K: 1 for BINARY and REGRESSION, the classes for MULTICLASS. */
    public int outputs() {
        return k;
    }

    /** Returns the scores per row: 2 for BINARY, the classes for MULTICLASS, 0 for REGRESSION. */
    public int scoreWidth() {
        switch (task) {
            case BINARY:
                return 2;
            case MULTICLASS:
                return k;
            default:
                return 0;
        }
    }

    /** Returns the number of optimizer steps applied so far. */
    public long steps() {
        return steps;
    }

    /** Returns the number of parameters. */
    public int parameterCount() {
        return params.length;
    }

    /** Returns a copy of the flat parameters: bias, dense weights, hashed weights. */
    public float[] parameters() {
        return params.clone();
    }

    /**
     * Replaces the parameters with a copy of {@code parameters}, laid out as {@link #parameters()}.
     */
    public void setParameters(float[] parameters) {
        if (parameters.length != params.length) {
            throw new IllegalArgumentException(
                    "model has " + params.length + " parameters, got " + parameters.length);
        }
        System.arraycopy(parameters, 0, params, 0, params.length);
        weightsStale = true;
    }

    /** Returns a copy of the optimizer state. */
    public float[] optimizerState() {
        return optimizer.state();
    }

    /** Returns the parameters as tensors "bias" [K], "dense" [K, D], "hashed" [K, 2^bits]. */
    public List<Tensor> parameterTensors() {
        return List.of(
                Tensors.toTensor("bias", new int[] {k}, params, 0),
                Tensors.toTensor("dense", new int[] {k, denseWidth}, params, denseOffset),
                Tensors.toTensor("hashed", new int[] {k, hashSize}, params, hashedOffset));
    }

    /** Returns the optimizer state as one tensor per state array, each aligned with parameters. */
    public List<Tensor> optimizerTensors() {
        float[] state = optimizer.state();
        String[] names = optimizer.stateNames();
        List<Tensor> tensors = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) {
            tensors.add(
                    Tensors.toTensor(
                            names[i], new int[] {params.length}, state, i * params.length));
        }
        return tensors;
    }

    /**
     * Predicts every row of {@code batch}.
     *
     * @param scores receives {@code size x scoreWidth()} values, row-major: [P(0), P(1)] for
     *     BINARY, class probabilities for MULTICLASS, nothing for REGRESSION
     * @param predicted receives the predicted class (BINARY: P(1) >= 0.5) or value per row
     */
    public void predict(MicroBatch batch, float[] scores, float[] predicted) {
        int n = batch.size();
        if (n == 0) {
            return;
        }
        forward(batch, false);
        switch (task) {
            case BINARY:
                for (int r = 0; r < n; r++) {
                    float p = out[r];
                    scores[2 * r] = 1f - p;
                    scores[2 * r + 1] = p;
                    predicted[r] = p >= 0.5f ? 1f : 0f;
                }
                break;
            case MULTICLASS:
                System.arraycopy(out, 0, scores, 0, n * k);
                for (int r = 0; r < n; r++) {
                    int best = 0;
                    for (int c = 1; c < k; c++) {
                        if (out[r * k + c] > out[r * k + best]) {
                            best = c;
                        }
                    }
                    predicted[r] = best;
                }
                break;
            default:
                System.arraycopy(out, 0, predicted, 0, n);
                break;
        }
    }

    /**
     * Takes one gradient step on the labelled rows (weight > 0) of {@code batch}.
     *
     * @return the weighted mean loss of those rows before the step, without the L2 term; NaN, and
     *     no step, when the batch has no learnable row
     */
    public double learn(MicroBatch batch) {
        if (!hasLearnableRow(batch)) {
            return Double.NaN;
        }
        double loss = backward(batch);
        long t = steps + 1;
        optimizer.update(params, grad, 0, hashedOffset, t);
        optimizer.updateSparse(params, grad, activeIndices, activeCount, t);
        clearHashedGradient();
        steps = t;
        weightsStale = true;
        return loss;
    }

    /**
     * Returns the full objective on {@code batch}: weighted mean loss of its learnable rows (0 when
     * there is none) plus {@code 0.5 * l2 * ||w||^2} over dense and all hashed weights.
     */
    public double loss(MicroBatch batch) {
        double data = batch.size() == 0 ? Double.NaN : forwardLoss(batch);
        return (Double.isNaN(data) ? 0.0 : data) + l2Penalty();
    }

    /** Returns the exact gradient of {@link #loss}, laid out as {@link #parameters()}. */
    public float[] gradient(MicroBatch batch) {
        backward(batch);
        float[] full = new float[params.length];
        System.arraycopy(grad, 0, full, 0, hashedOffset);
        // Inactive hashed weights feel only the L2 pull; the active ones already include it.
        for (int i = hashedOffset; i < params.length; i++) {
            full[i] = l2 * params[i];
        }
        for (int n = 0; n < activeCount; n++) {
            full[activeIndices[n]] = grad[activeIndices[n]];
        }
        clearHashedGradient();
        return full;
    }

    // ---- forward and backward passes -------------------------------------------------------

    /**
     * Fills {@code out} (and {@code logits} when asked) for the batch's rows.
     *
     * <p>z = b + sum_{s in slots(r)} W_h[:, s] + X W_d^T; out = sigmoid(z) | softmax(z) | z
     */
    private void forward(MicroBatch batch, boolean keepLogits) {
        int n = batch.size();
        ensureRows(n);
        int[] start = batch.slotStart();
        int[] slots = batch.slots();
        for (int r = 0; r < n; r++) {
            int row = r * k;
            for (int c = 0; c < k; c++) {
                float z = params[c];
                int base = hashedOffset + c * hashSize;
                for (int j = start[r]; j < start[r + 1]; j++) {
                    z += params[base + slots[j]];
                }
                logits[row + c] = z;
            }
        }
        boolean zOnDevice = false;
        if (denseWidth > 0) {
            refreshDenseWeights();
            copyIn(xBuf, batch.dense(), n * denseWidth);
            copyIn(zBuf, logits, n * k);
            // Z += X W_d^T, one GEMM for the whole batch
            Nd4j.gemm(rows(xBuf, n), wBuf, rows(zBuf, n), false, true, 1.0, 1.0);
            zOnDevice = true;
            if (keepLogits || task == Task.REGRESSION) {
                copyOut(zBuf, logits, n * k);
            }
        }
        if (task == Task.REGRESSION) {
            System.arraycopy(logits, 0, out, 0, n);
            return;
        }
        if (!zOnDevice) {
            copyIn(zBuf, logits, n * k);
        }
        INDArray z = rows(zBuf, n);
        if (task == Task.BINARY) {
            Transforms.sigmoid(z, false);
        } else {
            Nd4j.exec(new SoftMax(z, z, 1));
        }
        copyOut(zBuf, out, n * k);
    }

    /**
     * Runs the forward pass and fills {@code outGrad} with dLoss/dz per row, already weighted.
     *
     * <p>L = sum_r w_r l_r / sum_r w_r over rows with a label and w_r > 0, where l_r is softplus(z)
     * - y z (log loss), logsumexp(z) - z_y (cross-entropy) or 0.5 (z - y)^2; its gradient is (w_r /
     * sum w) times p - y, p - onehot(y) or z - y.
     *
     * @return L, or NaN when no row is learnable (outGrad is then all zero)
     */
    private double forwardLoss(MicroBatch batch) {
        int n = batch.size();
        forward(batch, true);
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
        double loss = 0;
        for (int r = 0; r < n; r++) {
            if (!learnable(labels[r], weights[r])) {
                continue;
            }
            double c = weights[r] / weightSum;
            float y = labels[r];
            int row = r * k;
            switch (task) {
                case BINARY:
                    {
                        double z = logits[r];
                        loss += c * (softplus(z) - y * z);
                        outGrad[r] = (float) (c * (out[r] - y));
                        break;
                    }
                case MULTICLASS:
                    {
                        int label = (int) y;
                        loss += c * (logSumExp(logits, row, k) - logits[row + label]);
                        for (int cl = 0; cl < k; cl++) {
                            double target = cl == label ? 1.0 : 0.0;
                            outGrad[row + cl] = (float) (c * (out[row + cl] - target));
                        }
                        break;
                    }
                default:
                    {
                        double d = (double) logits[r] - y;
                        loss += c * 0.5 * d * d;
                        outGrad[r] = (float) (c * d);
                        break;
                    }
            }
        }
        return loss;
    }

    /**
     * Fills {@code grad} for the batch: bias and dense parts fully, hashed part on active slots.
     *
     * <p>dL/db = sum_r G[r]; dL/dW_d = G^T X + l2 W_d; dL/dW_h[:, s] = sum_{r uses s} G[r] + l2
     * W_h[:, s]. The active hashed indices are listed in {@code activeIndices}.
     *
     * @return the data loss, NaN when no row is learnable
     */
    private double backward(MicroBatch batch) {
        int n = batch.size();
        double loss = n == 0 ? Double.NaN : forwardLoss(batch);
        for (int c = 0; c < k; c++) {
            float sum = 0f;
            for (int r = 0; r < n; r++) {
                sum += outGrad[r * k + c];
            }
            grad[c] = sum;
        }
        if (denseWidth > 0) {
            if (n > 0) {
                // dW_d = G^T X, one GEMM; X is still in xBuf from the forward pass
                copyIn(gBuf, outGrad, n * k);
                Nd4j.gemm(rows(gBuf, n), rows(xBuf, n), dwBuf, true, false, 1.0, 0.0);
                copyOut(dwBuf, grad, denseOffset, k * denseWidth);
            } else {
                Arrays.fill(grad, denseOffset, hashedOffset, 0f);
            }
            for (int i = denseOffset; i < hashedOffset; i++) {
                grad[i] += l2 * params[i];
            }
        }
        scatterHashedGradient(batch);
        return loss;
    }

    private void scatterHashedGradient(MicroBatch batch) {
        int n = batch.size();
        int[] start = batch.slotStart();
        int[] slots = batch.slots();
        activeCount = 0;
        if (++mark == 0) {
            // The marker wrapped around: old marks could collide with new ones.
            Arrays.fill(slotMark, 0);
            mark = 1;
        }
        for (int r = 0; r < n; r++) {
            for (int j = start[r]; j < start[r + 1]; j++) {
                int s = slots[j];
                if (slotMark[s] != mark) {
                    slotMark[s] = mark;
                    ensureActive(activeCount + k);
                    for (int c = 0; c < k; c++) {
                        activeIndices[activeCount++] = hashedOffset + c * hashSize + s;
                    }
                }
                for (int c = 0; c < k; c++) {
                    grad[hashedOffset + c * hashSize + s] += outGrad[r * k + c];
                }
            }
        }
        for (int a = 0; a < activeCount; a++) {
            int i = activeIndices[a];
            grad[i] += l2 * params[i];
        }
    }

    private void clearHashedGradient() {
        for (int a = 0; a < activeCount; a++) {
            grad[activeIndices[a]] = 0f;
        }
        activeCount = 0;
    }

    private double l2Penalty() {
        if (l2 == 0f) {
            return 0.0;
        }
        double sum = 0;
        for (int i = denseOffset; i < params.length; i++) {
            sum += (double) params[i] * params[i];
        }
        return 0.5 * l2 * sum;
    }

    private static boolean learnable(float label, float weight) {
        return weight > 0 && !Float.isNaN(label);
    }

    private static boolean hasLearnableRow(MicroBatch batch) {
        for (int r = 0; r < batch.size(); r++) {
            if (learnable(batch.label(r), batch.weight(r))) {
                return true;
            }
        }
        return false;
    }

    // softplus(z) = log(1 + e^z), written so that neither branch overflows
    private static double softplus(double z) {
        return Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    // logsumexp(z) = max + log(sum exp(z - max))
    private static double logSumExp(float[] z, int from, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + length; i++) {
            max = Math.max(max, z[i]);
        }
        double sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += Math.exp(z[i] - max);
        }
        return max + Math.log(sum);
    }

    // ---- working buffers -------------------------------------------------------------------

    private void ensureRows(int n) {
        if (n <= rowCapacity && zBuf != null) {
            return;
        }
        int capacity = Math.max(n, Math.max(16, rowCapacity * 2));
        if (denseWidth > 0) {
            xBuf = Nd4j.create(DataType.FLOAT, capacity, denseWidth);
            gBuf = Nd4j.create(DataType.FLOAT, capacity, k);
        }
        zBuf = Nd4j.create(DataType.FLOAT, capacity, k);
        logits = new float[capacity * k];
        out = new float[capacity * k];
        outGrad = new float[capacity * k];
        rowCapacity = capacity;
    }

    private void refreshDenseWeights() {
        if (wBuf == null) {
            wBuf = Nd4j.create(DataType.FLOAT, k, denseWidth);
            dwBuf = Nd4j.create(DataType.FLOAT, k, denseWidth);
            weightsStale = true;
        }
        if (weightsStale) {
            new FloatPointer(wBuf.data().addressPointer()).put(params, denseOffset, k * denseWidth);
            weightsStale = false;
        }
    }

    private void ensureActive(int needed) {
        if (needed > activeIndices.length) {
            activeIndices =
                    Arrays.copyOf(activeIndices, Math.max(needed, activeIndices.length * 2));
        }
    }

    // The first n rows of a c-order buffer: a contiguous view at offset 0.
    private static INDArray rows(INDArray buffer, int n) {
        return n == buffer.rows()
                ? buffer
                : buffer.get(NDArrayIndex.interval(0, n), NDArrayIndex.all());
    }

    private static void copyIn(INDArray dst, float[] src, int length) {
        new FloatPointer(dst.data().addressPointer()).put(src, 0, length);
    }

    private static void copyOut(INDArray src, float[] dst, int length) {
        copyOut(src, dst, 0, length);
    }

    private static void copyOut(INDArray src, float[] dst, int offset, int length) {
        new FloatPointer(src.data().addressPointer()).get(dst, offset, length);
    }

    private void copyTensor(List<Tensor> tensors, String name, int[] shape, float[] dst, int at) {
        for (Tensor tensor : tensors) {
            if (tensor.getName().equals(name)) {
                if (!Arrays.equals(Tensors.shape(tensor), shape)) {
                    throw new IllegalArgumentException(
                            "tensor "
                                    + name
                                    + " has shape "
                                    + tensor.getShape()
                                    + ", the spec needs "
                                    + Arrays.toString(shape));
                }
                float[] values = Tensors.toFloats(tensor);
                System.arraycopy(values, 0, dst, at, values.length);
                return;
            }
        }
        throw new IllegalArgumentException("no tensor named " + name);
    }

    private static int outputsOf(ModelSpec spec) {
        switch (spec.getTask()) {
            case BINARY:
            case REGRESSION:
                return 1;
            case MULTICLASS:
                if (spec.getClasses() < 2) {
                    throw new IllegalArgumentException(
                            "MULTICLASS needs at least 2 classes: " + spec.getClasses());
                }
                return spec.getClasses();
            default:
                throw new IllegalArgumentException("unknown task " + spec.getTask());
        }
    }
}
