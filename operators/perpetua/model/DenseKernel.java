package perpetua.model;

import java.util.Arrays;
import perpetua.schemas.Activation;

/**
 * The dense math of one fully connected layer over a micro-batch, {@code Z = A W^T + b} and its
 * gradients, with weights {@code W [out x in]} (row-major) and biases {@code b [out]} read from a
 * model's flat parameters. One instance serves one layer and keeps its working buffers between
 * batches, so a steady stream of batches allocates nothing.
 *
 * <p>Two implementations exist because neither wins everywhere: {@link Nd4jKernel} hands the
 * products to ND4J's BLAS GEMM and pays a copy in and out per call; {@link PrimitiveKernel} runs
 * plain Java loops on the arrays and pays nothing else. {@link Kernels#choose} picks by shape.
 */
public abstract class DenseKernel {
    /** The input width. */
    protected final int in;

    /** The output width. */
    protected final int out;

    protected DenseKernel(int in, int out) {
        this.in = in;
        this.out = out;
    }

    /**
     * Computes {@code out[n x outWidth] = act(a[n x in] W^T + b)}.
     *
     * @param a the layer input, row-major, its first n rows valid
     * @param params the model's parameters, W at {@code w} and b at {@code b}
     * @param act the activation applied element-wise
     * @param out receives the activations, row-major
     */
    public abstract void forward(
            float[] a, int n, float[] params, int w, int b, Activation act, float[] out);

    /**
     * Given {@code dz = dLoss/dZ [n x outWidth]}, sets {@code grad[w ..]} to {@code dz^T a}, {@code
     * grad[b ..]} to the column sums of {@code dz}, and, when {@code da} is not null, {@code da[n x
     * in]} to {@code dz W}. {@code a} must be the input of the last forward pass.
     */
    public abstract void backward(
            float[] dz, float[] a, int n, float[] params, int w, int b, float[] grad, float[] da);

    /**
     * Tells the kernel that the weights in the model's parameters changed since its last forward
     * pass, so that anything it derived from them (a transposed copy, ND4J's copy) is stale. Until
     * then it may reuse what it derived.
     */
    public abstract void weightsChanged();

    /** Sets {@code grad[b ..]} to the column sums of {@code dz [n x out]}: the bias gradient. */
    protected final void biasGradient(float[] dz, int n, int b, float[] grad) {
        Arrays.fill(grad, b, b + out, 0f);
        for (int r = 0; r < n; r++) {
            int zr = r * out;
            for (int o = 0; o < out; o++) {
                grad[b + o] += dz[zr + o];
            }
        }
    }

    /** Returns the input width. */
    public final int in() {
        return in;
    }

    /** Returns the output width. */
    public final int out() {
        return out;
    }

    /** Returns the kernel's name as a spec names it: ND4J or PRIMITIVE. */
    public abstract String name();
}
