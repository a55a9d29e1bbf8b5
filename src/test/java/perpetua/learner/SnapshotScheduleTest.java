package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.testing.Streams;

/** Snapshots by time come when due, also when no event follows the last learned batch. */
class SnapshotScheduleTest {
    private static final String MODEL = "m";

    /** Batches of 4, no snapshot by count, one at most 5 s after a learned batch. */
    private static final ModelSpec SPEC =
            ModelSpec.newBuilder(Streams.binarySpec(MODEL, 4, 10_000))
                    .setSnapshotEveryBatches(0)
                    .setSnapshotEverySeconds(5)
                    .build();

    private static List<ModelSnapshot> scheduled(
            KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h) {
        List<ModelSnapshot> out = new ArrayList<>();
        var records = h.getSideOutput(LearnerOperator.SNAPSHOTS);
        if (records != null) {
            for (StreamRecord<ModelSnapshot> r : records) {
                if (r.getValue().getEvent() == null) {
                    out.add(r.getValue());
                }
            }
        }
        return out;
    }

    private static void learnOneBatch(
            KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h, long seed)
            throws Exception {
        for (Event e : Streams.binaryEvents(MODEL, 4, seed)) {
            h.processElement(new StreamRecord<>(LearnerInput.of(e)));
        }
    }

    @Test
    void aSnapshotFollowsTheLastLearnedBatchWhenNoEventComes() throws Exception {
        var h = LearnerHarness.of(SPEC);
        h.open();
        h.setProcessingTime(1_000);
        learnOneBatch(h, 1);
        assertThat(h.extractOutputValues()).hasSize(4);
        assertThat(scheduled(h)).isEmpty();

        h.setProcessingTime(5_999);
        assertThat(scheduled(h)).isEmpty();
        // No event since the batch: the timer publishes what the model serves now, version 1.
        h.setProcessingTime(6_000);
        assertThat(scheduled(h)).extracting(ModelSnapshot::getVersion).containsExactly(1L);
        assertThat(scheduled(h).get(0).getTime()).isEqualTo(6_000);

        // Nothing learned since: no more snapshots, however long the quiet.
        h.setProcessingTime(60_000);
        assertThat(scheduled(h)).hasSize(1);
        h.close();
    }

    @Test
    void theTimerSurvivesARestore() throws Exception {
        var h = LearnerHarness.of(SPEC);
        h.open();
        h.setProcessingTime(1_000);
        learnOneBatch(h, 1);
        h.setProcessingTime(2_000);
        learnOneBatch(h, 2);
        OperatorSubtaskState state = h.snapshot(1, 2_500);
        h.close();

        var restored = LearnerHarness.of(SPEC);
        restored.initializeState(state);
        restored.open();
        restored.setProcessingTime(5_999);
        assertThat(restored.getSideOutput(LearnerOperator.SNAPSHOTS)).isNullOrEmpty();
        // No record after the restore: only the restored timer can wake the model, which then
        // publishes the version it goes on from.
        restored.setProcessingTime(6_000);
        assertThat(restored.getSideOutput(LearnerOperator.SNAPSHOTS))
                .extracting(r -> r.getValue().getVersion())
                .containsExactly(2L);
        restored.close();
    }
}
