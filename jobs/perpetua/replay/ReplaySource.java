package perpetua.replay;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import perpetua.ingest.SourceRecord;

/**
 * Streams a file written by {@link ReplayStream} as the records the job would read from Kafka.
 *
 * <p>Record {@code i} of the file becomes a {@link SourceRecord} of topic {@value #TOPIC} whose
 * offset is the replay position of its row, so that a dead letter names the row it refused. Its
 * timestamp is the wall-clock time it was read, which the Learner passes on as the prediction's
 * {@code publishedAt}. The file is read front to back, so the source runs at parallelism 1 (the
 * generator refuses any other order) and keeps no state: a replay is not checkpointed.
 */
final class ReplaySource implements GeneratorFunction<Long, SourceRecord> {
    private static final long serialVersionUID = 1L;

    /** The topic name that replayed records carry. */
    static final String TOPIC = "replay";

    private final String file;
    private final int copies;
    private transient DataInputStream in;
    private transient long next;

    private ReplaySource(Path file, int copies) {
        this.file = file.toAbsolutePath().toString();
        this.copies = copies;
    }

    /** A bounded source of the prepared replay. */
    static DataGeneratorSource<SourceRecord> of(ReplayStream.Prepared prepared) {
        return new DataGeneratorSource<>(
                new ReplaySource(prepared.file(), prepared.copies()),
                prepared.records(),
                TypeInformation.of(SourceRecord.class));
    }

    @Override
    public void open(SourceReaderContext context) throws Exception {
        if (context.currentParallelism() != 1) {
            throw new IllegalStateException("a replay source runs at parallelism 1");
        }
        in =
                new DataInputStream(
                        new BufferedInputStream(Files.newInputStream(Path.of(file)), 1 << 16));
        next = 0;
    }

    @Override
    public SourceRecord map(Long index) throws Exception {
        if (index != next) {
            throw new IllegalStateException(
                    "replay record " + index + " asked for where " + next + " comes next");
        }
        next++;
        byte[] value = new byte[in.readInt()];
        in.readFully(value);
        return new SourceRecord(TOPIC, 0, index / copies, System.currentTimeMillis(), value);
    }

    @Override
    public void close() throws Exception {
        if (in != null) {
            in.close();
        }
    }
}
