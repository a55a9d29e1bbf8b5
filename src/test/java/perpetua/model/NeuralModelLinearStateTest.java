package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

class NeuralModelLinearStateTest {

    private static NeuralModel trained(ModelSpec spec, FeatureEncoder encoder, Random random) {
        NeuralModel model = new NeuralModel(spec);
        for (int i = 0; i < 5; i++) {
            model.learn(ModelFixtures.randomBatch(random, spec.getTask(), encoder, 20));
        }
        return model;
    }

    private static void assertSameBehaviour(
            NeuralModel original, NeuralModel restored, MicroBatch probe, MicroBatch next) {
        int n = probe.size();
        float[] scoresA = new float[n * original.scoreWidth()];
        float[] scoresB = new float[n * original.scoreWidth()];
        float[] predictedA = new float[n];
        float[] predictedB = new float[n];
        original.predict(probe, scoresA, predictedA);
        restored.predict(probe, scoresB, predictedB);
        assertThat(scoresB).containsExactly(scoresA);
        assertThat(predictedB).containsExactly(predictedA);

        double lossA = original.learn(next);
        double lossB = restored.learn(next);
        assertThat(lossB).isEqualTo(lossA);
        assertThat(restored.parameters()).containsExactly(original.parameters());
        assertThat(restored.optimizerState()).containsExactly(original.optimizerState());
        assertThat(restored.steps()).isEqualTo(original.steps());
    }

    @ParameterizedTest
    @EnumSource(Task.class)
    void restoredModelPredictsBitIdenticallyAndTakesTheSameNextStep(Task task) {
        Random random = new Random(5);
        ModelSpec spec = ModelFixtures.spec(task, 6).setL2(0.01f).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        NeuralModel original = trained(spec, encoder, random);

        NeuralModel restored =
                NeuralModel.restore(
                        spec, original.parameters(), original.optimizerState(), original.steps());

        assertThat(restored.steps()).isEqualTo(5);
        assertSameBehaviour(
                original,
                restored,
                ModelFixtures.randomBatch(random, task, encoder, 30),
                ModelFixtures.randomBatch(random, task, encoder, 30));
    }

    @ParameterizedTest
    @EnumSource(OptimizerKind.class)
    void tensorsRoundTripToAnIdenticalModel(OptimizerKind kind) {
        Random random = new Random(6);
        ModelSpec spec = ModelFixtures.spec(Task.MULTICLASS, 5).setOptimizer(kind).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        NeuralModel original = trained(spec, encoder, random);

        List<Tensor> params = original.parameterTensors();
        List<Tensor> state = original.optimizerTensors();

        assertThat(params).extracting(Tensor::getName).containsExactly("bias", "dense", "hashed");
        assertThat(params.get(1).getShape()).containsExactly(3, 5);
        assertThat(params.get(2).getShape()).containsExactly(3, 32);
        int arrays =
                switch (kind) {
                    case SGD -> 0;
                    case MOMENTUM, NESTEROV, ADAGRAD, NORMALIZED_ADAGRAD, RMSPROP -> 1;
                    case ADAM, FTRL -> 2;
                };
        assertThat(state).hasSize(arrays);
        NeuralModel restored = NeuralModel.fromTensors(spec, params, state, original.steps());
        assertThat(restored.parameters()).containsExactly(original.parameters());
        assertSameBehaviour(
                original,
                restored,
                ModelFixtures.randomBatch(random, Task.MULTICLASS, encoder, 10),
                ModelFixtures.randomBatch(random, Task.MULTICLASS, encoder, 10));
    }

    @ParameterizedTest
    @EnumSource(Task.class)
    void tensorsHoldLittleEndianFloat32InParameterOrder(Task task) {
        ModelSpec spec = ModelFixtures.spec(task, 2).build();
        NeuralModel model = new NeuralModel(spec);
        float[] theta = new float[model.parameterCount()];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = i + 0.25f;
        }
        model.setParameters(theta);

        List<Tensor> tensors = model.parameterTensors();

        int k = model.outputs();
        float[] dense = Tensors.toFloats(tensors.get(1));
        assertThat(dense).hasSize(k * 5);
        assertThat(dense[0]).isEqualTo(theta[k]);
        // Little-endian: the first byte of the bias holds the low mantissa bits of 0.25f.
        byte[] bytes = new byte[4];
        tensors.get(0).getData().duplicate().get(bytes);
        int bits = Float.floatToIntBits(0.25f);
        assertThat(bytes[0]).isEqualTo((byte) bits);
        assertThat(bytes[3]).isEqualTo((byte) (bits >>> 24));
    }

    @ParameterizedTest
    @EnumSource(Task.class)
    void restoreRejectsParametersOfAnotherShape(Task task) {
        ModelSpec spec = ModelFixtures.spec(task, 3).build();
        NeuralModel model = new NeuralModel(spec);
        float[] tooShort = new float[model.parameterCount() - 1];
        assertThatThrownBy(() -> NeuralModel.restore(spec, tooShort, model.optimizerState(), 0))
                .isInstanceOf(IllegalArgumentException.class);
        ModelSpec wider = ModelFixtures.spec(task, 4).build();
        assertThatThrownBy(
                        () ->
                                NeuralModel.fromTensors(
                                        wider,
                                        model.parameterTensors(),
                                        model.optimizerTensors(),
                                        0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
