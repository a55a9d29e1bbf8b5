package perpetua.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.Activation;
import perpetua.schemas.Embedding;
import perpetua.schemas.Init;
import perpetua.schemas.Kernel;
import perpetua.schemas.Layer;
import perpetua.schemas.Loss;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

/**
 * A feed-forward network that learns online, one micro-batch per step: from a linear model (no
 * hidden layer, no embedding) to a wide-and-deep model.
 *
 * <p>The input of the deep part is a row's dense values (dense array and standardized numerics)
 * followed by one vector per embedded field: the mean of the field's table rows for the bag of ids
 * the {@link FeatureEncoder} hashed (one id for a categorical value, one per token for text). Dense
 * hidden layers follow, each {@code act(A W^T + b)} with optional inverted dropout while learning.
 * The output layer adds the wide part, a hashed linear model over categoricals, interactions and
 * text n-grams, and applies the task's activation: sigmoid (BINARY), softmax (MULTICLASS) or none
 * (REGRESSION). Losses: log loss, cross-entropy, squared, Huber.
 *
 * <p>Parameters are one flat {@code float[]}: output bias "bias" {@code [K]}, output weights
 * "dense" {@code [K x in]}, wide weights "hashed" {@code [K x 2^hashBits]}, the embedding tables
 * {@code [2^embeddingBits x dim]}, then per hidden layer its weights {@code [units x in]} and
 * biases. A linear model therefore has the same parameters, and the same tensors, as before there
 * were layers. Dense parameters are updated fully each step; wide and embedding weights only where
 * the batch used them (lazy L2 there, as the optimizers' state is lazy). State worth keeping is
 * {@link #parameters()}, {@link #optimizerState()} and {@link #steps()}; the rest is working
 * buffers.
 *
 * <p>Each learning step is guarded: a batch whose loss or gradient is not finite, or whose step
 * would leave the weights' L2 norm above {@code maxWeightNorm}, is not applied; the model stays
 * bit-identical, {@link #unhealthyBatches()} counts it and {@link #lastProblem()} says why.
 *
 * <p>Not thread-safe; one instance serves one operator thread.
 */
public final class NeuralModel {

    private static final Logger LOG = LoggerFactory.getLogger(NeuralModel.class);

    /** Half-width of the uniform initialization of embedding vectors. */
    static final float EMBEDDING_INIT = 0.05f;

    private final ModelSpec spec;
    private final Task task;
    private final Loss loss;
    private final int k;
    private final int denseWidth;
    private final boolean wide;
    private final int hashSize;
    private final int fields;
    private final int[] fieldDim;
    private final int[] fieldColumn;
    private final int[] fieldTable;
    private final int[] tableOffset;
    private final int[] tableDim;
    private final int embRows;
    private final int layers;
    private final int[] width;
    private final Activation[] activation;
    private final float[] dropout;
    private final int[] weightOffset;
    private final int[] biasOffset;
    private final DenseKernel[] kernels;
    private final int hashedOffset;
    private final int embOffset;
    private final int layersOffset;
    private final List<Block> blocks = new ArrayList<>();
    private final float[] params;
    private final Optimizer optimizer;
    private final Optimizer wideOptimizer;
    private final boolean l1Prox;
    private final float l1;
    private final float l2;
    private long steps;
    private long unhealthy;
    private String lastProblem;
    private float lrBoost = 1f;

    // Working buffers, grown to the largest batch seen and reused; never part of state.
    private int rowCapacity;
    private float[][] acts; // acts[0]: input; acts[l + 1]: output of hidden layer l
    private float[][] dropped; // dropout applied to acts[l + 1] while learning
    private float[][] masks;
    private float[][] dActs;
    private float[] logits = new float[0];
    private float[] out = new float[0];
    private float[] outGrad = new float[0];
    private final float[] grad;
    private final int[] slotMark;
    private final int[] rowMark;
    private int mark;
    private int[] activeWide = new int[64];
    private int wideCount;
    private int[] activeEmb = new int[64];
    private int embCount;
    // What the last forward pass ran on, so that learning right after predicting the same batch
    // with the same weights reuses it (only without dropout, which changes the pass).
    private MicroBatch forwardBatch;
    private long forwardChanges;
    private boolean forwardReusable;
    private final boolean anyDropout;
    private float[] backupParams;
    private float[] backupState;

    /** A named block of the flat parameters, published as one tensor. */
    private record Block(String name, int[] shape, int offset) {
        int size() {
            int s = 1;
            for (int d : shape) {
                s *= d;
            }
            return s;
        }
    }

    /** Creates a model for {@code spec}, initialized from its seed. */
    public NeuralModel(ModelSpec spec) {
        this(spec, true);
    }

    private NeuralModel(ModelSpec spec, boolean initialize) {
        this.spec = spec;
        this.task = spec.getTask();
        this.loss = lossOf(spec);
        this.k = outputsOf(spec);
        this.denseWidth = spec.getDenseSize() + spec.getNumericFeatures().size();
        this.wide = spec.getWide();
        int bits = spec.getHashBits();
        if (bits < 0 || bits > 30) {
            throw new IllegalArgumentException("hashBits must lie in [0, 30]: " + bits);
        }
        this.hashSize = wide ? 1 << bits : 0;
        if (!(spec.getL2() >= 0) || !(spec.getL1() >= 0)) {
            throw new IllegalArgumentException("l1 and l2 must be >= 0");
        }
        this.l1 = spec.getL1();
        this.l2 = spec.getL2();

        List<Embedding> embeddings = spec.getEmbeddings();
        this.fields = embeddings.size();
        this.fieldDim = new int[fields];
        this.fieldColumn = new int[fields];
        this.fieldTable = new int[fields];
        int embBits = spec.getEmbeddingBits();
        if (fields > 0 && (embBits < 1 || embBits > 24)) {
            throw new IllegalArgumentException("embeddingBits must lie in [1, 24]: " + embBits);
        }
        this.embRows = fields > 0 ? 1 << embBits : 0;
        boolean shared = spec.getSharedEmbeddings();
        int tables = shared ? Math.min(1, fields) : fields;
        this.tableDim = new int[tables];
        this.tableOffset = new int[tables];
        int column = denseWidth;
        for (int f = 0; f < fields; f++) {
            int dim = embeddings.get(f).getDim();
            if (dim < 1) {
                throw new IllegalArgumentException(
                        "embedding of " + embeddings.get(f).getFeature() + " needs dim >= 1");
            }
            if (shared && dim != embeddings.get(0).getDim()) {
                throw new IllegalArgumentException("shared embeddings need equal dims");
            }
            fieldDim[f] = dim;
            fieldColumn[f] = column;
            fieldTable[f] = shared ? 0 : f;
            tableDim[fieldTable[f]] = dim;
            column += dim;
        }
        List<Layer> hidden = spec.getHidden();
        this.layers = hidden.size();
        this.width = new int[layers + 1];
        this.activation = new Activation[layers];
        this.dropout = new float[layers];
        width[0] = column;
        for (int l = 0; l < layers; l++) {
            Layer layer = hidden.get(l);
            if (layer.getUnits() < 1) {
                throw new IllegalArgumentException("layer " + (l + 1) + " needs units >= 1");
            }
            if (!(layer.getDropout() >= 0 && layer.getDropout() < 1)) {
                throw new IllegalArgumentException(
                        "layer " + (l + 1) + " dropout must lie in [0, 1)");
            }
            width[l + 1] = layer.getUnits();
            activation[l] = layer.getActivation();
            dropout[l] = layer.getDropout();
        }
        int outIn = width[layers];

        // Layout: bias, dense, hashed, embedding tables, hidden layers.
        long offset = 0;
        blocks.add(new Block("bias", new int[] {k}, (int) offset));
        offset += k;
        blocks.add(new Block("dense", new int[] {k, outIn}, (int) offset));
        offset += (long) k * outIn;
        this.hashedOffset = (int) offset;
        if (wide) {
            blocks.add(new Block("hashed", new int[] {k, hashSize}, (int) offset));
            offset += (long) k * hashSize;
        }
        this.embOffset = (int) offset;
        for (int t = 0; t < tables; t++) {
            tableOffset[t] = (int) offset;
            String name = shared ? "embedding" : "embedding." + embeddings.get(t).getFeature();
            blocks.add(new Block(name, new int[] {embRows, tableDim[t]}, (int) offset));
            offset += (long) embRows * tableDim[t];
            checkSize(offset);
        }
        this.layersOffset = (int) offset;
        this.weightOffset = new int[layers];
        this.biasOffset = new int[layers];
        for (int l = 0; l < layers; l++) {
            weightOffset[l] = (int) offset;
            blocks.add(
                    new Block(
                            "layer" + (l + 1) + ".weight",
                            new int[] {width[l + 1], width[l]},
                            (int) offset));
            offset += (long) width[l + 1] * width[l];
            checkSize(offset);
            biasOffset[l] = (int) offset;
            blocks.add(
                    new Block("layer" + (l + 1) + ".bias", new int[] {width[l + 1]}, (int) offset));
            offset += width[l + 1];
        }
        checkSize(offset);
        this.params = new float[(int) offset];
        this.grad = new float[params.length];
        this.slotMark = new int[hashSize];
        this.rowMark = new int[tables * embRows];

        this.optimizer = Optimizer.create(spec.getOptimizer(), spec, 0, params.length);
        OptimizerKind wideKind = spec.getWideOptimizer();
        this.wideOptimizer =
                wide && wideKind != null && wideKind != spec.getOptimizer()
                        ? Optimizer.create(wideKind, spec, hashedOffset, k * hashSize)
                        : null;
        this.l1Prox = l1 > 0 && spec.getOptimizer() != OptimizerKind.FTRL;
        boolean dropping = false;
        for (float p : dropout) {
            dropping |= p > 0;
        }
        this.anyDropout = dropping;

        this.kernels = new DenseKernel[layers + 1];
        for (int l = 0; l <= layers; l++) {
            int in = width[l];
            int o = l < layers ? width[l + 1] : k;
            Kernel kind = in == 0 ? Kernel.PRIMITIVE : Kernels.choose(spec, in, o);
            kernels[l] = Kernels.create(kind, in, o);
        }
        if (initialize) {
            initialize();
            LOG.info("model {}: {}", spec.getModel(), describe());
        }
    }

    /** Returns a model with the given parameters, optimizer state and step count. */
    public static NeuralModel restore(
            ModelSpec spec, float[] parameters, float[] optimizerState, long steps) {
        NeuralModel model = new NeuralModel(spec, false);
        model.setParameters(parameters);
        model.restoreOptimizerState(optimizerState);
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0: " + steps);
        }
        model.steps = steps;
        return model;
    }

    /** Returns a model rebuilt from {@link #parameterTensors()} and {@link #optimizerTensors()}. */
    public static NeuralModel fromTensors(
            ModelSpec spec, List<Tensor> parameters, List<Tensor> optimizerState, long steps) {
        NeuralModel model = new NeuralModel(spec, false);
        for (Block block : model.blocks) {
            copyTensor(parameters, block.name(), block.shape(), model.params, block.offset());
        }
        float[] state = new float[model.optimizerStateSize()];
        int at = 0;
        for (String name : model.optimizer.stateNames()) {
            copyTensor(optimizerState, name, new int[] {model.params.length}, state, at);
            at += model.params.length;
        }
        if (model.wideOptimizer != null) {
            for (String name : model.wideOptimizer.stateNames()) {
                copyTensor(
                        optimizerState,
                        "wide." + name,
                        new int[] {model.k * model.hashSize},
                        state,
                        at);
                at += model.k * model.hashSize;
            }
        }
        model.restoreOptimizerState(state);
        model.steps = steps;
        return model;
    }

    /**
     * Returns this model's parameters under a spec of the same architecture and encoding: the
     * hyper-parameters change; each optimizer's state is kept when its kind stays and starts anew
     * otherwise.
     */
    public NeuralModel reconfigured(ModelSpec next) {
        NeuralModel model = new NeuralModel(next, false);
        if (model.params.length != params.length) {
            throw new IllegalArgumentException("the new spec has another architecture");
        }
        System.arraycopy(params, 0, model.params, 0, params.length);
        if (next.getOptimizer() == spec.getOptimizer()) {
            float[] s = new float[optimizer.stateSize()];
            optimizer.saveState(s, 0);
            model.optimizer.loadState(s, 0);
        }
        if (wideOptimizer != null
                && model.wideOptimizer != null
                && next.getWideOptimizer() == spec.getWideOptimizer()) {
            float[] s = new float[wideOptimizer.stateSize()];
            wideOptimizer.saveState(s, 0);
            model.wideOptimizer.loadState(s, 0);
        }
        model.steps = steps;
        model.unhealthy = unhealthy;
        model.lrBoost = lrBoost;
        return model;
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

    /** Returns the learning batches not applied because they were unhealthy. */
    public long unhealthyBatches() {
        return unhealthy;
    }

    /** Sets the count of unhealthy batches, as restored from state. */
    public void setUnhealthyBatches(long count) {
        this.unhealthy = count;
    }

    /** Returns why the last unhealthy batch was not applied, or null. */
    public String lastProblem() {
        return lastProblem;
    }

    /** Multiplies every learning rate by {@code boost} until set back to 1. */
    public void setLearningRateBoost(float boost) {
        if (!(boost > 0) || Float.isInfinite(boost)) {
            throw new IllegalArgumentException("boost must be positive: " + boost);
        }
        this.lrBoost = boost;
    }

    /** Returns the current learning-rate boost. */
    public float learningRateBoost() {
        return lrBoost;
    }

    /** Returns the number of parameters. */
    public int parameterCount() {
        return params.length;
    }

    /** Returns the kernel of each dense layer, the output layer last. */
    public List<String> kernels() {
        List<String> names = new ArrayList<>();
        for (DenseKernel kernel : kernels) {
            names.add(kernel.name());
        }
        return names;
    }

    /** Returns the shape and kernels in words, as logged when the model is created. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(task).append(", input ").append(denseWidth).append(" dense");
        for (int f = 0; f < fields; f++) {
            b.append(" + ")
                    .append(spec.getEmbeddings().get(f).getFeature())
                    .append(':')
                    .append(fieldDim[f]);
        }
        for (int l = 0; l < layers; l++) {
            b.append(", layer ")
                    .append(width[l])
                    .append('x')
                    .append(width[l + 1])
                    .append(' ')
                    .append(activation[l])
                    .append(" on ")
                    .append(kernels[l].name());
        }
        b.append(", output ")
                .append(width[layers])
                .append('x')
                .append(k)
                .append(" on ")
                .append(kernels[layers].name());
        if (wide) {
            b.append(", wide 2^").append(spec.getHashBits());
        }
        b.append(", ")
                .append(params.length)
                .append(" parameters; kernel rule ")
                .append(Kernels.rule());
        return b.toString();
    }

    /** Returns a copy of the flat parameters. */
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
        weightsChanged();
    }

    // Every write to the parameters ends here, so that no kernel reuses a copy of old weights.
    private void weightsChanged() {
        forwardReusable = false;
        for (DenseKernel kernel : kernels) {
            kernel.weightsChanged();
        }
    }

    /** Returns a copy of the optimizer state: the main optimizer's, then the wide optimizer's. */
    public float[] optimizerState() {
        float[] state = new float[optimizerStateSize()];
        optimizer.saveState(state, 0);
        if (wideOptimizer != null) {
            wideOptimizer.saveState(state, optimizer.stateSize());
        }
        return state;
    }

    private int optimizerStateSize() {
        return optimizer.stateSize() + (wideOptimizer == null ? 0 : wideOptimizer.stateSize());
    }

    private void restoreOptimizerState(float[] state) {
        if (state.length != optimizerStateSize()) {
            throw new IllegalArgumentException(
                    "optimizer state needs "
                            + optimizerStateSize()
                            + " values, got "
                            + state.length);
        }
        optimizer.loadState(state, 0);
        if (wideOptimizer != null) {
            wideOptimizer.loadState(state, optimizer.stateSize());
        }
    }

    /** Returns the parameters as tensors, one per block: "bias", "dense", "hashed", ... */
    public List<Tensor> parameterTensors() {
        List<Tensor> tensors = new ArrayList<>(blocks.size());
        for (Block block : blocks) {
            tensors.add(Tensors.toTensor(block.name(), block.shape(), params, block.offset()));
        }
        return tensors;
    }

    /** Returns the optimizer state as tensors: one per state array; the wide ones "wide.NAME". */
    public List<Tensor> optimizerTensors() {
        float[] state = optimizerState();
        List<Tensor> tensors = new ArrayList<>();
        int at = 0;
        for (String name : optimizer.stateNames()) {
            tensors.add(Tensors.toTensor(name, new int[] {params.length}, state, at));
            at += params.length;
        }
        if (wideOptimizer != null) {
            for (String name : wideOptimizer.stateNames()) {
                tensors.add(Tensors.toTensor("wide." + name, new int[] {k * hashSize}, state, at));
                at += k * hashSize;
            }
        }
        return tensors;
    }

    // ---- prediction and learning -------------------------------------------------------

    /**
     * Predicts every row of {@code batch}, dropout off.
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
        forward(batch, false, 0);
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
     * Takes one gradient step on the labelled rows (weight > 0) of {@code batch}, unless the batch
     * is unhealthy (see the class comment).
     *
     * @return the weighted mean loss of those rows before the step, without regularization; NaN,
     *     and no step, when the batch has no learnable row
     */
    public double learn(MicroBatch batch) {
        if (!hasLearnableRow(batch)) {
            return Double.NaN;
        }
        String bad = nonFiniteInput(batch);
        if (bad != null) {
            return refuse(Double.NaN, bad);
        }
        if (steps == 0 && task == Task.REGRESSION && spec.getWarmBias()) {
            startAtTheMeanLabel(batch);
        }
        long t = steps + 1;
        double value = backward(batch, t);
        double norm2 = gradientNormSquared();
        if (!Double.isFinite(value) || !Double.isFinite(norm2)) {
            return refuse(
                    value,
                    !Double.isFinite(value)
                            ? "loss is not finite: " + value
                            : "gradient is not finite");
        }
        float clip = spec.getClipNorm();
        if (clip > 0 && norm2 > (double) clip * clip) {
            scaleGradient((float) (clip / Math.sqrt(norm2)));
        }
        float bound = spec.getMaxWeightNorm();
        if (bound > 0) {
            saveBackup();
        }
        float lr = learningRate(t);
        optimizer.update(params, grad, 0, hashedOffset, t, lr);
        optimizer.update(params, grad, layersOffset, params.length, t, lr);
        (wideOptimizer != null ? wideOptimizer : optimizer)
                .updateSparse(params, grad, activeWide, wideCount, t, lr);
        optimizer.updateSparse(params, grad, activeEmb, embCount, t, lr);
        if (l1Prox) {
            shrink(lr * l1);
        }
        clearSparseGradient();
        weightsChanged();
        if (bound > 0) {
            double norm = weightNorm();
            if (!(norm <= bound)) {
                loadBackup();
                unhealthy++;
                lastProblem = "weight norm " + norm + " exceeds maxWeightNorm " + bound;
                return value;
            }
        }
        steps = t;
        return value;
    }

    /**
     * A regression model's output bias starts at the weighted mean label of its first batch, so
     * that the first thousands of predictions are not spent walking from 0 to the target's level.
     */
    private void startAtTheMeanLabel(MicroBatch batch) {
        double sum = 0;
        double weights = 0;
        for (int r = 0; r < batch.size(); r++) {
            if (learnable(batch.label(r), batch.weight(r))) {
                sum += (double) batch.weight(r) * batch.label(r);
                weights += batch.weight(r);
            }
        }
        if (params[0] == 0f && weights > 0) {
            params[0] = (float) (sum / weights);
            weightsChanged();
        }
    }

    // A non-finite input can vanish inside a ReLU and leave a finite loss over a meaningless step.
    private String nonFiniteInput(MicroBatch batch) {
        float[] dense = batch.dense();
        for (int i = 0, end = batch.size() * denseWidth; i < end; i++) {
            if (!Float.isFinite(dense[i])) {
                return "input is not finite: row " + i / Math.max(1, denseWidth);
            }
        }
        float[] values = batch.slotValues();
        for (int i = 0, end = batch.slotStart()[batch.size()]; i < end; i++) {
            if (!Float.isFinite(values[i])) {
                return "a hashed feature value is not finite";
            }
        }
        for (int r = 0; r < batch.size(); r++) {
            if (batch.weight(r) > 0 && !Float.isFinite(batch.label(r))) {
                return "label is not finite: row " + r;
            }
        }
        return null;
    }

    private double refuse(double value, String why) {
        clearSparseGradient();
        unhealthy++;
        lastProblem = why;
        return value;
    }

    /** The learning rate of step {@code t}: the schedule times the boost. */
    float learningRate(long t) {
        double lr = spec.getLearningRate();
        double units = (double) t / Math.max(1, spec.getScheduleSteps());
        switch (spec.getSchedule()) {
            case INVERSE_SCALING:
                lr /= Math.pow(1.0 + units, spec.getSchedulePower());
                break;
            case STEP_DECAY:
                lr *= Math.pow(spec.getScheduleFactor(), Math.floor(units));
                break;
            default:
                break;
        }
        return (float) (lr * lrBoost);
    }

    /**
     * Returns the objective on {@code batch} as a step would see it: the weighted mean loss of its
     * learnable rows (0 when there is none; dropout as the next step would draw it) plus {@code 0.5
     * l2 ||w||^2} over every weight but the biases. L1 is applied as a proximal step and is not
     * part of it.
     */
    public double loss(MicroBatch batch) {
        double data = batch.size() == 0 ? Double.NaN : forwardLoss(batch, steps + 1);
        return (Double.isNaN(data) ? 0.0 : data) + l2Penalty();
    }

    /** Returns the exact gradient of {@link #loss}, laid out as {@link #parameters()}. */
    public float[] gradient(MicroBatch batch) {
        backward(batch, steps + 1);
        float[] full = grad.clone();
        // Inactive sparse weights feel only the L2 pull; the active ones already include it.
        for (int i = hashedOffset; i < layersOffset; i++) {
            full[i] = l2 * params[i];
        }
        for (int a = 0; a < wideCount; a++) {
            full[activeWide[a]] = grad[activeWide[a]];
        }
        for (int a = 0; a < embCount; a++) {
            full[activeEmb[a]] = grad[activeEmb[a]];
        }
        clearSparseGradient();
        return full;
    }

    // ---- forward and backward passes ---------------------------------------------------

    /**
     * The input of hidden layer l (or of the output layer, l = layers) in the last forward pass.
     */
    private float[] inputOf(int l, float[] input, boolean training) {
        if (l == 0) {
            return input;
        }
        return training && dropout[l - 1] > 0 ? dropped[l] : acts[l];
    }

    private float[] input(MicroBatch batch) {
        return fields == 0 ? batch.dense() : acts[0];
    }

    /** Fills {@code out} (and {@code logits}) for the batch's rows. */
    private void forward(MicroBatch batch, boolean training, long step) {
        if (!anyDropout
                && forwardReusable
                && batch == forwardBatch
                && batch.changes() == forwardChanges) {
            return;
        }
        int n = batch.size();
        ensureRows(n);
        forwardBatch = batch;
        forwardChanges = batch.changes();
        // A pass with dropout differs from the next one; without, it is the same computation.
        forwardReusable = !anyDropout;
        if (fields > 0) {
            gatherEmbeddings(batch);
        }
        float[] input = input(batch);
        for (int l = 0; l < layers; l++) {
            kernels[l].forward(
                    inputOf(l, input, training),
                    n,
                    params,
                    weightOffset[l],
                    biasOffset[l],
                    activation[l],
                    acts[l + 1]);
            if (training && dropout[l] > 0) {
                applyDropout(l, n, step);
            }
        }
        kernels[layers].forward(
                inputOf(layers, input, training), n, params, k, 0, Activation.IDENTITY, logits);
        if (wide) {
            addWide(batch);
        }
        int size = n * k;
        switch (task) {
            case BINARY:
                for (int i = 0; i < size; i++) {
                    out[i] = (float) (1.0 / (1.0 + Math.exp(-logits[i])));
                }
                break;
            case MULTICLASS:
                for (int r = 0; r < n; r++) {
                    softmax(logits, out, r * k, k);
                }
                break;
            default:
                System.arraycopy(logits, 0, out, 0, size);
                break;
        }
    }

    // row r, field f: acts[0][r, column_f ..] = mean of the table rows of the bag's ids
    private void gatherEmbeddings(MicroBatch batch) {
        int n = batch.size();
        int in = width[0];
        float[] a = acts[0];
        float[] dense = batch.dense();
        int[] bagStart = batch.bagStart();
        int[] ids = batch.bagIds();
        for (int r = 0; r < n; r++) {
            System.arraycopy(dense, r * denseWidth, a, r * in, denseWidth);
            for (int f = 0; f < fields; f++) {
                int col = r * in + fieldColumn[f];
                int dim = fieldDim[f];
                Arrays.fill(a, col, col + dim, 0f);
                int from = bagStart[r * fields + f];
                int to = bagStart[r * fields + f + 1];
                if (to == from) {
                    continue;
                }
                float scale = 1f / (to - from);
                int table = tableOffset[fieldTable[f]];
                for (int j = from; j < to; j++) {
                    int base = table + ids[j] * dim;
                    for (int d = 0; d < dim; d++) {
                        a[col + d] += scale * params[base + d];
                    }
                }
            }
        }
    }

    // z[r, c] += sum_j value_j W_h[c, slot_j]
    private void addWide(MicroBatch batch) {
        int n = batch.size();
        int[] start = batch.slotStart();
        int[] slots = batch.slots();
        float[] values = batch.slotValues();
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                int base = hashedOffset + c * hashSize;
                float z = 0f;
                for (int j = start[r]; j < start[r + 1]; j++) {
                    z += values[j] * params[base + slots[j]];
                }
                logits[r * k + c] += z;
            }
        }
    }

    private void applyDropout(int l, int n, long step) {
        int w = width[l + 1];
        float p = dropout[l];
        float keep = 1f / (1f - p);
        float[] a = acts[l + 1];
        float[] d = dropped[l + 1];
        float[] m = masks[l + 1];
        long seed = spec.getSeed();
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < w; j++) {
                int i = r * w + j;
                m[i] = uniform(seed, step, l, i) < p ? 0f : keep;
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
     * Runs the forward pass while learning and fills {@code outGrad} with dLoss/dz per row, already
     * weighted: L = sum_r w_r l_r / sum_r w_r over the learnable rows.
     *
     * @return L, or NaN when no row is learnable (outGrad is then all zero)
     */
    private double forwardLoss(MicroBatch batch, long step) {
        int n = batch.size();
        forward(batch, true, step);
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
        float delta = spec.getHuberDelta();
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
                        total += c * (logSumExp(logits, row, k) - logits[row + label]);
                        for (int cl = 0; cl < k; cl++) {
                            double target = cl == label ? 1.0 : 0.0;
                            outGrad[row + cl] = (float) (c * (out[row + cl] - target));
                        }
                        break;
                    }
                case HUBER:
                    {
                        // 0.5 d^2 within delta, delta (|d| - 0.5 delta) beyond; gradient clipped d
                        double d = (double) logits[r] - y;
                        double ad = Math.abs(d);
                        total += c * (ad <= delta ? 0.5 * d * d : delta * (ad - 0.5 * delta));
                        outGrad[r] = (float) (c * Math.max(-delta, Math.min(delta, d)));
                        break;
                    }
                default:
                    {
                        double d = (double) logits[r] - y;
                        total += c * 0.5 * d * d;
                        outGrad[r] = (float) (c * d);
                        break;
                    }
            }
        }
        return total;
    }

    /**
     * Fills {@code grad}: dense blocks fully, wide and embedding weights on the active indices
     * (listed in {@code activeWide} and {@code activeEmb}), L2 included on every weight but the
     * biases.
     *
     * @return the data loss, NaN when no row is learnable
     */
    private double backward(MicroBatch batch, long step) {
        int n = batch.size();
        double value = n == 0 ? Double.NaN : forwardLoss(batch, step);
        float[] input = input(batch);
        boolean needInputGrad = layers > 0 || fields > 0;
        kernels[layers].backward(
                outGrad,
                inputOf(layers, input, true),
                n,
                params,
                k,
                0,
                grad,
                needInputGrad ? dActs[layers] : null);
        for (int l = layers - 1; l >= 0; l--) {
            int size = n * width[l + 1];
            float[] d = dActs[l + 1];
            if (dropout[l] > 0) {
                float[] m = masks[l + 1];
                for (int i = 0; i < size; i++) {
                    d[i] *= m[i];
                }
            }
            Activations.backward(activation[l], acts[l + 1], d, size);
            boolean below = l > 0 || fields > 0;
            kernels[l].backward(
                    d,
                    inputOf(l, input, true),
                    n,
                    params,
                    weightOffset[l],
                    biasOffset[l],
                    grad,
                    below ? dActs[l] : null);
        }
        if (l2 > 0) {
            for (int i = k; i < hashedOffset; i++) {
                grad[i] += l2 * params[i];
            }
            for (int l = 0; l < layers; l++) {
                for (int i = weightOffset[l]; i < biasOffset[l]; i++) {
                    grad[i] += l2 * params[i];
                }
            }
        }
        if (++mark == 0) {
            // The marker wrapped around: old marks could collide with new ones.
            Arrays.fill(slotMark, 0);
            Arrays.fill(rowMark, 0);
            mark = 1;
        }
        if (wide) {
            scatterWide(batch);
        }
        if (fields > 0) {
            scatterEmbeddings(batch);
        }
        return value;
    }

    private void scatterWide(MicroBatch batch) {
        int n = batch.size();
        int[] start = batch.slotStart();
        int[] slots = batch.slots();
        float[] values = batch.slotValues();
        wideCount = 0;
        for (int r = 0; r < n; r++) {
            for (int j = start[r]; j < start[r + 1]; j++) {
                int s = slots[j];
                if (slotMark[s] != mark) {
                    slotMark[s] = mark;
                    activeWide = ensure(activeWide, wideCount + k);
                    for (int c = 0; c < k; c++) {
                        activeWide[wideCount++] = hashedOffset + c * hashSize + s;
                    }
                }
                float v = values[j];
                for (int c = 0; c < k; c++) {
                    grad[hashedOffset + c * hashSize + s] += v * outGrad[r * k + c];
                }
            }
        }
        for (int a = 0; a < wideCount; a++) {
            int i = activeWide[a];
            grad[i] += l2 * params[i];
        }
    }

    private void scatterEmbeddings(MicroBatch batch) {
        int n = batch.size();
        int in = width[0];
        float[] da = dActs[0];
        int[] bagStart = batch.bagStart();
        int[] ids = batch.bagIds();
        embCount = 0;
        for (int r = 0; r < n; r++) {
            for (int f = 0; f < fields; f++) {
                int from = bagStart[r * fields + f];
                int to = bagStart[r * fields + f + 1];
                if (to == from) {
                    continue;
                }
                float scale = 1f / (to - from);
                int dim = fieldDim[f];
                int col = r * in + fieldColumn[f];
                int table = fieldTable[f];
                for (int j = from; j < to; j++) {
                    int id = ids[j];
                    int base = tableOffset[table] + id * dim;
                    int m = table * embRows + id;
                    if (rowMark[m] != mark) {
                        rowMark[m] = mark;
                        activeEmb = ensure(activeEmb, embCount + dim);
                        for (int d = 0; d < dim; d++) {
                            activeEmb[embCount++] = base + d;
                        }
                    }
                    for (int d = 0; d < dim; d++) {
                        grad[base + d] += scale * da[col + d];
                    }
                }
            }
        }
        for (int a = 0; a < embCount; a++) {
            int i = activeEmb[a];
            grad[i] += l2 * params[i];
        }
    }

    private double gradientNormSquared() {
        double sum = 0;
        for (int i = 0; i < hashedOffset; i++) {
            sum += (double) grad[i] * grad[i];
        }
        for (int i = layersOffset; i < params.length; i++) {
            sum += (double) grad[i] * grad[i];
        }
        for (int a = 0; a < wideCount; a++) {
            sum += (double) grad[activeWide[a]] * grad[activeWide[a]];
        }
        for (int a = 0; a < embCount; a++) {
            sum += (double) grad[activeEmb[a]] * grad[activeEmb[a]];
        }
        return sum;
    }

    private void scaleGradient(float factor) {
        for (int i = 0; i < hashedOffset; i++) {
            grad[i] *= factor;
        }
        for (int i = layersOffset; i < params.length; i++) {
            grad[i] *= factor;
        }
        for (int a = 0; a < wideCount; a++) {
            grad[activeWide[a]] *= factor;
        }
        for (int a = 0; a < embCount; a++) {
            grad[activeEmb[a]] *= factor;
        }
    }

    // Proximal L1 (soft thresholding) on the weights this step touched, biases excepted.
    private void shrink(float amount) {
        for (int i = k; i < hashedOffset; i++) {
            params[i] = softThreshold(params[i], amount);
        }
        for (int l = 0; l < layers; l++) {
            for (int i = weightOffset[l]; i < biasOffset[l]; i++) {
                params[i] = softThreshold(params[i], amount);
            }
        }
        if (wideOptimizer == null || spec.getWideOptimizer() != OptimizerKind.FTRL) {
            for (int a = 0; a < wideCount; a++) {
                params[activeWide[a]] = softThreshold(params[activeWide[a]], amount);
            }
        }
        for (int a = 0; a < embCount; a++) {
            params[activeEmb[a]] = softThreshold(params[activeEmb[a]], amount);
        }
    }

    private static float softThreshold(float w, float amount) {
        return w > amount ? w - amount : w < -amount ? w + amount : 0f;
    }

    private void clearSparseGradient() {
        for (int a = 0; a < wideCount; a++) {
            grad[activeWide[a]] = 0f;
        }
        for (int a = 0; a < embCount; a++) {
            grad[activeEmb[a]] = 0f;
        }
        wideCount = 0;
        embCount = 0;
    }

    private double weightNorm() {
        double sum = 0;
        for (float p : params) {
            sum += (double) p * p;
        }
        return Math.sqrt(sum);
    }

    private void saveBackup() {
        if (backupParams == null) {
            backupParams = new float[params.length];
            backupState = new float[optimizerStateSize()];
        }
        System.arraycopy(params, 0, backupParams, 0, params.length);
        optimizer.saveState(backupState, 0);
        if (wideOptimizer != null) {
            wideOptimizer.saveState(backupState, optimizer.stateSize());
        }
    }

    private void loadBackup() {
        System.arraycopy(backupParams, 0, params, 0, params.length);
        optimizer.loadState(backupState, 0);
        if (wideOptimizer != null) {
            wideOptimizer.loadState(backupState, optimizer.stateSize());
        }
    }

    private double l2Penalty() {
        if (l2 == 0f) {
            return 0.0;
        }
        double sum = 0;
        for (int i = k; i < layersOffset; i++) {
            sum += (double) params[i] * params[i];
        }
        for (int l = 0; l < layers; l++) {
            for (int i = weightOffset[l]; i < biasOffset[l]; i++) {
                sum += (double) params[i] * params[i];
            }
        }
        return 0.5 * l2 * sum;
    }

    // ---- initialization ----------------------------------------------------------------

    /**
     * Hidden layers and, when there is any, the output layer of a deep model start uniform at the
     * spec's scale (GLOROT: sqrt(6 / (in + out)); HE: sqrt(6 / in)), embeddings uniform in +-{@link
     * #EMBEDDING_INIT}, biases and wide weights at zero; a linear model starts at zero.
     */
    private void initialize() {
        if (layers == 0 && fields == 0) {
            return;
        }
        SplittableRandom random = new SplittableRandom(spec.getSeed());
        for (int l = 0; l < layers; l++) {
            fill(
                    random,
                    weightOffset[l],
                    width[l + 1] * width[l],
                    limit(width[l], width[l + 1], activation[l]));
        }
        fill(random, k, k * width[layers], limit(width[layers], k, Activation.IDENTITY));
        for (int t = 0; t < tableOffset.length; t++) {
            fill(random, tableOffset[t], embRows * tableDim[t], EMBEDDING_INIT);
        }
    }

    private float limit(int in, int out, Activation act) {
        Init init = spec.getInit();
        if (init == Init.AUTO) {
            init = act == Activation.RELU || act == Activation.LEAKY_RELU ? Init.HE : Init.GLOROT;
        }
        return (float) (init == Init.HE ? Math.sqrt(6.0 / in) : Math.sqrt(6.0 / (in + out)));
    }

    private void fill(SplittableRandom random, int from, int count, float limit) {
        for (int i = from; i < from + count; i++) {
            params[i] = (float) ((random.nextDouble() * 2 - 1) * limit);
        }
    }

    // ---- helpers -----------------------------------------------------------------------

    private void ensureRows(int n) {
        if (n <= rowCapacity && acts != null) {
            return;
        }
        int capacity = Math.max(n, Math.max(16, rowCapacity * 2));
        acts = new float[layers + 1][];
        dropped = new float[layers + 1][];
        masks = new float[layers + 1][];
        dActs = new float[layers + 1][];
        for (int l = 0; l <= layers; l++) {
            acts[l] = new float[capacity * width[l]];
            dActs[l] = new float[capacity * width[l]];
            if (l > 0 && dropout[l - 1] > 0) {
                dropped[l] = new float[capacity * width[l]];
                masks[l] = new float[capacity * width[l]];
            }
        }
        logits = new float[capacity * k];
        out = new float[capacity * k];
        outGrad = new float[capacity * k];
        rowCapacity = capacity;
    }

    private static int[] ensure(int[] array, int needed) {
        return needed > array.length
                ? Arrays.copyOf(array, Math.max(needed, array.length * 2))
                : array;
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

    private static void softmax(float[] z, float[] p, int from, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + length; i++) {
            max = Math.max(max, z[i]);
        }
        double sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += Math.exp(z[i] - max);
        }
        for (int i = from; i < from + length; i++) {
            p[i] = (float) (Math.exp(z[i] - max) / sum);
        }
    }

    private static void checkSize(long count) {
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("model too large: " + count + " parameters");
        }
    }

    private static void copyTensor(
            List<Tensor> tensors, String name, int[] shape, float[] dst, int at) {
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

    /** Returns the loss a spec resolves to, refusing one that does not fit its task. */
    public static Loss lossOf(ModelSpec spec) {
        Loss l = spec.getLoss();
        Task t = spec.getTask();
        if (l == Loss.AUTO) {
            return t == Task.BINARY
                    ? Loss.LOG_LOSS
                    : t == Task.MULTICLASS ? Loss.CROSS_ENTROPY : Loss.SQUARED;
        }
        boolean regression = t == Task.REGRESSION;
        if (regression != (l == Loss.SQUARED || l == Loss.HUBER)) {
            throw new IllegalArgumentException("loss " + l + " does not fit a " + t + " model");
        }
        // Cross-entropy of a binary model is its log loss.
        if (t == Task.BINARY) {
            return Loss.LOG_LOSS;
        }
        return t == Task.MULTICLASS ? Loss.CROSS_ENTROPY : l;
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
