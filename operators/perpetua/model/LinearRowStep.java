package perpetua.model;

import perpetua.features.MicroBatch;
import perpetua.schemas.Loss;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/**
 * The step of a linear model with one output over a single row, fused: the forward pass, the loss's
 * gradient and AdaGrad's update of the weights the row touches, in one pass over its inputs and
 * without the general step's gradient array.
 *
 * <p>A model whose optimizer learns one event a step (NORMALIZED_ADAGRAD, the spec default) takes a
 * step per labelled event, and for a linear model the general step's fixed work (the passes'
 * bookkeeping, a gradient laid out as the parameters, its norm, the sparse lists) costs several
 * times the arithmetic. This step does the same arithmetic in the same order, so the model it
 * leaves is the general step's to the bit ({@code LinearRowStepTest} holds it to that). It takes
 * only the healthy case: when an input, the score or a gradient is not finite, or the row's slots
 * are not in order, it changes nothing and leaves the row to the general step, which refuses it and
 * says why.
 */
final class LinearRowStep {
    private final ParameterLayout p;
    private final float[] params;
    private final ForwardBackward passes;
    private final AdaGrad optimizer;
    private final float l2;
    private final boolean normalized;
    private final boolean binary;
    private final boolean warmBias;

    // The row's dense and wide gradients, a wide weight once however often its slot occurs.
    private final float[] denseGrad;
    private float[] wideGrad = new float[16];
    private int[] wideIndex = new int[16];
    private final double[] targetBefore = new double[3];

    /** The loss of the last step taken, when it was asked for; NaN when the row is not learned. */
    double loss;

    /** The steps this fused step took. */
    long taken;

    private LinearRowStep(
            ModelSpec spec,
            ParameterLayout layout,
            float[] params,
            ForwardBackward passes,
            AdaGrad a) {
        this.p = layout;
        this.params = params;
        this.passes = passes;
        this.optimizer = a;
        this.l2 = spec.getL2();
        this.normalized = spec.getOptimizer() == OptimizerKind.NORMALIZED_ADAGRAD;
        this.binary = layout.task == Task.BINARY;
        this.warmBias = spec.getWarmBias();
        this.denseGrad = new float[layout.denseWidth];
    }

    /**
     * The fused step of a model it fits, or null: a linear model (no hidden layer, embedding or
     * factor) with one output, a binary log loss or a squared regression loss, AdaGrad for every
     * weight, and no clipping, weight bound or L1 for the general step to apply.
     */
    static LinearRowStep of(
            ModelSpec spec,
            ParameterLayout layout,
            float[] params,
            ForwardBackward passes,
            Optimizer optimizer,
            Optimizer wideOptimizer) {
        boolean fits =
                layout.layers == 0
                        && layout.fields == 0
                        && layout.factorDim == 0
                        && layout.k == 1
                        && layout.layersOffset == params.length
                        && (layout.task == Task.BINARY && layout.loss == Loss.LOG_LOSS
                                || layout.task == Task.REGRESSION && layout.loss == Loss.SQUARED)
                        && !spec.getPairwise()
                        && optimizer instanceof AdaGrad
                        && wideOptimizer == null
                        && spec.getL1() == 0f
                        && spec.getClipNorm() <= 0f
                        && spec.getMaxWeightNorm() <= 0f
                        && passes.kernels()[0] instanceof PrimitiveKernel;
        return fits ? new LinearRowStep(spec, layout, params, passes, (AdaGrad) optimizer) : null;
    }

    /**
     * Learns the batch's one row as the general step would, if the row is healthy.
     *
     * @param t the step's number
     * @param lr the step's learning rate (the schedule's, before NORMALIZED_ADAGRAD's scaling)
     * @param target the regression label's moments, null without target scaling
     * @param wantLoss whether {@link #loss} is computed (the log loss costs two transcendentals)
     * @return whether the row was dealt with: learned, or not learnable ({@link #loss} NaN); false
     *     when the general step must take it, with nothing changed
     */
    boolean learn(MicroBatch batch, long t, float lr, TargetScaler target, boolean wantLoss) {
        float y = batch.label(0);
        float w = batch.weight(0);
        if (!Losses.learnable(y, w)) {
            loss = Double.NaN;
            return true;
        }
        if (!Float.isFinite(y) || !Float.isFinite(w)) {
            return false;
        }
        if (!binary && target == null && t == 1 && warmBias) {
            return false; // the first step starts the bias at the label: the general step's work
        }
        int dw = p.denseWidth;
        float[] dense = batch.dense();
        float[] values = batch.slotValues();
        int[] slots = batch.slots();
        int from = batch.slotStart()[0];
        int to = batch.slotStart()[1];
        // NORMALIZED_ADAGRAD's squared input norm: 1 (the bias) + ||dense||^2 + the hashed values'.
        double norm = 1;
        for (int j = 0; j < dw; j++) {
            float x = dense[j];
            if (!Float.isFinite(x)) {
                return false;
            }
            norm += (double) x * x;
        }
        for (int j = from; j < to; j++) {
            float v = values[j];
            if (!Float.isFinite(v) || j > from && slots[j] < slots[j - 1]) {
                return false;
            }
            norm += (double) v * v;
        }

        // The forward pass: the output layer's dot product, then the wide sum.
        float logit = params[0] + PrimitiveKernel.dot(dense, 0, params, p.k, dw);
        if (p.wide) {
            int base = p.hashedOffset;
            float z = 0f;
            for (int j = from; j < to; j++) {
                z += values[j] * params[base + slots[j]];
            }
            logit += z;
        }
        if (!Float.isFinite(logit)) {
            return false;
        }

        // dLoss/dz of the one row, weighted as Losses.weighted weighs it.
        double weightSum = 0;
        weightSum += w;
        double c = w / weightSum;
        float g;
        double value = 0;
        if (target != null) {
            target.saveMoments(targetBefore);
            target.fold(batch);
            passes.targetShift = target.shift();
            passes.targetScale = target.scale();
        }
        if (binary) {
            float out = (float) (1.0 / (1.0 + Math.exp(-logit)));
            g = (float) (c * (out - y));
            if (wantLoss) {
                double z = logit;
                value = c * (Losses.softplus(z) - y * z);
            }
        } else {
            double d = (double) logit - (y - passes.targetShift) / passes.targetScale;
            g = (float) (c * d);
            value = c * 0.5 * d * d;
            if (!Double.isFinite(value)) {
                restore(target);
                return false;
            }
        }

        // The gradients, each checked before any weight moves.
        float biasGrad = 0f + g;
        if (!Float.isFinite(biasGrad)) {
            restore(target);
            return false;
        }
        for (int j = 0; j < dw; j++) {
            float d = g != 0f ? 0f + g * dense[j] : 0f;
            if (l2 > 0) {
                d += l2 * params[p.k + j];
            }
            if (!Float.isFinite(d)) {
                restore(target);
                return false;
            }
            denseGrad[j] = d;
        }
        int active = 0;
        if (p.wide) {
            ensureWide(to - from);
            int base = p.hashedOffset;
            for (int j = from; j < to; ) {
                int s = slots[j];
                float d = 0f;
                for (; j < to && slots[j] == s; j++) {
                    d += values[j] * g;
                }
                if (l2 > 0) {
                    d += l2 * params[base + s];
                }
                if (!Float.isFinite(d)) {
                    restore(target);
                    return false;
                }
                wideIndex[active] = base + s;
                wideGrad[active++] = d;
            }
        }

        // AdaGrad's update of the bias, the dense weights and the row's wide weights.
        float step = normalized ? lr / (float) Math.sqrt(norm) : lr;
        optimizer.apply(params, 0, 0, biasGrad, step);
        for (int j = 0; j < dw; j++) {
            optimizer.apply(params, p.k + j, p.k + j, denseGrad[j], step);
        }
        for (int a = 0; a < active; a++) {
            optimizer.apply(params, wideIndex[a], wideIndex[a], wideGrad[a], step);
        }
        passes.weightsChanged();
        loss = value;
        taken++;
        return true;
    }

    private void restore(TargetScaler target) {
        if (target != null) {
            target.loadMoments(targetBefore);
        }
    }

    private void ensureWide(int n) {
        if (wideGrad.length < n) {
            wideGrad = new float[Math.max(n, wideGrad.length * 2)];
            wideIndex = new int[wideGrad.length];
        }
    }
}
