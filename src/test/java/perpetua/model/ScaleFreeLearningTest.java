package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/**
 * The default learner does not care about units: dense inputs are scaled by their largest
 * magnitude, a regression label by its running moments, and NORMALIZED_ADAGRAD's step by the
 * inputs' norm.
 */
class ScaleFreeLearningTest {

    private static ModelSpec regression() {
        return ModelSpec.newBuilder()
                .setModel("r")
                .setTask(Task.REGRESSION)
                .setDenseSize(3)
                .setNumericFeatures(List.of("n"))
                .setHashBits(6)
                .build();
    }

    private static List<Event> events(float denseUnit, double labelUnit) {
        Random rnd = new Random(3);
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            float a = (float) rnd.nextGaussian();
            float b = (float) rnd.nextGaussian();
            double n = 5 + rnd.nextGaussian();
            double y = 3 + 2 * a - b + 0.5 * n + 0.1 * rnd.nextGaussian();
            out.add(
                    Event.newBuilder()
                            .setId("e" + i)
                            .setModel("r")
                            .setTime(0L)
                            .setDense(List.of(denseUnit * a, denseUnit * b, denseUnit))
                            .setNumeric(Map.of("n", n))
                            .setCategorical(Map.of("k", i % 2 == 0 ? "even" : "odd"))
                            .setLabel(labelUnit * y)
                            .build());
        }
        return out;
    }

    /** Predicts each event, then learns it, as the Learner does at maxBatch 1. */
    private static float[] prequential(ModelSpec spec, List<Event> events) {
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch row = encoder.newBatch();
        MicroBatch learned = encoder.newBatch();
        float[] predictions = new float[events.size()];
        float[] predicted = new float[1];
        for (int i = 0; i < events.size(); i++) {
            row.clear();
            learned.clear();
            encoder.encode(events.get(i), row);
            encoder.learningRow(row, learned);
            model.predict(row, new float[0], predicted);
            predictions[i] = predicted[0];
            encoder.commitMoments();
            model.learn(learned);
        }
        return predictions;
    }

    @Test
    void aLabelInThousandsIsPredictedAThousandTimesLarger() {
        float[] units = prequential(regression(), events(1f, 1));
        float[] thousands = prequential(regression(), events(1f, 1000));
        for (int i = 1; i < units.length; i++) {
            assertThat(thousands[i])
                    .isCloseTo(1000 * units[i], within(1e-3f * Math.abs(1000 * units[i]) + 1e-2f));
        }
        // And it learned: the last predictions are near the noiseless label.
        List<Event> e = events(1f, 1);
        double error = 0;
        for (int i = 300; i < 400; i++) {
            error += Math.abs(units[i] - ((Number) e.get(i).getLabel()).doubleValue());
        }
        assertThat(error / 100).isLessThan(0.3);
    }

    @Test
    void denseInputsInHundredsAreLearnedAsInUnits() {
        float[] units = prequential(regression(), events(1f, 1));
        float[] hundreds = prequential(regression(), events(100f, 1));
        for (int i = 0; i < units.length; i++) {
            assertThat(hundreds[i]).isCloseTo(units[i], within(1e-3f));
        }
    }

    @Test
    void normalizedAdagradDividesItsFirstStepByTheInputsNorm() {
        ModelSpec spec =
                ModelSpec.newBuilder()
                        .setModel("b")
                        .setTask(Task.BINARY)
                        .setDenseSize(4)
                        .setHashBits(4)
                        .setOptimizer(OptimizerKind.NORMALIZED_ADAGRAD)
                        .build();
        NeuralModel model = new NeuralModel(spec);
        MicroBatch batch = new MicroBatch(4);
        batch.addRow(new float[] {1f, 1f, 1f, 1f}, new int[0], 0, 1f, 1f);
        model.learn(batch);

        // AdaGrad's first step is lr * g / |g| = 1 on each weight the row touched; the row's
        // squared norm is 1 (bias) + 4, so each moves 1 / sqrt(5) towards the label.
        float[] p = model.parameters();
        assertThat(p[0]).isCloseTo((float) (1 / Math.sqrt(5)), within(1e-5f));
        for (int j = 1; j <= 4; j++) {
            assertThat(p[j]).isCloseTo((float) (1 / Math.sqrt(5)), within(1e-5f));
        }
    }

    @Test
    void theLabelMomentsTravelWithTheModel() {
        ModelSpec spec = regression();
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = encoder.newBatch();
        for (Event e : events(1f, 50).subList(0, 40)) {
            encoder.encode(e, batch);
        }
        model.learn(batch);
        double[] moments = model.targetMoments();
        assertThat(moments[0]).isEqualTo(40.0);

        NeuralModel fromSnapshot =
                NeuralModel.fromTensors(
                        spec, model.parameterTensors(), model.optimizerTensors(), model.steps());
        NeuralModel fromState =
                NeuralModel.restore(spec, model.parameters(), model.optimizerState(), 1);
        fromState.setTargetMoments(moments);
        float[] expected = new float[40];
        float[] a = new float[40];
        float[] b = new float[40];
        model.predict(batch, new float[0], expected);
        fromSnapshot.predict(batch, new float[0], a);
        fromState.predict(batch, new float[0], b);
        assertThat(b).containsExactly(expected);
        for (int i = 0; i < 40; i++) {
            assertThat(a[i]).isCloseTo(expected[i], within(1e-4f * Math.abs(expected[i])));
        }
        // State from before target scaling: the model's output is the label itself.
        fromState.setTargetMoments(null);
        fromState.predict(batch, new float[0], b);
        assertThat(b[0]).isNotCloseTo(expected[0], within(1f));
    }
}
