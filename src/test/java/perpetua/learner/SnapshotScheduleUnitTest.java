package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import perpetua.schemas.ModelSpec;
import perpetua.testing.Streams;

/** A snapshot is due after enough learned batches or enough time, and never with nothing new. */
class SnapshotScheduleUnitTest {
    private static ModelSpec every(int batches, int seconds) {
        return ModelSpec.newBuilder(Streams.binarySpec("m", 4, 10_000))
                .setSnapshotEveryBatches(batches)
                .setSnapshotEverySeconds(seconds)
                .build();
    }

    @Test
    void enoughLearnedBatchesMakeASnapshotDue() {
        ModelSpec spec = every(3, 0);
        SnapshotSchedule s = new SnapshotSchedule(0, 1_000);
        s.learned(2);
        assertThat(s.due(spec, 1_000)).isFalse();
        s.learned(1);
        assertThat(s.due(spec, 1_000)).isTrue();
        // Without seconds in the spec, no timer is asked for.
        assertThat(s.dueAt(spec)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void enoughTimeSinceTheLastSnapshotMakesOneDueOnceSomethingWasLearned() {
        ModelSpec spec = every(0, 5);
        SnapshotSchedule s = new SnapshotSchedule(0, 1_000);
        assertThat(s.due(spec, 60_000)).isFalse();
        assertThat(s.dueAt(spec)).isEqualTo(Long.MAX_VALUE);
        s.learned(1);
        assertThat(s.dueAt(spec)).isEqualTo(6_000);
        assertThat(s.due(spec, 5_999)).isFalse();
        assertThat(s.due(spec, 6_000)).isTrue();
    }

    @Test
    void aSnapshotTakenStartsTheScheduleAgain() {
        ModelSpec spec = every(2, 5);
        SnapshotSchedule s = new SnapshotSchedule(4, 1_000);
        assertThat(s.due(spec, 1_000)).isTrue();
        s.taken(3_000);
        assertThat(s.batchesSince()).isZero();
        assertThat(s.lastAt()).isEqualTo(3_000);
        assertThat(s.due(spec, 100_000)).isFalse();
        s.learned(1);
        assertThat(s.dueAt(spec)).isEqualTo(8_000);
        assertThat(s.due(spec, 7_999)).isFalse();
    }
}
