package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Activation;

/** The rectifiers and their gradients on values worked out by hand, special floats included. */
class ActivationsTest {

    private static void assertBits(float[] actual, float... expected) {
        for (int i = 0; i < expected.length; i++) {
            assertThat(Float.floatToIntBits(actual[i]))
                    .as("value %d: %s against %s", i, actual[i], expected[i])
                    .isEqualTo(Float.floatToIntBits(expected[i]));
        }
    }

    @Test
    void reluKeepsPositivesAndZeroesTheRestButNaN() {
        float[] x = {-2f, -0f, 0f, 3f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        Activations.apply(Activation.RELU, x, x.length);
        assertBits(x, 0f, 0f, 0f, 3f, Float.NaN, Float.POSITIVE_INFINITY, 0f);
    }

    @Test
    void reluGradientPassesWherePositiveAndIsPlusZeroElsewhere() {
        float[] y = {0f, 2f, 0f, Float.MIN_VALUE, Float.POSITIVE_INFINITY};
        float[] d = {-1.5f, 4f, 3f, -7f, 0.25f};
        Activations.backward(Activation.RELU, y, d, d.length);
        assertBits(d, 0f, 4f, 0f, -7f, 0.25f);
    }

    @Test
    void leakyReluScalesTheNegativeSide() {
        float[] x = {-2f, 3f, -0f, Float.NEGATIVE_INFINITY};
        Activations.apply(Activation.LEAKY_RELU, x, x.length);
        assertBits(x, -2f * Activations.LEAK, 3f, -0f, Float.NEGATIVE_INFINITY);
        float[] y = {-0.02f, 3f, 0f};
        float[] d = {5f, 5f, -5f};
        Activations.backward(Activation.LEAKY_RELU, y, d, d.length);
        assertBits(d, 5f * Activations.LEAK, 5f, -5f * Activations.LEAK);
    }

    @Test
    void branchFreeRectifiersMatchTheirDefinitionsOnEveryKindOfValue() {
        Random random = new Random(5);
        float[] special = {
            0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE
        };
        for (Activation act : new Activation[] {Activation.RELU, Activation.LEAKY_RELU}) {
            float slope = act == Activation.RELU ? 0f : Activations.LEAK;
            for (int length : new int[] {1, 7, 8, 9, 31, 40, 4096}) {
                float[] x = new float[length];
                float[] d = new float[length];
                for (int i = 0; i < length; i++) {
                    x[i] = i % 5 == 0 ? special[(i / 5) % special.length] : gaussian(random);
                    d[i] = gaussian(random);
                }
                float[] y = x.clone();
                Activations.apply(act, y, length);
                float[] g = d.clone();
                Activations.backward(act, y, g, length);
                for (int i = 0; i < length; i++) {
                    float rectified =
                            x[i] > 0f || Float.isNaN(x[i]) ? x[i] : slope == 0f ? 0f : slope * x[i];
                    assertBits(new float[] {y[i]}, rectified);
                    float gradient = y[i] > 0f ? d[i] : slope == 0f ? 0f : slope * d[i];
                    if (!Float.isNaN(y[i])) {
                        assertBits(new float[] {g[i]}, gradient);
                    }
                }
            }
        }
    }

    private static float gaussian(Random random) {
        return random.nextDouble() < 0.1 ? 0f : (float) random.nextGaussian();
    }
}
