package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

class NeuralModelLinearGradientTest {

    @ParameterizedTest
    @EnumSource(Task.class)
    void gradientMatchesCentralFiniteDifferences(Task task) {
        Random random = new Random(11);
        ModelSpec spec = ModelFixtures.spec(task, 4).setL2(0.1f).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = ModelFixtures.randomBatch(random, task, encoder, 12);
        NeuralModel model = new NeuralModel(spec);
        float[] theta = new float[model.parameterCount()];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (float) (0.3 * random.nextGaussian());
        }
        model.setParameters(theta);

        float[] analytic = model.gradient(batch);

        double[] numericGradient = ModelFixtures.numericGradient(model, batch, theta, 1e-2);
        int checkedHashed = 0;
        for (int i = 0; i < theta.length; i++) {
            double numeric = numericGradient[i];
            double tolerance = 1e-3 + 1e-2 * Math.abs(numeric);
            assertThat((double) analytic[i])
                    .as("gradient of parameter %d (%s)", i, task)
                    .isCloseTo(numeric, within(tolerance));
            if (i >= theta.length - model.outputs() * 16 && Math.abs(numeric) > 0.05) {
                checkedHashed++;
            }
        }
        // The check must have covered hashed weights that carry data, not only the L2 pull.
        assertThat(checkedHashed).isGreaterThan(0);
    }

    @ParameterizedTest
    @EnumSource(Task.class)
    void gradientOfABatchWithoutLabelsIsTheL2PullAlone(Task task) {
        Random random = new Random(3);
        ModelSpec spec = ModelFixtures.spec(task, 3).setL2(0.5f).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = encoder.newBatch();
        encoder.encode(ModelFixtures.event(random, null, 1f), batch);
        NeuralModel model = new NeuralModel(spec);
        float[] theta = new float[model.parameterCount()];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = i * 0.01f;
        }
        model.setParameters(theta);

        float[] gradient = model.gradient(batch);

        int k = model.outputs();
        for (int i = 0; i < theta.length; i++) {
            float expected = i < k ? 0f : 0.5f * theta[i];
            assertThat(gradient[i]).as("parameter %d", i).isEqualTo(expected);
        }
        assertThat(model.learn(batch)).isNaN();
        assertThat(model.steps()).isZero();
    }
}
