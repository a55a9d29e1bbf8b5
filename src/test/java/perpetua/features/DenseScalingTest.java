package perpetua.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.wire.EventNumerics;

class DenseScalingTest {

    private static final ModelSpec SPEC =
            ModelSpec.newBuilder()
                    .setModel("m")
                    .setTask(Task.REGRESSION)
                    .setDenseSize(2)
                    .setDenseScale(0.5f)
                    .setNumericFeatures(List.of("price", "age"))
                    .build();

    /** Moments trusted past the warm-up: price mean 10, sd 2; age mean 40, sd 5. */
    private static OnlineStandardizer known() {
        return new OnlineStandardizer(
                new long[] {1000, 1000}, new double[] {10, 40}, new double[] {4000, 25000});
    }

    private static Event event(float a, float b, Map<String, Double> numeric) {
        return Event.newBuilder()
                .setId("e")
                .setModel("m")
                .setTime(0L)
                .setDense(List.of(a, b))
                .setNumeric(numeric)
                .setCategorical(Map.of())
                .build();
    }

    private static EventNumerics numerics(Object... namesAndValues) {
        EventNumerics numerics = new EventNumerics(2);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            numerics.put((String) namesAndValues[i], (Double) namesAndValues[i + 1]);
        }
        return numerics;
    }

    @Test
    void thePredictedRowIsScaledByTheCommittedStateAndTheLearnedOneByTheRunningState() {
        DenseScaling scaling =
                new DenseScaling(SPEC, known(), new MaxAbsScaler(new float[] {4, 1}));

        scaling.scale(event(16f, -1f, Map.of("price", 14.0)));

        // Dense: times denseScale 0.5, then over the column's magnitude (committed 4 and 1; the
        // running one has taken this event's 8 already). Numerics: standardized, 0 when missing.
        assertThat(scaling.committedRow).containsExactly(1f, -0.5f, 2f, 0f);
        assertThat(scaling.runningRow).containsExactly(1f, -0.5f, 2f, 0f);
        scaling.scale(event(4f, 1f, Map.of("price", 10.0, "age", 30.0)));
        assertThat(scaling.committedRow).containsExactly(0.5f, 0.5f, 0f, -2f);
        // The running price moments took 14: n 1001, mean 10 + 4/1001, m2 4000 + 4 (14 - mean).
        double mean = 10 + 4.0 / 1001;
        double sd = Math.sqrt((4000 + 4 * (14 - mean)) / 1001);
        assertThat(scaling.runningRow[0]).isEqualTo(0.25f);
        assertThat(scaling.runningRow[1]).isEqualTo(0.5f);
        assertThat(scaling.runningRow[2]).isCloseTo((float) ((10 - mean) / sd), within(1e-7f));
        assertThat(scaling.runningRow[3]).isEqualTo(-2f);
        assertThat(scaling.width()).isEqualTo(4);
    }

    @Test
    void committingAndDiscardingMoveTheStateOneWayOrTheOther() {
        DenseScaling scaling =
                new DenseScaling(SPEC, new OnlineStandardizer(2), new MaxAbsScaler(2));
        scaling.scale(event(2f, 6f, Map.of("price", 1.0)));
        assertThat(scaling.standardizer().count(0)).isZero();
        assertThat(scaling.denseScaler().maxAbs()).containsExactly(0f, 0f);

        scaling.commit();
        scaling.scale(event(8f, 2f, Map.of("price", 3.0)));
        scaling.discardPending();
        scaling.scaleCounted(event(4f, 2f, Map.of("price", 3.0)));

        assertThat(scaling.standardizer().count(0)).isEqualTo(1);
        assertThat(scaling.denseScaler().maxAbs()).containsExactly(1f, 3f);
        // The counted event was scaled by the running state, which the discard took back.
        assertThat(scaling.runningRow[0]).isEqualTo(1f);
        assertThat(scaling.runningRow[1]).isCloseTo(1f / 3, within(1e-7f));
        scaling.commit();
        assertThat(scaling.standardizer().count(0)).isEqualTo(1);
    }

    @Test
    void withoutDenseScalingDenseValuesOnlyTakeTheDenseScale() {
        DenseScaling scaling = new DenseScaling(SPEC, known(), null);

        scaling.scale(event(16f, -1f, Map.of()));

        assertThat(scaling.committedRow).containsExactly(8f, -0.5f, 0f, 0f);
        assertThat(scaling.runningRow).containsExactly(8f, -0.5f, 0f, 0f);
        assertThat(scaling.denseScaler()).isNull();
    }

    @Test
    void decodedNumericsAreFoundWhereverEachEventPutsThem() {
        DenseScaling scaling = new DenseScaling(SPEC, known(), null);

        scaling.scale(event(0f, 0f, numerics("age", 45.0, "price", 12.0)));
        assertThat(scaling.committedRow).containsExactly(0f, 0f, 1f, 1f);
        scaling.scale(event(0f, 0f, numerics("price", 8.0, "other", 1.0, "age", 35.0)));
        assertThat(scaling.committedRow).containsExactly(0f, 0f, -1f, -1f);
        scaling.scale(event(0f, 0f, numerics("other", 1.0, "age", 50.0)));
        assertThat(scaling.committedRow).containsExactly(0f, 0f, 0f, 2f);
    }

    @Test
    void stateOfAnotherShapeIsRefused() {
        assertThatThrownBy(() -> new DenseScaling(SPEC, new OnlineStandardizer(3), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("standardizer has 3 features, the spec names 2");
        assertThatThrownBy(() -> new DenseScaling(SPEC, known(), new MaxAbsScaler(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dense scaler has 5 columns, the spec has 2");
    }
}
