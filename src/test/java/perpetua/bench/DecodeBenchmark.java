package perpetua.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.FlightsStream;
import perpetua.wire.EventBody;

/**
 * Decoding an event from its bytes, as the Learner's thread does for every event it receives (the
 * keyed exchange before the Learner hands the event over as its original bytes): the carried
 * flights events, each a body of an id, the model, the time, one numeric and four categoricals.
 *
 * <p>One operation is one event. Run with {@code ./perpetua bench decode}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DecodeBenchmark {
    static final int EVENTS = 20_000;

    private final List<byte[]> bodies = new ArrayList<>(EVENTS);
    private final EventBody reader = new EventBody();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path csv = CarriedFlights.csv();
        EventBody writer = new EventBody();
        try (CsvEvents events = new CsvEvents(csv, FlightsStream.roles())) {
            while (events.hasNext() && bodies.size() < EVENTS) {
                byte[] body = writer.write(new byte[0], events.next());
                bodies.add(Arrays.copyOf(body, writer.size()));
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void decodeFlights(Blackhole out) throws IOException {
        for (byte[] body : bodies) {
            out.consume(reader.read(body, 0, body.length));
        }
    }
}
