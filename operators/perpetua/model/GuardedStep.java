package perpetua.model;

import java.util.ArrayList;
import java.util.List;
import perpetua.features.MicroBatch;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

/**
 * The guarded optimizer step of a {@link NeuralModel}: one gradient step per micro-batch by the
 * spec's optimizer (and the wide part's own, if it names one), with gradient clipping, a learning
 * rate schedule and boost, and proximal L1.
 *
 * <p>A batch whose input, loss or gradient is not finite is not applied; nor is a step that would
 * leave the weights' L2 norm above {@code maxWeightNorm}, undone from a backup of the weights and
 * the optimizer state. The model then stays bit-identical, {@link #unhealthy} counts the batch and
 * {@link #lastProblem} says why. Keeps the optimizers' state and the step count.
 */
final class GuardedStep {
    private final ModelSpec spec;
    private final ParameterLayout p;
    private final float[] params;
    private final ForwardBackward passes;
    private final SparseBlocks sparse;
    final Optimizer optimizer;
    final Optimizer wideOptimizer;
    private final boolean l1Prox;

    /** The main optimizer is NORMALIZED_ADAGRAD: its step is divided by the inputs' norm. */
    private final boolean normalized;

    private final float l1;
    // The vector API's reduction where the JVM has it: a dense range is most of a deep model's
    // step.
    private final boolean vectors = VectorSupport.enabled();
    long steps;
    long unhealthy;
    String lastProblem;
    float lrBoost = 1f;

    /** A regression model's label moments, or null when it learns the label as it comes. */
    TargetScaler target;

    private float[] backupParams;
    private float[] backupState;

    /** The fused step of a single row, for a linear model with one output; null for others. */
    private LinearRowStep rowStep;

    GuardedStep(ModelSpec spec, ParameterLayout layout, float[] params, ForwardBackward passes) {
        this.spec = spec;
        this.p = layout;
        this.params = params;
        this.passes = passes;
        this.sparse = passes.sparse;
        this.l1 = spec.getL1();
        this.optimizer = Optimizer.create(spec.getOptimizer(), spec, 0, params.length);
        OptimizerKind wideKind = spec.getWideOptimizer();
        this.wideOptimizer =
                layout.wide && wideKind != null && wideKind != spec.getOptimizer()
                        ? Optimizer.create(
                                wideKind, spec, layout.hashedOffset, layout.k * layout.hashSize)
                        : null;
        this.l1Prox = l1 > 0 && spec.getOptimizer() != OptimizerKind.FTRL;
        this.normalized = spec.getOptimizer() == OptimizerKind.NORMALIZED_ADAGRAD;
        this.target =
                layout.task == Task.REGRESSION && spec.getScaleTarget() ? new TargetScaler() : null;
        this.rowStep = LinearRowStep.of(spec, layout, params, passes, optimizer, wideOptimizer);
    }

    /** Leaves every step to the general path: for tests that compare the two. */
    void generalStepsOnly() {
        rowStep = null;
    }

    /** The steps the fused single-row step took; -1 when the model has none. */
    long fusedSteps() {
        return rowStep == null ? -1 : rowStep.taken;
    }

    /**
     * Takes one gradient step on the labelled rows of {@code batch}, unless the batch is unhealthy.
     *
     * @return the weighted mean loss of those rows before the step, without regularization; NaN,
     *     and no step, when the batch has no learnable row
     */
    double learn(MicroBatch batch) {
        return learn(batch, true);
    }

    /**
     * {@link #learn(MicroBatch)}, but the loss it returns is computed only when {@code wantLoss};
     * without, the value is not to be read, and whether a step was taken shows in {@link #steps}. A
     * single row of a linear model with one output is learned by the fused {@link LinearRowStep},
     * which leaves the model as this general step would.
     */
    double learn(MicroBatch batch, boolean wantLoss) {
        if (rowStep != null && batch.size() == 1) {
            long t = steps + 1;
            if (rowStep.learn(batch, t, learningRate(t), target, wantLoss)) {
                if (!Double.isNaN(rowStep.loss)) {
                    steps = t;
                }
                return rowStep.loss;
            }
        }
        if (!Losses.hasLearnableRow(batch)) {
            return Double.NaN;
        }
        String bad = nonFiniteInput(batch);
        if (bad != null) {
            return refuse(Double.NaN, bad);
        }
        double[] targetBefore = null;
        if (target != null) {
            targetBefore = target.moments();
            target.fold(batch);
            passes.targetShift = target.shift();
            passes.targetScale = target.scale();
        } else if (steps == 0 && p.task == Task.REGRESSION && spec.getWarmBias()) {
            startAtTheMeanLabel(batch);
        }
        long t = steps + 1;
        double value = passes.backward(batch, t);
        double norm2 = gradientNormSquared();
        if (!Double.isFinite(value) || !Double.isFinite(norm2)) {
            if (targetBefore != null) {
                target = new TargetScaler(targetBefore);
            }
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
        float mainLr = normalized ? lr / (float) Math.sqrt(meanSquaredNorm(batch)) : lr;
        float[] grad = passes.grad;
        optimizer.update(params, grad, 0, p.hashedOffset, t, mainLr);
        optimizer.update(params, grad, p.layersOffset, params.length, t, mainLr);
        if (wideOptimizer != null) {
            wideOptimizer.updateSparse(params, grad, sparse.activeWide, sparse.wideCount, t, lr);
        } else {
            optimizer.updateSparse(params, grad, sparse.activeWide, sparse.wideCount, t, mainLr);
        }
        optimizer.updateSparse(params, grad, sparse.activeEmb, sparse.embCount, t, mainLr);
        if (l1Prox) {
            shrink(lr * l1);
        }
        sparse.clearGradient();
        passes.weightsChanged();
        if (bound > 0) {
            double norm = weightNorm();
            if (!(norm <= bound)) {
                loadBackup();
                if (targetBefore != null) {
                    target = new TargetScaler(targetBefore);
                }
                unhealthy++;
                lastProblem = "weight norm " + norm + " exceeds maxWeightNorm " + bound;
                return value;
            }
        }
        steps = t;
        return value;
    }

    /**
     * NORMALIZED_ADAGRAD's step size divides by the root mean squared norm of the learned rows'
     * inputs, 1 (the bias) + ||dense||^2 + the squared hashed values: a row with a hundred active
     * inputs would otherwise move its output a hundred times as far as a row with one.
     */
    private double meanSquaredNorm(MicroBatch batch) {
        double sum = 0;
        int rows = 0;
        float[] dense = batch.dense();
        float[] values = batch.slotValues();
        int[] start = batch.slotStart();
        for (int r = 0; r < batch.size(); r++) {
            if (!Losses.learnable(batch.label(r), batch.weight(r))) {
                continue;
            }
            double n = 1;
            for (int j = r * p.denseWidth; j < (r + 1) * p.denseWidth; j++) {
                n += (double) dense[j] * dense[j];
            }
            for (int j = start[r]; j < start[r + 1]; j++) {
                n += (double) values[j] * values[j];
            }
            sum += n;
            rows++;
        }
        return rows == 0 ? 1 : sum / rows;
    }

    /** The learning rate of step {@code t}: the schedule times the boost. */
    float learningRate(long t) {
        double lr = Optimizer.learningRate(spec);
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
     * A regression model's output bias starts at the weighted mean label of its first batch, so
     * that the first thousands of predictions are not spent walking from 0 to the target's level.
     */
    private void startAtTheMeanLabel(MicroBatch batch) {
        double sum = 0;
        double weights = 0;
        for (int r = 0; r < batch.size(); r++) {
            if (Losses.learnable(batch.label(r), batch.weight(r))) {
                sum += (double) batch.weight(r) * batch.label(r);
                weights += batch.weight(r);
            }
        }
        if (params[0] == 0f && weights > 0) {
            params[0] = (float) (sum / weights);
            passes.weightsChanged();
        }
    }

    // A non-finite input can vanish inside a ReLU and leave a finite loss over a meaningless step.
    private String nonFiniteInput(MicroBatch batch) {
        float[] dense = batch.dense();
        int end = batch.size() * p.denseWidth;
        // A batch of mnist rows is 12,544 values: checked on vectors first, searched only if bad.
        if (!(vectors && end >= 1024 && VectorMath.allFinite(dense, end))) {
            for (int i = 0; i < end; i++) {
                if (!Float.isFinite(dense[i])) {
                    return "input is not finite: row " + i / Math.max(1, p.denseWidth);
                }
            }
        }
        float[] values = batch.slotValues();
        for (int i = 0, slots = batch.slotStart()[batch.size()]; i < slots; i++) {
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
        sparse.clearGradient();
        unhealthy++;
        lastProblem = why;
        return value;
    }

    private double gradientNormSquared() {
        float[] grad = passes.grad;
        double sum = sumOfSquares(grad, 0, p.hashedOffset);
        sum += sumOfSquares(grad, p.layersOffset, params.length);
        for (int a = 0; a < sparse.wideCount; a++) {
            sum += (double) grad[sparse.activeWide[a]] * grad[sparse.activeWide[a]];
        }
        for (int a = 0; a < sparse.embCount; a++) {
            sum += (double) grad[sparse.activeEmb[a]] * grad[sparse.activeEmb[a]];
        }
        return sum;
    }

    private double sumOfSquares(float[] x, int from, int to) {
        return vectors && to - from >= 1024
                ? VectorMath.sumOfSquares(x, from, to)
                : scalarSumOfSquares(x, from, to);
    }

    // Four running sums, so that the additions of a long dense range need not wait on each other.
    private static double scalarSumOfSquares(float[] x, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += (double) x[i] * x[i];
            s1 += (double) x[i + 1] * x[i + 1];
            s2 += (double) x[i + 2] * x[i + 2];
            s3 += (double) x[i + 3] * x[i + 3];
        }
        for (; i < to; i++) {
            s0 += (double) x[i] * x[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private void scaleGradient(float factor) {
        float[] grad = passes.grad;
        for (int i = 0; i < p.hashedOffset; i++) {
            grad[i] *= factor;
        }
        for (int i = p.layersOffset; i < params.length; i++) {
            grad[i] *= factor;
        }
        for (int a = 0; a < sparse.wideCount; a++) {
            grad[sparse.activeWide[a]] *= factor;
        }
        for (int a = 0; a < sparse.embCount; a++) {
            grad[sparse.activeEmb[a]] *= factor;
        }
    }

    // Proximal L1 (soft thresholding) on the weights this step touched, biases excepted.
    private void shrink(float amount) {
        for (int i = p.k; i < p.hashedOffset; i++) {
            params[i] = softThreshold(params[i], amount);
        }
        for (int l = 0; l < p.layers; l++) {
            for (int i = p.weightOffset[l]; i < p.biasOffset[l]; i++) {
                params[i] = softThreshold(params[i], amount);
            }
        }
        if (wideOptimizer == null || spec.getWideOptimizer() != OptimizerKind.FTRL) {
            for (int a = 0; a < sparse.wideCount; a++) {
                params[sparse.activeWide[a]] = softThreshold(params[sparse.activeWide[a]], amount);
            }
        }
        for (int a = 0; a < sparse.embCount; a++) {
            params[sparse.activeEmb[a]] = softThreshold(params[sparse.activeEmb[a]], amount);
        }
    }

    private static float softThreshold(float w, float amount) {
        return w > amount ? w - amount : w < -amount ? w + amount : 0f;
    }

    private double weightNorm() {
        double sum = 0;
        for (float w : params) {
            sum += (double) w * w;
        }
        return Math.sqrt(sum);
    }

    private void saveBackup() {
        if (backupParams == null) {
            backupParams = new float[params.length];
            backupState = new float[stateSize()];
        }
        System.arraycopy(params, 0, backupParams, 0, params.length);
        saveState(backupState);
    }

    private void loadBackup() {
        System.arraycopy(backupParams, 0, params, 0, params.length);
        loadState(backupState);
    }

    // ---- the optimizers' state ---------------------------------------------------------

    int stateSize() {
        return optimizer.stateSize() + (wideOptimizer == null ? 0 : wideOptimizer.stateSize());
    }

    /** The main optimizer's state, then the wide optimizer's, into {@code state}. */
    void saveState(float[] state) {
        optimizer.saveState(state, 0);
        if (wideOptimizer != null) {
            wideOptimizer.saveState(state, optimizer.stateSize());
        }
    }

    void loadState(float[] state) {
        optimizer.loadState(state, 0);
        if (wideOptimizer != null) {
            wideOptimizer.loadState(state, optimizer.stateSize());
        }
    }

    /** The optimizer state as tensors: one per state array; the wide ones "wide.NAME". */
    List<Tensor> tensors() {
        float[] state = new float[stateSize()];
        saveState(state);
        List<Tensor> tensors = new ArrayList<>();
        int at = 0;
        for (String name : optimizer.stateNames()) {
            tensors.add(Tensors.toTensor(name, new int[] {params.length}, state, at));
            at += params.length;
        }
        if (wideOptimizer != null) {
            int wideSize = p.k * p.hashSize;
            for (String name : wideOptimizer.stateNames()) {
                tensors.add(Tensors.toTensor("wide." + name, new int[] {wideSize}, state, at));
                at += wideSize;
            }
        }
        return tensors;
    }

    /** Reads the optimizer state from tensors written by {@link #tensors()}. */
    void readTensors(List<Tensor> tensors) {
        float[] state = new float[stateSize()];
        int at = 0;
        for (String name : optimizer.stateNames()) {
            ParameterLayout.copyTensor(tensors, name, new int[] {params.length}, state, at);
            at += params.length;
        }
        if (wideOptimizer != null) {
            int wideSize = p.k * p.hashSize;
            for (String name : wideOptimizer.stateNames()) {
                ParameterLayout.copyTensor(
                        tensors, "wide." + name, new int[] {wideSize}, state, at);
                at += wideSize;
            }
        }
        loadState(state);
    }
}
