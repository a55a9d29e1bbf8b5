package perpetua.job;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exactly-once {@link KafkaSink} whose writer never fails while it is being closed.
 *
 * <p>When the broker is gone for longer than the producer's delivery timeout, the sink's task
 * fails, as it should, and Flink restarts the job from its last checkpoint. But the Kafka writer's
 * {@code close()} then tries to abort the open transaction on the unreachable broker and throws; a
 * task that throws while it is cleaned up after a failure is a fatal error to Flink, which kills
 * the whole TaskManager (and a local job's process) instead of restarting the job. This sink wraps
 * the writer so that a failure in {@code close()} is logged and dropped: the transaction it could
 * not abort is aborted when the job restarts (the writer aborts lingering transactions of its
 * transactional-id prefix) or by the broker at the transaction timeout, so nothing is lost or
 * doubled. Everything else is the Kafka sink's own behaviour.
 */
public final class OutageTolerantKafkaSink<T>
        implements TwoPhaseCommittingStatefulSink<T, KafkaWriterState, KafkaCommittable>,
                SupportsPostCommitTopology<KafkaCommittable> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OutageTolerantKafkaSink.class);

    private final KafkaSink<T> sink;

    public OutageTolerantKafkaSink(KafkaSink<T> sink) {
        this.sink = sink;
    }

    @Override
    public PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> createWriter(
            WriterInitContext context) throws IOException {
        return new Writer<>(sink.createWriter(context));
    }

    @Override
    public PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> restoreWriter(
            WriterInitContext context, Collection<KafkaWriterState> recoveredState)
            throws IOException {
        return new Writer<>(sink.restoreWriter(context, recoveredState));
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context)
            throws IOException {
        return sink.createCommitter(context);
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return sink.getCommittableSerializer();
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<KafkaCommittable>> committed) {
        sink.addPostCommitTopology(committed);
    }

    /** The Kafka writer, with a {@code close()} that logs instead of throwing. */
    static final class Writer<T>
            implements PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> {
        private final PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> writer;

        Writer(PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> writer) {
            this.writer = writer;
        }

        @Override
        public void write(T element, Context context) throws IOException, InterruptedException {
            writer.write(element, context);
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            writer.flush(endOfInput);
        }

        @Override
        public void writeWatermark(org.apache.flink.api.common.eventtime.Watermark watermark)
                throws IOException, InterruptedException {
            writer.writeWatermark(watermark);
        }

        @Override
        public Collection<KafkaCommittable> prepareCommit()
                throws IOException, InterruptedException {
            return writer.prepareCommit();
        }

        @Override
        public List<KafkaWriterState> snapshotState(long checkpointId) throws IOException {
            return writer.snapshotState(checkpointId);
        }

        @Override
        public void close() {
            try {
                writer.close();
            } catch (Exception e) {
                LOG.warn(
                        "Closing the Kafka writer failed; its open transaction is aborted when the"
                                + " job restarts, or by the broker at the transaction timeout: {}",
                        e.toString());
            }
        }
    }
}
