package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink.PrecommittingStatefulSinkWriter;
import org.junit.jupiter.api.Test;

class OutageTolerantKafkaSinkTest {

    /** A writer whose close fails as the Kafka writer's does when the broker cannot be reached. */
    static final class UnreachableBroker
            implements PrecommittingStatefulSinkWriter<String, KafkaWriterState, KafkaCommittable> {
        final List<String> calls = new ArrayList<>();

        @Override
        public void write(String element, Context context) {
            calls.add("write " + element);
        }

        @Override
        public void flush(boolean endOfInput) throws IOException {
            calls.add("flush");
            throw new IOException("Expiring 3 record(s) for predictions-0");
        }

        @Override
        public Collection<KafkaCommittable> prepareCommit() {
            calls.add("prepareCommit");
            return List.of();
        }

        @Override
        public List<KafkaWriterState> snapshotState(long checkpointId) {
            calls.add("snapshotState " + checkpointId);
            return List.of();
        }

        @Override
        public void close() throws Exception {
            calls.add("close");
            throw new org.apache.kafka.common.errors.TimeoutException(
                    "Timeout expired after 60000ms while awaiting EndTxn(false)");
        }
    }

    @Test
    void closingAfterAFailureNeverThrowsButEverythingElseStillDoes() throws Exception {
        UnreachableBroker kafka = new UnreachableBroker();
        var writer = new OutageTolerantKafkaSink.Writer<>(kafka);

        writer.write("p1", null);
        assertThat(writer.prepareCommit()).isEmpty();
        assertThat(writer.snapshotState(7)).isEmpty();
        // A failed send still fails the task, so that the job restarts from its checkpoint.
        assertThatThrownBy(() -> writer.flush(false)).hasMessageContaining("Expiring");
        // Closing the failed task must not take the TaskManager down with it.
        assertThatCode(writer::close).doesNotThrowAnyException();

        assertThat(kafka.calls)
                .containsExactly("write p1", "prepareCommit", "snapshotState 7", "flush", "close");
    }
}
