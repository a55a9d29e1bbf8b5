package perpetua.model;

import perpetua.schemas.Activation;

/**
 * A dense layer in plain Java loops over the arrays: no copies and no native call, which wins when
 * the layer or the batch is small. The inner loops are dot products with four accumulators and
 * AXPYs over contiguous rows, shapes the JIT compiles to tight (and, for AXPY, vector) code.
 */
public final class PrimitiveKernel extends DenseKernel {

    /** From this many outputs the forward pass runs as AXPYs over a transposed weight copy. */
    static final int AXPY_FORWARD_OUTPUTS = 16;

    // W^T [in x out], rebuilt after the weights change, when the layer is wide enough to use it.
    private float[] transposed;
    private boolean transposedStale = true;

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
     * z[r, :] = b + sum_i a[r, i] W^T[i, :]: AXPYs over contiguous rows of a transposed copy of W,
     * which vectorize where a dot product's reduction does not, and skip the zero inputs (pixels,
     * ReLU outputs) for free.
     */
    private void forwardByAxpy(float[] a, int n, float[] params, int w, int b, float[] z) {
        if (transposed == null) {
            transposed = new float[in * out];
        }
        float[] t = transposed;
        if (transposedStale) {
            // In 32 x 32 tiles, so that both the reads and the strided writes stay in cache.
            for (int o0 = 0; o0 < out; o0 += 32) {
                for (int i0 = 0; i0 < in; i0 += 32) {
                    for (int o = o0; o < Math.min(out, o0 + 32); o++) {
                        int row = w + o * in;
                        for (int i = i0; i < Math.min(in, i0 + 32); i++) {
                            t[i * out + o] = params[row + i];
                        }
                    }
                }
            }
            transposedStale = false;
        }
        for (int r = 0; r < n; r++) {
            int zr = r * out;
            System.arraycopy(params, b, z, zr, out);
            int ar = r * in;
            for (int i = 0; i < in; i++) {
                float x = a[ar + i];
                if (x != 0f) {
                    axpy(x, t, i * out, z, zr, out);
                }
            }
        }
    }

    @Override
    public void backward(
            float[] dz, float[] a, int n, float[] params, int w, int b, float[] grad, float[] da) {
        java.util.Arrays.fill(grad, w, w + out * in, 0f);
        java.util.Arrays.fill(grad, b, b + out, 0f);
        for (int r = 0; r < n; r++) {
            int ar = r * in;
            int zr = r * out;
            for (int o = 0; o < out; o++) {
                float g = dz[zr + o];
                if (g != 0f) {
                    grad[b + o] += g;
                    axpy(g, a, ar, grad, w + o * in, in);
                }
            }
        }
        if (da == null) {
            return;
        }
        java.util.Arrays.fill(da, 0, n * in, 0f);
        for (int r = 0; r < n; r++) {
            int ar = r * in;
            int zr = r * out;
            for (int o = 0; o < out; o++) {
                float g = dz[zr + o];
                if (g != 0f) {
                    axpy(g, params, w + o * in, da, ar, in);
                }
            }
        }
    }

    // sum_j x[xi + j] * y[yi + j]
    private static float dot(float[] x, int xi, float[] y, int yi, int length) {
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

    // y[yi + j] += alpha * x[xi + j]
    private static void axpy(float alpha, float[] x, int xi, float[] y, int yi, int length) {
        for (int j = 0; j < length; j++) {
            y[yi + j] += alpha * x[xi + j];
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
