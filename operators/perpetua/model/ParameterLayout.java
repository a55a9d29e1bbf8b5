package perpetua.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import perpetua.schemas.Activation;
import perpetua.schemas.Embedding;
import perpetua.schemas.Init;
import perpetua.schemas.Layer;
import perpetua.schemas.Loss;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

/**
 * Where each parameter of a {@link NeuralModel} lives in its one flat {@code float[]}, as its spec
 * lays it out: output bias "bias" {@code [K]}, output weights "dense" {@code [K x in]}, wide
 * weights "hashed" {@code [K x 2^hashBits]}, the embedding tables {@code [2^embeddingBits x dim]},
 * the factorization machine's table "factors" {@code [2^factorBits x factors]}, then per hidden
 * layer its weights {@code [units x in]} and biases. Also the blocks published as tensors, and the
 * seeded initialization. Immutable; checks the spec's shape as it is built.
 */
final class ParameterLayout {
    /** Half-width of the uniform initialization of embedding vectors. */
    static final float EMBEDDING_INIT = 0.05f;

    /** Half-width of the uniform initialization of factor vectors. */
    static final float FACTOR_INIT = 0.01f;

    /**
     * Mixed into the seed of the factor table's draws, so that adding factors to a spec leaves the
     * start of every other parameter as it was.
     */
    private static final long FACTOR_SEED = 0x6661_6374_6f72_73L;

    /** A named block of the flat parameters, published as one tensor. */
    record Block(String name, int[] shape, int offset) {}

    final Task task;
    final Loss loss;

    /** Outputs: 1 for BINARY and REGRESSION, the classes for MULTICLASS. */
    final int k;

    /** Dense inputs per row: dense size plus named numerics. */
    final int denseWidth;

    final boolean wide;
    final int hashSize;
    final int fields;
    final int[] fieldDim;
    final int[] fieldColumn;
    final int[] fieldTable;
    final int[] tableOffset;
    final int[] tableDim;
    final int embRows;

    /** Size of a factor vector; 0 without a factorization machine. */
    final int factorDim;

    /** Rows of the factor table: 2^factorBits, or 0. */
    final int factorRows;

    final int factorOffset;
    final int layers;

    /** width[0]: the deep input; width[l + 1]: units of hidden layer l. */
    final int[] width;

    final Activation[] activation;
    final float[] dropout;
    final boolean anyDropout;
    final int[] weightOffset;
    final int[] biasOffset;
    final int hashedOffset;
    final int embOffset;
    final int layersOffset;

    /** The number of parameters. */
    final int size;

    final List<Block> blocks = new ArrayList<>();

    ParameterLayout(ModelSpec spec) {
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
        boolean dropping = false;
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
            dropping |= dropout[l] > 0;
        }
        this.anyDropout = dropping;
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
        this.factorDim = spec.getFactors();
        if (factorDim < 0) {
            throw new IllegalArgumentException("factors must be >= 0: " + factorDim);
        }
        if (factorDim > 0 && k != 1) {
            throw new IllegalArgumentException(
                    "factors need a BINARY or REGRESSION model (one output)");
        }
        int factorBits = spec.getFactorBits();
        if (factorDim > 0 && (factorBits < 1 || factorBits > 24)) {
            throw new IllegalArgumentException("factorBits must lie in [1, 24]: " + factorBits);
        }
        this.factorRows = factorDim > 0 ? 1 << factorBits : 0;
        this.factorOffset = (int) offset;
        if (factorDim > 0) {
            blocks.add(new Block("factors", new int[] {factorRows, factorDim}, (int) offset));
            offset += (long) factorRows * factorDim;
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
        this.size = (int) offset;
    }

    /** The parameters as tensors, one per block: "bias", "dense", "hashed", ... */
    List<Tensor> tensors(float[] params) {
        List<Tensor> tensors = new ArrayList<>(blocks.size());
        for (Block block : blocks) {
            tensors.add(Tensors.toTensor(block.name(), block.shape(), params, block.offset()));
        }
        return tensors;
    }

    /** Reads every block from {@code tensors} into {@code params}. */
    void read(List<Tensor> tensors, float[] params) {
        for (Block block : blocks) {
            copyTensor(tensors, block.name(), block.shape(), params, block.offset());
        }
    }

    /**
     * Hidden layers and, when there is any, the output layer of a deep model start uniform at the
     * spec's scale (GLOROT: sqrt(6 / (in + out)); HE: sqrt(6 / in)), embeddings uniform in +-{@link
     * #EMBEDDING_INIT}, biases and wide weights at zero; a linear model starts at zero. Factor
     * vectors start uniform in +-{@link #FACTOR_INIT} from a stream of their own (at zero they
     * would never move: each one's gradient is made of the others).
     */
    void initialize(ModelSpec spec, float[] params) {
        if (factorDim > 0) {
            fill(
                    params,
                    new SplittableRandom(spec.getSeed() ^ FACTOR_SEED),
                    factorOffset,
                    factorRows * factorDim,
                    FACTOR_INIT);
        }
        if (layers == 0 && fields == 0) {
            return;
        }
        SplittableRandom random = new SplittableRandom(spec.getSeed());
        for (int l = 0; l < layers; l++) {
            fill(
                    params,
                    random,
                    weightOffset[l],
                    width[l + 1] * width[l],
                    limit(spec, width[l], width[l + 1], activation[l]));
        }
        fill(
                params,
                random,
                k,
                k * width[layers],
                limit(spec, width[layers], k, Activation.IDENTITY));
        for (int t = 0; t < tableOffset.length; t++) {
            fill(params, random, tableOffset[t], embRows * tableDim[t], EMBEDDING_INIT);
        }
    }

    private static float limit(ModelSpec spec, int in, int out, Activation act) {
        Init init = spec.getInit();
        if (init == Init.AUTO) {
            init = act == Activation.RELU || act == Activation.LEAKY_RELU ? Init.HE : Init.GLOROT;
        }
        return (float) (init == Init.HE ? Math.sqrt(6.0 / in) : Math.sqrt(6.0 / (in + out)));
    }

    private static void fill(
            float[] params, SplittableRandom random, int from, int count, float limit) {
        for (int i = from; i < from + count; i++) {
            params[i] = (float) ((random.nextDouble() * 2 - 1) * limit);
        }
    }

    private static void checkSize(long count) {
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("model too large: " + count + " parameters");
        }
    }

    /**
     * Copies the tensor {@code name}, which must have {@code shape}, into {@code dst} at {@code
     * at}.
     */
    static void copyTensor(List<Tensor> tensors, String name, int[] shape, float[] dst, int at) {
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
    static Loss lossOf(ModelSpec spec) {
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
