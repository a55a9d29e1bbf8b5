package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.Event;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;
import perpetua.testing.Streams;

/**
 * What a model learns depends on its events and their order, not on where its micro-batches ended:
 * the same events flushed at other boundaries (by size, by the timer, before checkpoints) leave the
 * same parameters, bit for bit, and the same scaling state.
 */
class StableLearningTest {
    private static final String MODEL = "m";

    /** A flush plan: after which events the open batch is flushed, besides maxBatch. */
    private interface Flushes {
        boolean after(int event);
    }

    /** Replays the events with a timer of {@code maxDelayMs} fired where the plan says. */
    private static Variant learn(ModelSpec spec, List<Event> events, Flushes plan)
            throws Exception {
        var h = LearnerHarness.of(spec);
        h.open();
        long now = 0;
        for (int i = 0; i < events.size(); i++) {
            h.processElement(new StreamRecord<>(LearnerInput.of(events.get(i))));
            if (plan.after(i)) {
                // The micro-batch timer fires: whatever is open is predicted now.
                now += spec.getMaxDelayMs();
                h.setProcessingTime(now);
            }
        }
        h.prepareSnapshotPreBarrier(1L);
        LearnerOperator operator = (LearnerOperator) h.getOperator();
        Variant champion = operator.live(MODEL).champion();
        assertThat(h.extractOutputValues()).hasSize(events.size());
        h.close();
        return champion;
    }

    private static void assertSameModel(Variant a, Variant b) {
        assertThat(b.model().steps()).isEqualTo(a.model().steps());
        assertThat(b.model().parameters()).containsExactly(a.model().parameters());
        assertThat(b.model().optimizerState()).containsExactly(a.model().optimizerState());
        assertThat(b.encoder().standardizer().means())
                .containsExactly(a.encoder().standardizer().means());
        if (a.encoder().denseScaler() != null) {
            assertThat(b.encoder().denseScaler().maxAbs())
                    .containsExactly(a.encoder().denseScaler().maxAbs());
        }
        assertThat(b.model().targetMoments()).isEqualTo(a.model().targetMoments());
    }

    /** Dense, numeric and categorical inputs, a label in thousands: every kind of scaling. */
    private static List<Event> regressionEvents(int n) {
        Random rnd = new Random(7);
        List<Event> out = new ArrayList<>();
        for (Event e : Streams.binaryEvents(MODEL, n, 3)) {
            double x = (Double) e.getNumeric().get("x");
            float d0 = e.getDense().get(0);
            out.add(
                    Event.newBuilder(e)
                            .setDense(List.of(100 * d0, e.getDense().get(1), 0f, 3f))
                            .setLabel(1000 * (2.0 * d0 + x / 10 + 0.1 * rnd.nextGaussian()))
                            .build());
        }
        return out;
    }

    @Test
    void theSameEventsFlushedAtOtherBoundariesLeaveTheSameModel() throws Exception {
        List<Event> events = Streams.binaryEvents(MODEL, 600, 11);
        ModelSpec spec =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 16, 20)).setLearnBatch(8).build();
        Variant bySize = learn(spec, events, i -> false);
        Variant everyFifth = learn(spec, events, i -> i % 5 == 4);
        Random rnd = new Random(5);
        Variant atRandom = learn(spec, events, i -> rnd.nextInt(7) == 0);
        Variant alone =
                learn(ModelSpec.newBuilder(spec).setMaxBatch(1).build(), events, i -> false);

        // 600 labelled events in groups of 8: 75 steps, whatever the flushes.
        assertThat(bySize.model().steps()).isEqualTo(75);
        assertSameModel(bySize, everyFifth);
        assertSameModel(bySize, atRandom);
        assertSameModel(bySize, alone);
    }

    @Test
    void aRegressionWithEveryScalingLearnsTheSameWhateverTheFlushes() throws Exception {
        List<Event> events = regressionEvents(500);
        ModelSpec spec =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 32, 20))
                        .setTask(Task.REGRESSION)
                        .setOptimizer(OptimizerKind.NORMALIZED_ADAGRAD)
                        .setLearningRate(0f)
                        .setHidden(List.of(Layer.newBuilder().setUnits(8).build()))
                        .build();
        // The spec's own default for NORMALIZED_ADAGRAD: one example per step.
        Variant bySize = learn(spec, events, i -> false);
        Variant byTimer = learn(spec, events, i -> i % 3 == 0);
        assertThat(bySize.model().steps()).isEqualTo(500);
        assertSameModel(bySize, byTimer);
        // Dense column 0 came in hundreds: its scale is its largest magnitude so far.
        assertThat(bySize.encoder().denseScaler().maxAbs()[0]).isGreaterThan(100f);
        assertThat(bySize.model().targetMoments()[0]).isEqualTo(500.0);
    }

    @Test
    void labelledRowsWaitingForTheirGroupSurviveACheckpoint() throws Exception {
        List<Event> events = Streams.binaryEvents(MODEL, 203, 13);
        ModelSpec spec =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 4, 20)).setLearnBatch(10).build();
        Variant straight = learn(spec, events, i -> false);

        var first = LearnerHarness.of(spec);
        first.open();
        for (Event e : events.subList(0, 105)) {
            first.processElement(new StreamRecord<>(LearnerInput.of(e)));
        }
        // 105 events: the checkpoint flushes the open batch; 5 rows wait for their group.
        first.prepareSnapshotPreBarrier(1L);
        OperatorSubtaskState saved = first.snapshot(1L, 1L);
        assertThat(((LearnerOperator) first.getOperator()).live(MODEL).champion().queue().waiting())
                .isEqualTo(5);
        first.close();

        var second = LearnerHarness.of(spec);
        second.initializeState(saved);
        second.open();
        for (Event e : events.subList(105, events.size())) {
            second.processElement(new StreamRecord<>(LearnerInput.of(e)));
        }
        second.prepareSnapshotPreBarrier(2L);
        Variant restored = ((LearnerOperator) second.getOperator()).live(MODEL).champion();
        assertThat(restored.model().steps()).isEqualTo(20);
        assertThat(restored.model().parameters()).containsExactly(straight.model().parameters());
        assertThat(restored.queue().waiting()).isEqualTo(3);
        second.close();
    }
}
