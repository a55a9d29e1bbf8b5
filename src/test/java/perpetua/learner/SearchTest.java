package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Prediction;
import perpetua.schemas.Search;
import perpetua.testing.Streams;

/**
 * A search runs its learners as challengers on the same events, serves the best by the main metric
 * at the end of each rung, retires the worse half, and records every switch as a promotion.
 */
class SearchTest {
    private static final String MODEL = "m";
    private static final String FAST = "m~normalized_adagrad/lr=1/linear";

    /** A champion that barely learns, and two learning rates to try: 1 learns fastest. */
    private static ModelSpec spec() {
        return ModelSpec.newBuilder(Streams.binarySpec(MODEL, 1, 1000))
                .setOptimizer(OptimizerKind.NORMALIZED_ADAGRAD)
                .setLearningRate(0.0001f)
                .setMetricsWindow(50)
                .setSearch(
                        Search.newBuilder()
                                .setLearningRates(List.of(0.001f, 1f))
                                .setRungWindows(1)
                                .build())
                .build();
    }

    private static void send(
            KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h,
            List<Event> events)
            throws Exception {
        for (Event e : events) {
            h.processElement(new StreamRecord<>(LearnerInput.of(e)));
        }
    }

    private static List<Metrics> events(
            KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h) {
        return h.getSideOutput(LearnerOperator.METRICS).stream()
                .map(StreamRecord::getValue)
                .filter(m -> m.getEvent() != null)
                .toList();
    }

    @Test
    void theBestLearnerServesTheRestAreRetiredAndTheVersionLineGoesOn() throws Exception {
        var h = LearnerHarness.of(spec());
        h.open();
        List<Event> stream = Streams.binaryEvents(MODEL, 400, 21);
        send(h, stream);
        LearnerOperator operator = (LearnerOperator) h.getOperator();
        ModelRuntime m = operator.live(MODEL);

        // Three learners: after rung 1 (one window of 50) two go on, after rung 2 (two more
        // windows) one: the fastest serves, and the search is over.
        List<Metrics> records = events(h);
        assertThat(records).extracting(Metrics::getEvent).containsOnly("promotion", "retirement");
        List<Metrics> promotions =
                records.stream().filter(r -> r.getEvent().equals("promotion")).toList();
        assertThat(promotions).hasSize(1);
        assertThat(promotions.get(0).getVariant()).isEqualTo(FAST);
        assertThat(promotions.get(0).getDetail())
                .startsWith("search of 'm', rung 1: '" + FAST + "' replaced the champion")
                .contains("'m~normalized_adagrad/lr=0.0001/linear' at version 49")
                // The rung's last label is measured before it is learned.
                .contains("having learned 49 examples");
        assertThat(records.stream().filter(r -> r.getEvent().equals("retirement"))).hasSize(2);
        assertThat(m.challengers()).isEmpty();
        assertThat(m.spec().getSearch()).isNull();
        assertThat(m.spec().getModel()).isEqualTo(MODEL);
        assertThat(m.spec().getLearningRate()).isEqualTo(1f);
        assertThat(operator.metrics(MODEL).promotions.getCount()).isEqualTo(1);

        // The promotion is a snapshot of the served line, and the versions never step back.
        List<ModelSnapshot> snapshots =
                h.getSideOutput(LearnerOperator.SNAPSHOTS).stream()
                        .map(StreamRecord::getValue)
                        .filter(s -> "promotion".equals(s.getEvent()))
                        .toList();
        assertThat(snapshots).hasSize(1);
        assertThat(snapshots.get(0).getSpec().getLearningRate()).isEqualTo(1f);
        List<Prediction> served = h.extractOutputValues();
        assertThat(served).hasSize(400);
        for (int i = 1; i < served.size(); i++) {
            assertThat(served.get(i).getModelVersion())
                    .isEqualTo(served.get(i - 1).getModelVersion() + 1);
        }
        h.close();
    }

    @Test
    void aSearchGoesOnFromItsCheckpointAsIfNothingHappened() throws Exception {
        List<Event> stream = Streams.binaryEvents(MODEL, 300, 22);
        var straight = LearnerHarness.of(spec());
        straight.open();
        send(straight, stream);
        ModelRuntime expected = ((LearnerOperator) straight.getOperator()).live(MODEL);

        var first = LearnerHarness.of(spec());
        first.open();
        // 75 events: rung 1 is over, rung 2 has one of its two windows.
        send(first, stream.subList(0, 75));
        first.prepareSnapshotPreBarrier(1L);
        OperatorSubtaskState saved = first.snapshot(1L, 1L);
        assertThat(((LearnerOperator) first.getOperator()).live(MODEL).challengers()).hasSize(1);
        first.close();
        var second = LearnerHarness.of(spec());
        second.initializeState(saved);
        second.open();
        send(second, stream.subList(75, stream.size()));
        ModelRuntime resumed = ((LearnerOperator) second.getOperator()).live(MODEL);

        assertThat(resumed.challengers()).isEmpty();
        assertThat(resumed.version()).isEqualTo(expected.version());
        assertThat(resumed.spec()).isEqualTo(expected.spec());
        assertThat(resumed.champion().model().parameters())
                .containsExactly(expected.champion().model().parameters());
        assertThat(events(second))
                .extracting(Metrics::getDetail)
                .last()
                .isEqualTo(events(straight).get(events(straight).size() - 1).getDetail());
        straight.close();
        second.close();
    }
}
