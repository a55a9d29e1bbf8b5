package perpetua.model;

import java.util.Arrays;
import perpetua.schemas.Activation;

/**
 * A dense layer in plain Java loops over the arrays: no copies into native memory and no native
 * call, which wins when the layer or the batch is small, and when its inputs are mostly zeros
 * (pixels, ReLU outputs), which it skips.
 *
 * <p>The products run as AXPYs ({@code y += alpha x}) over whole rows. The JIT (C2 of JDK 17)
 * compiles such a loop to vector instructions only when every array in it is indexed alike: {@code
 * y[j] += alpha * x[j]} vectorizes, {@code y[yi + j] += alpha * x[xi + j]} does not, since the two
 * rows might overlap. So the rows the AXPYs read and write are whole arrays of their own: the
 * transposed weights one array per input, the accumulated output, gradient and input-gradient rows
 * scratch arrays, copied in and out with {@link System#arraycopy}. Every sum adds the same products
 * in the same order as the row-offset loops did, so the results are the same to the bit.
 */
public final class PrimitiveKernel extends DenseKernel {

    /** From this many outputs the forward pass runs as AXPYs over a transposed weight copy. */
    static final int AXPY_FORWARD_OUTPUTS = 16;

    // W^T, one row [out] per input, rebuilt after the weights change, when the layer is wide
    // enough to use it.
    private float[][] transposed;
    private boolean transposedStale = true;

    // Scratch rows, each indexed from 0 so that the AXPYs over them vectorize.
    private float[] outputRow; // [out]: an output row, or a column of the weight gradient
    private float[] inputRow; // [in]: an input row, or an input-gradient row
    private float[][] outputGradientRows; // [n][out]: dz, row by row
    private float[][] gradientRows; // [out][in]: the weight gradient, output by output
    private float[][] weightRows; // [out][in]: W, output by output

    /** Creates the kernel of a layer with {@code in} inputs and {@code out} outputs. */
    public PrimitiveKernel(int in, int out) {
        super(in, out);
    }

    @Override
    public void forward(float[] a, int n, float[] params, int w, int b, Activation act, float[] z) {
        if (out >= AXPY_FORWARD_OUTPUTS && n > 1) {
            forwardByAxpy(a, n, params, w, b, z);
        } else {
            for (int r = 0; r < n; r++) {
                int ar = r * in;
                int zr = r * out;
                for (int o = 0; o < out; o++) {
                    z[zr + o] = params[b + o] + dot(a, ar, params, w + o * in, in);
                }
            }
        }
        Activations.apply(act, z, n * out);
    }

    /**
     * z[r, :] = b + sum_i a[r, i] W^T[i, :]: AXPYs over the rows of a transposed copy of W, which
     * vectorize where a dot product's reduction does not, and skip the zero inputs for free.
     */
    private void forwardByAxpy(float[] a, int n, float[] params, int w, int b, float[] z) {
        if (transposed == null) {
            transposed = new float[in][out];
        }
        float[][] t = transposed;
        if (transposedStale) {
            // In 32 x 32 tiles, so that both the reads and the strided writes stay in cache.
            for (int i0 = 0; i0 < in; i0 += 32) {
                for (int o0 = 0; o0 < out; o0 += 32) {
                    for (int i = i0; i < Math.min(in, i0 + 32); i++) {
                        float[] ti = t[i];
                        for (int o = o0; o < Math.min(out, o0 + 32); o++) {
                            ti[o] = params[w + o * in + i];
                        }
                    }
                }
            }
            transposedStale = false;
        }
        float[] zRow = outputRow();
        for (int r = 0; r < n; r++) {
            System.arraycopy(params, b, zRow, 0, out);
            int ar = r * in;
            for (int i = 0; i < in; i++) {
                float x = a[ar + i];
                if (x != 0f) {
                    axpy(x, t[i], zRow, out);
                }
            }
            System.arraycopy(zRow, 0, z, r * out, out);
        }
    }

    @Override
    public void backward(
            float[] dz, float[] a, int n, float[] params, int w, int b, float[] grad, float[] da) {
        biasGradient(dz, n, b, grad);
        if (out >= AXPY_FORWARD_OUTPUTS
                && (long) nonZeros(a, n * in) * out < (long) nonZeros(dz, n * out) * in) {
            weightGradientByInputs(dz, a, n, w, grad);
        } else {
            weightGradientByOutputs(dz, a, n, w, grad);
        }
        if (da == null) {
            return;
        }
        // da[r, :] = sum_o dz[r, o] W[o, :]
        if (weightRows == null) {
            weightRows = new float[out][in];
        }
        for (int o = 0; o < out; o++) {
            System.arraycopy(params, w + o * in, weightRows[o], 0, in);
        }
        float[] daRow = inputRow();
        for (int r = 0; r < n; r++) {
            Arrays.fill(daRow, 0f);
            int zr = r * out;
            for (int o = 0; o < out; o++) {
                float g = dz[zr + o];
                if (g != 0f) {
                    axpy(g, weightRows[o], daRow, in);
                }
            }
            System.arraycopy(daRow, 0, da, r * in, in);
        }
    }

    /**
     * dW[o, :] = sum_r dz[r, o] a[r, :], AXPYs over the input rows that skip the zero output
     * gradients (outputs a ReLU shut), accumulated output by output and copied into W's layout.
     */
    private void weightGradientByOutputs(float[] dz, float[] a, int n, int w, float[] grad) {
        if (gradientRows == null) {
            gradientRows = new float[out][in];
        }
        for (float[] row : gradientRows) {
            Arrays.fill(row, 0f);
        }
        float[] aRow = inputRow();
        for (int r = 0; r < n; r++) {
            System.arraycopy(a, r * in, aRow, 0, in);
            int zr = r * out;
            for (int o = 0; o < out; o++) {
                float g = dz[zr + o];
                if (g != 0f) {
                    axpy(g, aRow, gradientRows[o], in);
                }
            }
        }
        for (int o = 0; o < out; o++) {
            System.arraycopy(gradientRows[o], 0, grad, w + o * in, in);
        }
    }

    /**
     * dW[:, i] = sum_r a[r, i] dz[r, :], AXPYs over the output-gradient rows that skip the zero
     * inputs, accumulated input by input and written into W's column: chosen when the inputs are
     * sparser than the output gradients, as a batch of images' are.
     */
    private void weightGradientByInputs(float[] dz, float[] a, int n, int w, float[] grad) {
        if (outputGradientRows == null || outputGradientRows.length < n) {
            outputGradientRows = new float[Math.max(n, 16)][out];
        }
        for (int r = 0; r < n; r++) {
            System.arraycopy(dz, r * out, outputGradientRows[r], 0, out);
        }
        float[] column = outputRow();
        for (int i = 0; i < in; i++) {
            Arrays.fill(column, 0f);
            for (int r = 0; r < n; r++) {
                float x = a[r * in + i];
                if (x != 0f) {
                    axpy(x, outputGradientRows[r], column, out);
                }
            }
            for (int o = 0; o < out; o++) {
                grad[w + o * in + i] = column[o];
            }
        }
    }

    private float[] outputRow() {
        if (outputRow == null) {
            outputRow = new float[out];
        }
        return outputRow;
    }

    private float[] inputRow() {
        if (inputRow == null) {
            inputRow = new float[in];
        }
        return inputRow;
    }

    private static int nonZeros(float[] x, int length) {
        int count = 0;
        for (int j = 0; j < length; j++) {
            count += x[j] != 0f ? 1 : 0;
        }
        return count;
    }

    // sum_j x[xi + j] * y[yi + j]
    static float dot(float[] x, int xi, float[] y, int yi, int length) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int j = 0;
        for (; j + 3 < length; j += 4) {
            s0 += x[xi + j] * y[yi + j];
            s1 += x[xi + j + 1] * y[yi + j + 1];
            s2 += x[xi + j + 2] * y[yi + j + 2];
            s3 += x[xi + j + 3] * y[yi + j + 3];
        }
        for (; j < length; j++) {
            s0 += x[xi + j] * y[yi + j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    // y[j] += alpha * x[j], both rows indexed alike so that the loop vectorizes
    private static void axpy(float alpha, float[] x, float[] y, int length) {
        for (int j = 0; j < length; j++) {
            y[j] += alpha * x[j];
        }
    }

    @Override
    public void weightsChanged() {
        transposedStale = true;
    }

    @Override
    public String name() {
        return "PRIMITIVE";
    }
}
