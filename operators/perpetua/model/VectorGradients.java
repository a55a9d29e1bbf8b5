package perpetua.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The gradients of a dense layer of {@link VectorKernel}: the weights' {@code dz^T a} and the
 * inputs' {@code dz W}, with the inputs in lanes, written in W's and the input's layouts directly.
 */
final class VectorGradients {
    private static final VectorSpecies<Float> SPECIES = VectorKernel.SPECIES;
    private static final int L = SPECIES.length();

    private final int in;
    private final int out;

    VectorGradients(int in, int out) {
        this.in = in;
        this.out = out;
    }

    /**
     * grad[w + o * in + i] = sum_r dz[r, o] a[r, i]: 6 outputs by 2 vectors of inputs, twelve
     * running sums and three operands, within AVX2's sixteen vector registers. The mnist MLP's
     * first layer over 16 rows took 109 us in blocks of 4 by 2; in 6 by 2 it takes 87 against 86 in
     * 4 by 3 with AVX-512, and 97 against 119 with -XX:UseAVX=2, where the 4 by 3 block's registers
     * spill.
     */
    void weights(float[] dz, float[] a, int n, int w, float[] grad) {
        int pairEnd = in - in % (2 * L);
        int vectorEnd = SPECIES.loopBound(in);
        int o = 0;
        for (; o + 5 < out; o += 6) {
            int g0 = w + o * in;
            for (int i = 0; i < pairEnd; i += 2 * L) {
                FloatVector s00 = FloatVector.zero(SPECIES);
                FloatVector s01 = s00;
                FloatVector s10 = s00;
                FloatVector s11 = s00;
                FloatVector s20 = s00;
                FloatVector s21 = s00;
                FloatVector s30 = s00;
                FloatVector s31 = s00;
                FloatVector s40 = s00;
                FloatVector s41 = s00;
                FloatVector s50 = s00;
                FloatVector s51 = s00;
                for (int r = 0; r < n; r++) {
                    int ai = r * in + i;
                    FloatVector x0 = FloatVector.fromArray(SPECIES, a, ai);
                    FloatVector x1 = FloatVector.fromArray(SPECIES, a, ai + L);
                    int d = r * out + o;
                    FloatVector gv = FloatVector.broadcast(SPECIES, dz[d]);
                    s00 = x0.fma(gv, s00);
                    s01 = x1.fma(gv, s01);
                    gv = FloatVector.broadcast(SPECIES, dz[d + 1]);
                    s10 = x0.fma(gv, s10);
                    s11 = x1.fma(gv, s11);
                    gv = FloatVector.broadcast(SPECIES, dz[d + 2]);
                    s20 = x0.fma(gv, s20);
                    s21 = x1.fma(gv, s21);
                    gv = FloatVector.broadcast(SPECIES, dz[d + 3]);
                    s30 = x0.fma(gv, s30);
                    s31 = x1.fma(gv, s31);
                    gv = FloatVector.broadcast(SPECIES, dz[d + 4]);
                    s40 = x0.fma(gv, s40);
                    s41 = x1.fma(gv, s41);
                    gv = FloatVector.broadcast(SPECIES, dz[d + 5]);
                    s50 = x0.fma(gv, s50);
                    s51 = x1.fma(gv, s51);
                }
                int g = g0 + i;
                store(s00, s01, grad, g);
                store(s10, s11, grad, g + in);
                store(s20, s21, grad, g + 2 * in);
                store(s30, s31, grad, g + 3 * in);
                store(s40, s41, grad, g + 4 * in);
                store(s50, s51, grad, g + 5 * in);
            }
            for (int oo = o; oo < o + 6; oo++) {
                weightGradientRow(dz, a, n, oo, pairEnd, vectorEnd, w + oo * in, grad);
            }
        }
        if (o + 3 < out) {
            for (int i = 0; i < vectorEnd; i += L) {
                weightGradientColumn(dz, a, n, o, i, grad, w + o * in + i);
            }
            for (int oo = o; oo < o + 4; oo++) {
                weightGradientRow(dz, a, n, oo, vectorEnd, vectorEnd, w + oo * in, grad);
            }
            o += 4;
        }
        for (; o < out; o++) {
            weightGradientRow(dz, a, n, o, 0, vectorEnd, w + o * in, grad);
        }
    }

    // One vector of inputs from i for the 4 outputs from o: four running sums, not one.
    private void weightGradientColumn(
            float[] dz, float[] a, int n, int o, int i, float[] grad, int g0) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int r = 0; r < n; r++) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, r * in + i);
            int d = r * out + o;
            s0 = x.fma(FloatVector.broadcast(SPECIES, dz[d]), s0);
            s1 = x.fma(FloatVector.broadcast(SPECIES, dz[d + 1]), s1);
            s2 = x.fma(FloatVector.broadcast(SPECIES, dz[d + 2]), s2);
            s3 = x.fma(FloatVector.broadcast(SPECIES, dz[d + 3]), s3);
        }
        s0.intoArray(grad, g0);
        s1.intoArray(grad, g0 + in);
        s2.intoArray(grad, g0 + 2 * in);
        s3.intoArray(grad, g0 + 3 * in);
    }

    private static void store(FloatVector s0, FloatVector s1, float[] x, int at) {
        s0.intoArray(x, at);
        s1.intoArray(x, at + L);
    }

    // grad[g + i] for i from `from`: one vector at a time, then the inputs past the last vector
    private void weightGradientRow(
            float[] dz, float[] a, int n, int o, int from, int vectorEnd, int g, float[] grad) {
        for (int i = from; i < vectorEnd; i += L) {
            FloatVector s = FloatVector.zero(SPECIES);
            for (int r = 0; r < n; r++) {
                s =
                        FloatVector.fromArray(SPECIES, a, r * in + i)
                                .fma(FloatVector.broadcast(SPECIES, dz[r * out + o]), s);
            }
            s.intoArray(grad, g + i);
        }
        for (int i = vectorEnd; i < in; i++) {
            float s = 0f;
            for (int r = 0; r < n; r++) {
                s += dz[r * out + o] * a[r * in + i];
            }
            grad[g + i] = s;
        }
    }

    /** da[r, i] = sum_o dz[r, o] W[o, i]: 4 rows by 2 vectors of inputs. */
    void inputs(float[] dz, int n, float[] params, int w, float[] da) {
        int pairEnd = in - in % (2 * L);
        int vectorEnd = SPECIES.loopBound(in);
        int r = 0;
        for (; r + 3 < n; r += 4) {
            int d0 = r * in;
            int d1 = d0 + in;
            int d2 = d1 + in;
            int d3 = d2 + in;
            for (int i = 0; i < pairEnd; i += 2 * L) {
                FloatVector s00 = FloatVector.zero(SPECIES);
                FloatVector s01 = s00;
                FloatVector s10 = s00;
                FloatVector s11 = s00;
                FloatVector s20 = s00;
                FloatVector s21 = s00;
                FloatVector s30 = s00;
                FloatVector s31 = s00;
                for (int o = 0; o < out; o++) {
                    int wo = w + o * in + i;
                    FloatVector v0 = FloatVector.fromArray(SPECIES, params, wo);
                    FloatVector v1 = FloatVector.fromArray(SPECIES, params, wo + L);
                    FloatVector gv = FloatVector.broadcast(SPECIES, dz[r * out + o]);
                    s00 = v0.fma(gv, s00);
                    s01 = v1.fma(gv, s01);
                    gv = FloatVector.broadcast(SPECIES, dz[(r + 1) * out + o]);
                    s10 = v0.fma(gv, s10);
                    s11 = v1.fma(gv, s11);
                    gv = FloatVector.broadcast(SPECIES, dz[(r + 2) * out + o]);
                    s20 = v0.fma(gv, s20);
                    s21 = v1.fma(gv, s21);
                    gv = FloatVector.broadcast(SPECIES, dz[(r + 3) * out + o]);
                    s30 = v0.fma(gv, s30);
                    s31 = v1.fma(gv, s31);
                }
                store(s00, s01, da, d0 + i);
                store(s10, s11, da, d1 + i);
                store(s20, s21, da, d2 + i);
                store(s30, s31, da, d3 + i);
            }
            for (int rr = r; rr < r + 4; rr++) {
                inputGradientRow(dz, rr, params, w, pairEnd, vectorEnd, da);
            }
        }
        for (; r < n; r++) {
            inputGradientRow(dz, r, params, w, 0, vectorEnd, da);
        }
    }

    // da[r, i] for i from `from`: one vector at a time, then the inputs past the last vector
    private void inputGradientRow(
            float[] dz, int r, float[] params, int w, int from, int vectorEnd, float[] da) {
        for (int i = from; i < vectorEnd; i += L) {
            FloatVector s = FloatVector.zero(SPECIES);
            for (int o = 0; o < out; o++) {
                s =
                        FloatVector.fromArray(SPECIES, params, w + o * in + i)
                                .fma(FloatVector.broadcast(SPECIES, dz[r * out + o]), s);
            }
            s.intoArray(da, r * in + i);
        }
        for (int i = vectorEnd; i < in; i++) {
            float s = 0f;
            for (int o = 0; o < out; o++) {
                s += dz[r * out + o] * params[w + o * in + i];
            }
            da[r * in + i] = s;
        }
    }
}
