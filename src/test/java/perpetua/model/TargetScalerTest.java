package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.features.MicroBatch;

class TargetScalerTest {

    private static MicroBatch labels(float... values) {
        MicroBatch batch = new MicroBatch(1);
        for (float y : values) {
            batch.addRow(new float[] {0f}, new int[0], 0, y, 1f);
        }
        return batch;
    }

    @Test
    void standardizesByTheWeightedMomentsOfTheFoldedLabels() {
        TargetScaler scaler = new TargetScaler();
        assertThat(scaler.scale()).isEqualTo(1f);

        scaler.fold(labels(10f, 20f, 30f, Float.NaN));

        assertThat(scaler.shift()).isCloseTo(20f, within(1e-5f));
        assertThat(scaler.scale()).isCloseTo((float) Math.sqrt(200.0 / 3), within(1e-4f));
        assertThat(scaler.moments()).containsExactly(3.0, 20.0, 200.0);
    }

    @Test
    void itsTensorRestoresTheSameScaler() {
        TargetScaler scaler = new TargetScaler();
        scaler.fold(labels(1f, 4f));

        var tensor = scaler.toTensor();
        TargetScaler restored =
                TargetScaler.fromTensors(
                        List.of(Tensors.toTensor("bias", new int[] {1}, new float[] {9f}), tensor));

        assertThat(tensor.getName()).isEqualTo(TargetScaler.TENSOR);
        assertThat(Tensors.shape(tensor)).containsExactly(3);
        assertThat(Tensors.toFloats(tensor)).containsExactly(2f, 2.5f, 4.5f);
        assertThat(restored.moments()).containsExactly(scaler.moments());
        assertThat(restored.shift()).isEqualTo(scaler.shift());
        assertThat(restored.scale()).isEqualTo(scaler.scale());
    }

    @Test
    void parametersWithoutTheTensorRestoreNoScaler() {
        assertThat(
                        TargetScaler.fromTensors(
                                List.of(Tensors.toTensor("bias", new int[] {1}, new float[] {9f}))))
                .isNull();
    }
}
