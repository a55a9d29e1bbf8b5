package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Activation;

/** The primitive dense kernel against the products written out, on sparse and dense inputs. */
class PrimitiveKernelTest {
    private static final int IN = 300;
    private static final int OUT = 64;
    private static final int N = 16;

    private static float[] random(Random random, int size, double zeros) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = random.nextDouble() < zeros ? 0f : (float) random.nextGaussian();
        }
        return x;
    }

    /** grad = dz^T a, the bias gradient the column sums of dz, da = dz W: by definition. */
    private static void check(float[] a, float[] dz, float[] params, float[] grad, float[] da) {
        for (int o = 0; o < OUT; o++) {
            double bias = 0;
            for (int r = 0; r < N; r++) {
                bias += dz[r * OUT + o];
            }
            assertThat(grad[OUT * IN + o]).isCloseTo((float) bias, within(1e-4f));
            for (int i = 0; i < IN; i++) {
                double sum = 0;
                for (int r = 0; r < N; r++) {
                    sum += (double) dz[r * OUT + o] * a[r * IN + i];
                }
                assertThat(grad[o * IN + i])
                        .as("dW[%d, %d]", o, i)
                        .isCloseTo((float) sum, within(1e-4f));
            }
        }
        for (int r = 0; r < N; r++) {
            for (int i = 0; i < IN; i++) {
                double sum = 0;
                for (int o = 0; o < OUT; o++) {
                    sum += (double) dz[r * OUT + o] * params[o * IN + i];
                }
                assertThat(da[r * IN + i]).isCloseTo((float) sum, within(1e-4f));
            }
        }
    }

    @Test
    void gradientsAreTheProductsWhetherTheInputsOrTheOutputGradientsAreSparse() {
        Random random = new Random(5);
        float[] params = random(random, OUT * IN + OUT, 0);
        // Sparse inputs (as pixels): the gradient is gathered input by input. Dense inputs and
        // sparse output gradients (as behind a ReLU): output by output.
        for (double[] zeros : new double[][] {{0.85, 0.0}, {0.0, 0.6}, {0.5, 0.5}}) {
            PrimitiveKernel kernel = new PrimitiveKernel(IN, OUT);
            float[] a = random(random, N * IN, zeros[0]);
            float[] dz = random(random, N * OUT, zeros[1]);
            float[] grad = random(random, params.length, 0); // stale values are overwritten
            float[] da = new float[N * IN];
            float[] z = new float[N * OUT];
            kernel.forward(a, N, params, 0, OUT * IN, Activation.IDENTITY, z);
            kernel.backward(dz, a, N, params, 0, OUT * IN, grad, da);
            check(a, dz, params, grad, da);
            for (int o = 0; o < OUT; o++) {
                double zo = params[OUT * IN + o];
                for (int i = 0; i < IN; i++) {
                    zo += (double) a[i] * params[o * IN + i];
                }
                assertThat(z[o]).isCloseTo((float) zo, within(1e-4f));
            }
        }
    }
}
