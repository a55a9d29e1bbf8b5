package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Activation;
import perpetua.schemas.ModelSpec;

/**
 * The vector dense kernel against the products written out, over shapes that fill its register
 * blocks exactly and shapes that leave rows, outputs and inputs over (the partial blocks and the
 * inputs past the last whole vector), and against the plain loops on the same layer.
 */
class VectorKernelTest {

    private static float[] random(Random random, int size, double zeros) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = random.nextDouble() < zeros ? 0f : (float) random.nextGaussian();
        }
        return x;
    }

    @Test
    void forwardAndGradientsAreTheProductsForEveryBlockRemainder() {
        Random random = new Random(11);
        int[] inputs = {1, 5, 16, 17, 33, 40, 48, 56, 300};
        int[] outputs = {1, 2, 3, 4, 8, 9, 10, 11, 26, 64};
        int[] rows = {1, 3, 4, 7, 16};
        for (int in : inputs) {
            for (int out : outputs) {
                for (int n : rows) {
                    check(random, in, out, n);
                }
            }
        }
    }

    private static void check(Random random, int in, int out, int n) {
        // W and b sit inside a larger parameter array, as a hidden layer's do.
        int w = 7;
        int b = w + out * in;
        float[] params = random(random, b + out + 5, 0);
        float[] a = random(random, n * in, 0.3);
        float[] dz = random(random, n * out, 0.2);
        float[] z = new float[n * out];
        float[] grad = random(random, params.length, 0); // stale values are overwritten
        float[] da = random(random, n * in, 0);
        VectorKernel kernel = new VectorKernel(in, out);
        kernel.forward(a, n, params, w, b, Activation.IDENTITY, z);
        kernel.backward(dz, a, n, params, w, b, grad, da);
        String shape = "in " + in + ", out " + out + ", rows " + n;
        float tolerance = 1e-4f * (float) Math.sqrt(Math.max(in, Math.max(out, n)));
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double sum = params[b + o];
                for (int i = 0; i < in; i++) {
                    sum += (double) a[r * in + i] * params[w + o * in + i];
                }
                assertThat(z[r * out + o])
                        .as("z[%d, %d], %s", r, o, shape)
                        .isCloseTo((float) sum, within(tolerance));
            }
        }
        for (int o = 0; o < out; o++) {
            double bias = 0;
            for (int r = 0; r < n; r++) {
                bias += dz[r * out + o];
            }
            assertThat(grad[b + o])
                    .as("db[%d], %s", o, shape)
                    .isCloseTo((float) bias, within(tolerance));
            for (int i = 0; i < in; i++) {
                double sum = 0;
                for (int r = 0; r < n; r++) {
                    sum += (double) dz[r * out + o] * a[r * in + i];
                }
                assertThat(grad[w + o * in + i])
                        .as("dW[%d, %d], %s", o, i, shape)
                        .isCloseTo((float) sum, within(tolerance));
            }
        }
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < in; i++) {
                double sum = 0;
                for (int o = 0; o < out; o++) {
                    sum += (double) dz[r * out + o] * params[w + o * in + i];
                }
                assertThat(da[r * in + i])
                        .as("da[%d, %d], %s", r, i, shape)
                        .isCloseTo((float) sum, within(tolerance));
            }
        }
        // Outside W and b the gradient is untouched.
        float[] before = grad.clone();
        kernel.backward(dz, a, n, params, w, b, grad, null);
        assertThat(grad).containsExactly(before);
    }

    @Test
    void newWeightsReachTheForwardPassOnlyAfterTheKernelIsTold() {
        // A layer of few inputs runs on a packed copy of W: stale until weightsChanged.
        int in = 6;
        int out = 10;
        Random random = new Random(3);
        float[] params = random(random, out * in + out, 0);
        float[] a = random(random, 2 * in, 0);
        VectorKernel kernel = new VectorKernel(in, out);
        float[] first = new float[2 * out];
        kernel.forward(a, 2, params, 0, out * in, Activation.IDENTITY, first);
        params[0] += 1f;
        float[] stale = new float[2 * out];
        kernel.forward(a, 2, params, 0, out * in, Activation.IDENTITY, stale);
        assertThat(stale).containsExactly(first);
        kernel.weightsChanged();
        float[] fresh = new float[2 * out];
        kernel.forward(a, 2, params, 0, out * in, Activation.IDENTITY, fresh);
        assertThat(fresh[0]).isCloseTo(first[0] + a[0], within(1e-5f));
        assertThat(fresh[out]).isCloseTo(first[out] + a[in], within(1e-5f));
    }

    @Test
    void theJavaKernelIsTheVectorOneWhenTheJvmHasTheModuleAndTheLayerFillsAVector() {
        assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).isPresent();
        assertThat(Kernels.create(perpetua.schemas.Kernel.PRIMITIVE, 8, 8).name())
                .isEqualTo("VECTOR");
        assertThat(Kernels.create(perpetua.schemas.Kernel.PRIMITIVE, 784, 1).name())
                .isEqualTo("VECTOR");
        // Too narrow to fill a vector: a few numerics into one output stay on the plain loops.
        assertThat(Kernels.create(perpetua.schemas.Kernel.PRIMITIVE, 6, 1).name())
                .isEqualTo("PRIMITIVE");
        withoutVectors(
                () -> {
                    assertThat(Kernels.create(perpetua.schemas.Kernel.PRIMITIVE, 8, 8).name())
                            .isEqualTo("PRIMITIVE");
                    assertThat(VectorSupport.describe()).contains("plain loops");
                });
    }

    // Runs checks with -Dperpetua.vector=false, and puts the property back as it was.
    private static void withoutVectors(Runnable checks) {
        String was = System.getProperty(VectorSupport.PROPERTY);
        System.setProperty(VectorSupport.PROPERTY, "false");
        try {
            checks.run();
        } finally {
            if (was == null) {
                System.clearProperty(VectorSupport.PROPERTY);
            } else {
                System.setProperty(VectorSupport.PROPERTY, was);
            }
        }
    }

    @Test
    void autoLeavesMoreWorkToTheJavaKernelOnVectorsThanOnPlainLoops() {
        // The mnist MLP's first layer at maxBatch 32: 6.4M multiply-adds per product.
        ModelSpec mnist =
                ModelSpec.newBuilder()
                        .setModel("m")
                        .setTask(perpetua.schemas.Task.MULTICLASS)
                        .setClasses(10)
                        .setDenseSize(784)
                        .setNumericFeatures(java.util.List.of())
                        .setMaxBatch(32)
                        .build();
        assertThat(Kernels.choose(mnist, 784, 256)).isEqualTo(perpetua.schemas.Kernel.PRIMITIVE);
        assertThat(Kernels.choose(mnist, 1000, 1024)).isEqualTo(perpetua.schemas.Kernel.ND4J);
        assertThat(Kernels.rule()).contains(">= " + Kernels.ND4J_MIN_WORK_VECTORS);
        withoutVectors(
                () -> {
                    assertThat(Kernels.choose(mnist, 784, 256))
                            .isEqualTo(perpetua.schemas.Kernel.ND4J);
                    assertThat(Kernels.rule()).contains(">= " + Kernels.ND4J_MIN_WORK + ",");
                });
    }

    @Test
    void allFiniteFindsEveryNonFiniteValueWhereverItIs() {
        float[] x = random(new Random(2), 1031, 0.2);
        x[7] = Float.MAX_VALUE;
        x[8] = -Float.MAX_VALUE;
        assertThat(VectorMath.allFinite(x, x.length)).isTrue();
        for (float bad :
                new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[] {0, 9, 1023, 1024, 1030}) {
                float[] y = x.clone();
                y[at] = bad;
                assertThat(VectorMath.allFinite(y, y.length)).as("%s at %d", bad, at).isFalse();
                assertThat(VectorMath.allFinite(y, at)).as("before %d", at).isTrue();
            }
        }
    }
}
