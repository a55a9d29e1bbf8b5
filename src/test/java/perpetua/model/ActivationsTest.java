package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;

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
}
