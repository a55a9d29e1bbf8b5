package perpetua.model;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.ModelSpec;
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
 * text n-grams, and the pairwise interactions of a factorization machine ({@link FactorPart}), and
 * applies the task's activation: sigmoid (BINARY), softmax (MULTICLASS) or none (REGRESSION).
 * Losses: log loss, cross-entropy, squared, Huber.
 *
 * <p>Parameters are one flat {@code float[]}: output bias "bias" {@code [K]}, output weights
 * "dense" {@code [K x in]}, wide weights "hashed" {@code [K x 2^hashBits]}, the embedding tables
 * {@code [2^embeddingBits x dim]}, the factor table of a factorization machine {@code [2^factorBits
 * x factors]}, then per hidden layer its weights {@code [units x in]} and biases. A linear model
 * therefore has the same parameters, and the same tensors, as before there were layers. Dense
 * parameters are updated fully each step; wide and embedding weights only where the batch used them
 * (lazy L2 there, as the optimizers' state is lazy). State worth keeping is {@link #parameters()},
 * {@link #optimizerState()} and {@link #steps()}; the rest is working buffers.
 *
 * <p>Each learning step is guarded: a batch whose loss or gradient is not finite, or whose step
 * would leave the weights' L2 norm above {@code maxWeightNorm}, is not applied; the model stays
 * bit-identical, {@link #unhealthyBatches()} counts it and {@link #lastProblem()} says why.
 *
 * <p>Three parts do the work: {@link ParameterLayout} (where each parameter lives, the tensors, the
 * seeded start), {@link ForwardBackward} (the passes and their working buffers, with {@link
 * SparseBlocks} for the wide and embedding weights) and {@link GuardedStep} (the optimizers and the
 * guard). Not thread-safe; one instance serves one operator thread.
 */
public final class NeuralModel {

    private static final Logger LOG = LoggerFactory.getLogger(NeuralModel.class);

    private final ModelSpec spec;
    private final ParameterLayout layout;
    private final float[] params;
    private final ForwardBackward passes;
    private final GuardedStep step;

    /** Creates a model for {@code spec}, initialized from its seed. */
    public NeuralModel(ModelSpec spec) {
        this(spec, true);
    }

    private NeuralModel(ModelSpec spec, boolean initialize) {
        this.spec = spec;
        this.layout = new ParameterLayout(spec);
        this.params = new float[layout.size];
        this.passes = new ForwardBackward(layout, spec, params);
        this.step = new GuardedStep(spec, layout, params, passes);
        if (initialize) {
            layout.initialize(spec, params);
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
        model.step.steps = steps;
        return model;
    }

    /** Returns a model rebuilt from {@link #parameterTensors()} and {@link #optimizerTensors()}. */
    public static NeuralModel fromTensors(
            ModelSpec spec, List<Tensor> parameters, List<Tensor> optimizerState, long steps) {
        NeuralModel model = new NeuralModel(spec, false);
        model.layout.read(parameters, model.params);
        model.step.readTensors(optimizerState);
        model.step.steps = steps;
        model.step.target = TargetScaler.fromTensors(parameters);
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
        Optimizer optimizer = step.optimizer;
        Optimizer wideOptimizer = step.wideOptimizer;
        if (next.getOptimizer() == spec.getOptimizer()) {
            float[] s = new float[optimizer.stateSize()];
            optimizer.saveState(s, 0);
            model.step.optimizer.loadState(s, 0);
        }
        if (wideOptimizer != null
                && model.step.wideOptimizer != null
                && next.getWideOptimizer() == spec.getWideOptimizer()) {
            float[] s = new float[wideOptimizer.stateSize()];
            wideOptimizer.saveState(s, 0);
            model.step.wideOptimizer.loadState(s, 0);
        }
        model.step.steps = step.steps;
        model.step.unhealthy = step.unhealthy;
        model.step.lrBoost = step.lrBoost;
        model.step.target = step.target == null ? null : new TargetScaler(step.target.moments());
        return model;
    }

    /** Where each parameter lives: for the explanations of this package. */
    ParameterLayout layout() {
        return layout;
    }

    /** The live parameters, not a copy: for the explanations of this package, which only read. */
    float[] liveParameters() {
        return params;
    }

    /**
     * Runs the forward pass of {@code batch} without dropout and returns the scores before the
     * task's activation (log-odds, class logits or values), {@link #outputs()} a row; the array is
     * a working buffer, valid until the next pass.
     */
    float[] scores(MicroBatch batch) {
        passes.forward(batch, false, 0);
        return passes.logits();
    }

    /**
     * Whether {@link #joinedScores} scores a row joined with a base row exactly as the joined row
     * itself: one output and no embeddings, so that only the wide and factor parts see the
     * categoricals.
     */
    boolean joinsRows() {
        return spec.getEmbeddings().isEmpty() && outputs() == 1;
    }

    /**
     * The scores before the task's activation of each row of {@code items} joined with row 0 of
     * {@code base} (its categoricals added to the row's, its dense values, numerics and text
     * taken): with the base row's part computed once instead of once a row. Only for a model that
     * {@link #joinsRows()}; the array is a working buffer, valid until the next pass.
     */
    float[] joinedScores(MicroBatch base, MicroBatch items) {
        return passes.joinedScores(base, items);
    }

    /** Returns the spec this model was built for. */
    public ModelSpec spec() {
        return spec;
    }

    /** Returns the number of dense inputs per row: dense size plus named numerics. */
    public int denseWidth() {
        return layout.denseWidth;
    }

    /** Returns the number of outputs K: 1 for BINARY and REGRESSION, the classes for MULTICLASS. */
    public int outputs() {
        return layout.k;
    }

    /** Returns the scores per row: 2 for BINARY, the classes for MULTICLASS, 0 for REGRESSION. */
    public int scoreWidth() {
        switch (layout.task) {
            case BINARY:
                return 2;
            case MULTICLASS:
                return layout.k;
            default:
                return 0;
        }
    }

    /** Returns the number of optimizer steps applied so far. */
    public long steps() {
        return step.steps;
    }

    /** Returns the learning batches not applied because they were unhealthy. */
    public long unhealthyBatches() {
        return step.unhealthy;
    }

    /** Sets the count of unhealthy batches, as restored from state. */
    public void setUnhealthyBatches(long count) {
        step.unhealthy = count;
    }

    /** Returns why the last unhealthy batch was not applied, or null. */
    public String lastProblem() {
        return step.lastProblem;
    }

    /** Multiplies every learning rate by {@code boost} until set back to 1. */
    public void setLearningRateBoost(float boost) {
        if (!(boost > 0) || Float.isInfinite(boost)) {
            throw new IllegalArgumentException("boost must be positive: " + boost);
        }
        step.lrBoost = boost;
    }

    /** Returns the current learning-rate boost. */
    public float learningRateBoost() {
        return step.lrBoost;
    }

    /**
     * Returns a regression model's label moments (weight, mean, sum of squared deviations), or null
     * when it learns the label as it comes.
     */
    public double[] targetMoments() {
        return step.target == null ? null : step.target.moments();
    }

    /**
     * The output's value in the label's own units: {@code shift + scale * output} for a regression
     * model that learns its label standardized, the output itself otherwise.
     */
    public float labelUnits(float output) {
        return step.target == null ? output : step.target.shift() + step.target.scale() * output;
    }

    /** The factor {@link #labelUnits} multiplies the output by: 1 without target scaling. */
    public float labelScale() {
        return step.target == null ? 1f : step.target.scale();
    }

    /**
     * Sets the label moments of {@link #targetMoments()}; null makes the model learn and predict
     * the label as it comes (state of a model that learned before target scaling existed).
     */
    public void setTargetMoments(double[] moments) {
        step.target = moments == null ? null : new TargetScaler(moments);
    }

    /** Returns the number of parameters. */
    public int parameterCount() {
        return params.length;
    }

    /** Returns the kernel of each dense layer, the output layer last. */
    public List<String> kernels() {
        List<String> names = new ArrayList<>();
        for (DenseKernel kernel : passes.kernels()) {
            names.add(kernel.name());
        }
        return names;
    }

    /** Returns the shape and kernels in words, as logged when the model is created. */
    public String describe() {
        return ModelDescription.of(spec, layout, passes.kernels(), params.length);
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
        passes.weightsChanged();
    }

    /** Returns a copy of the optimizer state: the main optimizer's, then the wide optimizer's. */
    public float[] optimizerState() {
        float[] state = new float[step.stateSize()];
        step.saveState(state);
        return state;
    }

    private void restoreOptimizerState(float[] state) {
        if (state.length != step.stateSize()) {
            throw new IllegalArgumentException(
                    "optimizer state needs " + step.stateSize() + " values, got " + state.length);
        }
        step.loadState(state);
    }

    /**
     * Returns the parameters as tensors, one per block: "bias", "dense", "hashed", ...; and a
     * regression model's label moments as "target" {@code [3]}: weight, mean, m2.
     */
    public List<Tensor> parameterTensors() {
        List<Tensor> tensors = layout.tensors(params);
        if (step.target != null) {
            tensors = new ArrayList<>(tensors);
            tensors.add(step.target.toTensor());
        }
        return tensors;
    }

    /** Returns the optimizer state as tensors: one per state array; the wide ones "wide.NAME". */
    public List<Tensor> optimizerTensors() {
        return step.tensors();
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
        passes.forward(batch, false, 0);
        float[] out = passes.out();
        int k = layout.k;
        switch (layout.task) {
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
                if (step.target == null) {
                    System.arraycopy(out, 0, predicted, 0, n);
                } else {
                    // Back from the standardized label to its own units.
                    float shift = step.target.shift();
                    float scale = step.target.scale();
                    for (int r = 0; r < n; r++) {
                        predicted[r] = shift + scale * out[r];
                    }
                }
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
        return step.learn(batch);
    }

    /**
     * Takes the step of {@link #learn}, without computing the loss that it returns: a job learns
     * for the model, not for the loss, and a linear model's log loss costs two transcendentals per
     * event. Whether a step was taken shows in {@link #steps()}.
     */
    public void train(MicroBatch batch) {
        step.learn(batch, false);
    }

    /** Leaves every step to the general path: for tests that compare it with the fused one. */
    void generalStepsOnly() {
        step.generalStepsOnly();
    }

    /** The steps the fused single-row step took; -1 when the model has none. */
    long fusedSteps() {
        return step.fusedSteps();
    }

    /** The learning rate of step {@code t}: the schedule times the boost. */
    float learningRate(long t) {
        return step.learningRate(t);
    }

    /**
     * Returns the objective on {@code batch} as a step would see it: the weighted mean loss of its
     * learnable rows (0 when there is none; dropout as the next step would draw it) plus {@code 0.5
     * l2 ||w||^2} over every weight but the biases. L1 is applied as a proximal step and is not
     * part of it.
     */
    public double loss(MicroBatch batch) {
        double data = batch.size() == 0 ? Double.NaN : passes.forwardLoss(batch, step.steps + 1);
        return (Double.isNaN(data) ? 0.0 : data) + passes.l2Penalty();
    }

    /** Returns the exact gradient of {@link #loss}, laid out as {@link #parameters()}. */
    public float[] gradient(MicroBatch batch) {
        passes.backward(batch, step.steps + 1);
        float[] grad = passes.grad;
        SparseBlocks sparse = passes.sparse;
        float[] full = grad.clone();
        // Inactive sparse weights feel only the L2 pull; the active ones already include it.
        float l2 = spec.getL2();
        for (int i = layout.hashedOffset; i < layout.layersOffset; i++) {
            full[i] = l2 * params[i];
        }
        for (int a = 0; a < sparse.wideCount; a++) {
            full[sparse.activeWide[a]] = grad[sparse.activeWide[a]];
        }
        for (int a = 0; a < sparse.embCount; a++) {
            full[sparse.activeEmb[a]] = grad[sparse.activeEmb[a]];
        }
        sparse.clearGradient();
        return full;
    }
}
