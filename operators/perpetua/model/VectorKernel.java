package perpetua.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import perpetua.schemas.Activation;

/**
 * A dense layer on the JDK's vector API ({@code jdk.incubator.vector}): register-blocked products
 * whose partial sums stay in vector registers and grow by fused multiply-adds, where the plain
 * loops of {@link PrimitiveKernel} load and store their output row for every input. No copy into
 * native memory and no native call, so it also wins on the small batches that ND4J's GEMM does not
 * amortize.
 *
 * <p>Every product works on blocks that fit the registers. The forward pass and the weight
 * gradient, nearly all of a step's arithmetic, take 4 rows by 4 outputs and 6 outputs by 2 vectors
 * of inputs (sixteen and twelve running sums); the input gradient takes 4 rows by 2 vectors. The
 * forward pass runs as dot products over W's rows (partial sums over the inputs, one vector per row
 * and output, summed across lanes at the end) when the layer has many inputs, and over a packed
 * transposed copy of W (outputs in lanes) when it has few, where a dot product would be mostly its
 * final lane sum. The weight gradient {@code dz^T a} and the input gradient {@code dz W} run with
 * the inputs in lanes, writing W's layout directly ({@link VectorGradients}). The sums add in
 * another order than the plain loops' (and fused), so the two kernels agree to rounding, not to the
 * bit.
 *
 * <p>Only {@link Kernels} creates it, and only when the JVM has the module ({@link VectorSupport}):
 * this class is never loaded otherwise.
 */
final class VectorKernel extends DenseKernel {

    /** 256-bit vectors (8 floats): AVX2's width, and no less work per cycle where AVX-512 runs. */
    static final VectorSpecies<Float> SPECIES =
            FloatVector.SPECIES_PREFERRED.length() >= 8
                    ? FloatVector.SPECIES_256
                    : FloatVector.SPECIES_PREFERRED;

    private static final int L = SPECIES.length();

    /** From this many inputs the forward pass runs as dot products over W's rows. */
    static final int DOT_FORWARD_INPUTS = 4 * L;

    // W^T in panels of L outputs, zero-padded: panel p holds inputs 0..in-1 of outputs
    // pL..pL+L-1, one vector per input. Rebuilt after the weights change, for layers of few inputs.
    private final int panels;
    private final VectorGradients gradients;
    private float[] packed;
    private boolean packedStale = true;
    private float[] paddedRow; // [4 x panels * L]: four output rows before they are cut to [out]
    private float[] paddedBias; // [panels * L]: the biases, zero-padded

    /**
     * Whether a layer is wide enough for vectors: a whole vector of outputs, or enough inputs for
     * dot products. A narrower one (a linear model's few numerics into one output, learned event by
     * event) spends more on the packed copy and the padded lanes than it saves, and stays on the
     * plain loops: the peer benchmark's diamonds defaults (6 inputs, 1 output, maxBatch 1) ran at
     * 271,055 events/s on vectors against 477,345 on the loops.
     */
    static boolean pays(int in, int out) {
        return out >= L || in >= DOT_FORWARD_INPUTS;
    }

    VectorKernel(int in, int out) {
        super(in, out);
        this.panels = (out + L - 1) / L;
        this.gradients = new VectorGradients(in, out);
    }

    @Override
    public void forward(float[] a, int n, float[] params, int w, int b, Activation act, float[] z) {
        if (in >= DOT_FORWARD_INPUTS) {
            forwardByDots(a, n, params, w, b, z);
        } else {
            forwardByPanels(a, n, params, w, b, z);
        }
        Activations.apply(act, z, n * out);
    }

    /**
     * z[r, o] = b[o] + a[r, :] . W[o, :], 4 rows by 4 outputs at a time, the outputs outermost so
     * that their four rows of W stay in the nearest cache while every row of the batch passes.
     */
    private void forwardByDots(float[] a, int n, float[] params, int w, int b, float[] z) {
        int vectorEnd = SPECIES.loopBound(in);
        int blockRows = n - n % 4;
        int o = 0;
        for (; o + 3 < out; o += 4) {
            for (int r = 0; r < blockRows; r += 4) {
                dotBlock(a, r, params, w + o * in, vectorEnd, z, r * out + o);
            }
            for (int r = blockRows; r < n; r++) {
                for (int k = o; k < o + 4; k++) {
                    z[r * out + k] = dot(a, r * in, params, w + k * in, vectorEnd);
                }
            }
        }
        for (; o < out; o++) {
            for (int r = 0; r < n; r++) {
                z[r * out + o] = dot(a, r * in, params, w + o * in, vectorEnd);
            }
        }
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < out; k++) {
                z[r * out + k] += params[b + k];
            }
        }
    }

    /**
     * z[r + k, o + j] = a[r + k, :] . W[o + j, :] for k, j < 4, W's row o starting at w0: sixteen
     * running sums, eight loads for sixteen fused multiply-adds. A block of 4 by 2 (eight sums)
     * left the core's FMA units waiting on loads and on each other: 115 against 73 us for the mnist
     * MLP's first layer over 16 rows on this project's AVX-512 machine. Where AVX2 has only sixteen
     * registers a few sums spill, and the block runs as fast as one of 4 by 3 (151 against 147 us
     * with -XX:UseAVX=2).
     */
    private void dotBlock(
            float[] a, int r, float[] params, int w0, int vectorEnd, float[] z, int zi) {
        int a0 = r * in;
        int a1 = a0 + in;
        int a2 = a1 + in;
        int a3 = a2 + in;
        int w1 = w0 + in;
        int w2 = w1 + in;
        int w3 = w2 + in;
        FloatVector s00 = FloatVector.zero(SPECIES);
        FloatVector s01 = s00;
        FloatVector s02 = s00;
        FloatVector s03 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s12 = s00;
        FloatVector s13 = s00;
        FloatVector s20 = s00;
        FloatVector s21 = s00;
        FloatVector s22 = s00;
        FloatVector s23 = s00;
        FloatVector s30 = s00;
        FloatVector s31 = s00;
        FloatVector s32 = s00;
        FloatVector s33 = s00;
        for (int i = 0; i < vectorEnd; i += L) {
            FloatVector v0 = FloatVector.fromArray(SPECIES, params, w0 + i);
            FloatVector v1 = FloatVector.fromArray(SPECIES, params, w1 + i);
            FloatVector v2 = FloatVector.fromArray(SPECIES, params, w2 + i);
            FloatVector v3 = FloatVector.fromArray(SPECIES, params, w3 + i);
            FloatVector x = FloatVector.fromArray(SPECIES, a, a0 + i);
            s00 = x.fma(v0, s00);
            s01 = x.fma(v1, s01);
            s02 = x.fma(v2, s02);
            s03 = x.fma(v3, s03);
            x = FloatVector.fromArray(SPECIES, a, a1 + i);
            s10 = x.fma(v0, s10);
            s11 = x.fma(v1, s11);
            s12 = x.fma(v2, s12);
            s13 = x.fma(v3, s13);
            x = FloatVector.fromArray(SPECIES, a, a2 + i);
            s20 = x.fma(v0, s20);
            s21 = x.fma(v1, s21);
            s22 = x.fma(v2, s22);
            s23 = x.fma(v3, s23);
            x = FloatVector.fromArray(SPECIES, a, a3 + i);
            s30 = x.fma(v0, s30);
            s31 = x.fma(v1, s31);
            s32 = x.fma(v2, s32);
            s33 = x.fma(v3, s33);
        }
        sums(s00, s01, s02, s03, a, a0, params, w0, vectorEnd, z, zi);
        sums(s10, s11, s12, s13, a, a1, params, w0, vectorEnd, z, zi + out);
        sums(s20, s21, s22, s23, a, a2, params, w0, vectorEnd, z, zi + 2 * out);
        sums(s30, s31, s32, s33, a, a3, params, w0, vectorEnd, z, zi + 3 * out);
    }

    // One row's four dot products: the lanes summed, then the inputs past the last whole vector.
    private void sums(
            FloatVector s0,
            FloatVector s1,
            FloatVector s2,
            FloatVector s3,
            float[] a,
            int ai,
            float[] params,
            int w0,
            int vectorEnd,
            float[] z,
            int zi) {
        z[zi] = s0.reduceLanes(VectorOperators.ADD);
        z[zi + 1] = s1.reduceLanes(VectorOperators.ADD);
        z[zi + 2] = s2.reduceLanes(VectorOperators.ADD);
        z[zi + 3] = s3.reduceLanes(VectorOperators.ADD);
        if (vectorEnd < in) {
            for (int k = 0; k < 4; k++) {
                z[zi + k] += tail(a, ai, params, w0 + k * in, vectorEnd);
            }
        }
    }

    // x[xi ..] . y[yi ..] over the whole input width
    private float dot(float[] x, int xi, float[] y, int yi, int vectorEnd) {
        FloatVector s = FloatVector.zero(SPECIES);
        for (int i = 0; i < vectorEnd; i += L) {
            s =
                    FloatVector.fromArray(SPECIES, x, xi + i)
                            .fma(FloatVector.fromArray(SPECIES, y, yi + i), s);
        }
        return s.reduceLanes(VectorOperators.ADD) + tail(x, xi, y, yi, vectorEnd);
    }

    // the inputs past the last whole vector
    private float tail(float[] x, int xi, float[] y, int yi, int from) {
        float s = 0f;
        for (int i = from; i < in; i++) {
            s += x[xi + i] * y[yi + i];
        }
        return s;
    }

    /** z[r, :] = b + sum_i a[r, i] W^T[i, :], 4 rows by one panel of L outputs at a time. */
    private void forwardByPanels(float[] a, int n, float[] params, int w, int b, float[] z) {
        if (packedStale) {
            pack(params, w);
        }
        if (paddedRow == null) {
            paddedRow = new float[panels * L * 4];
            paddedBias = new float[panels * L];
        }
        System.arraycopy(params, b, paddedBias, 0, out);
        float[] rows = paddedRow;
        int stride = panels * L;
        int r = 0;
        for (; r < n; r += 4) {
            int count = Math.min(4, n - r);
            int a0 = r * in;
            // Rows past the batch repeat its last row; they are computed and dropped.
            int a1 = (count > 1 ? r + 1 : r) * in;
            int a2 = (count > 2 ? r + 2 : r) * in;
            int a3 = (count > 3 ? r + 3 : r) * in;
            for (int p = 0; p < panels; p++) {
                FloatVector s0 = FloatVector.fromArray(SPECIES, paddedBias, p * L);
                FloatVector s1 = s0;
                FloatVector s2 = s0;
                FloatVector s3 = s0;
                int base = p * in * L;
                for (int i = 0; i < in; i++) {
                    FloatVector v = FloatVector.fromArray(SPECIES, packed, base + i * L);
                    s0 = v.fma(FloatVector.broadcast(SPECIES, a[a0 + i]), s0);
                    s1 = v.fma(FloatVector.broadcast(SPECIES, a[a1 + i]), s1);
                    s2 = v.fma(FloatVector.broadcast(SPECIES, a[a2 + i]), s2);
                    s3 = v.fma(FloatVector.broadcast(SPECIES, a[a3 + i]), s3);
                }
                s0.intoArray(rows, p * L);
                s1.intoArray(rows, stride + p * L);
                s2.intoArray(rows, 2 * stride + p * L);
                s3.intoArray(rows, 3 * stride + p * L);
            }
            for (int k = 0; k < count; k++) {
                System.arraycopy(rows, k * stride, z, (r + k) * out, out);
            }
        }
    }

    private void pack(float[] params, int w) {
        if (packed == null) {
            packed = new float[panels * in * L];
        }
        for (int p = 0; p < panels; p++) {
            int base = p * in * L;
            for (int j = 0; j < L; j++) {
                int o = p * L + j;
                if (o >= out) {
                    for (int i = 0; i < in; i++) {
                        packed[base + i * L + j] = 0f;
                    }
                    continue;
                }
                int row = w + o * in;
                for (int i = 0; i < in; i++) {
                    packed[base + i * L + j] = params[row + i];
                }
            }
        }
        packedStale = false;
    }

    @Override
    public void backward(
            float[] dz, float[] a, int n, float[] params, int w, int b, float[] grad, float[] da) {
        biasGradient(dz, n, b, grad);
        gradients.weights(dz, a, n, w, grad);
        if (da != null) {
            gradients.inputs(dz, n, params, w, da);
        }
    }

    @Override
    public void weightsChanged() {
        packedStale = true;
    }

    @Override
    public String name() {
        return "VECTOR";
    }
}
