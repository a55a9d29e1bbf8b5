package perpetua.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import perpetua.ingest.LearnerInput;
import perpetua.job.ModelSpecs;
import perpetua.learner.LearnerOperator;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.FlightsStream;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.wire.WireFormat;

/**
 * Throughput of the Learner operator alone (no Kafka): predict, score and learn the carried flights
 * events through the real operator in Flink's keyed test harness, at several micro-batch sizes, by
 * the peer benchmark's flights logistic regression or (parameter {@code model}) its wide and deep
 * model. The events are decoded from their wire form first, as the job's decoding hands them over,
 * and the harness keeps each prediction as emitted, as the job's chained sink receives it.
 *
 * <p>One operation is one event. Run with {@code ./perpetua bench learner}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LearnerBenchmark {
    static final int EVENTS = 20_000;

    @Param({"1", "32", "256"})
    public int maxBatch;

    /**
     * The flights model: {@code logistic}, the peer benchmark's logistic row (hashed categoricals
     * and the standardized distance, the default optimizer), or {@code wide-and-deep}, its wide and
     * deep row (crosses, embeddings, a hidden layer of 16, Adam); each at the maxBatch above.
     */
    @Param({"logistic"})
    public String model;

    /** The rows' specs but for maxBatch, as the peer benchmark's PerpetuaModels gives them. */
    static final Map<String, String> MODELS =
            Map.of(
                    "logistic",
                    "\"hashBits\":18",
                    "wide-and-deep",
                    "\"hashBits\":18,\"embeddings\":[{\"feature\":\"origin\",\"dim\":8},"
                            + "{\"feature\":\"destination\",\"dim\":8}],"
                            + "\"embeddingBits\":12,\"interactions\":[\"origin*destination\","
                            + "\"origin*hour\",\"destination*hour\"],\"hidden\":[16],"
                            + "\"optimizer\":\"ADAM\",\"learningRate\":0.01");

    private List<StreamRecord<LearnerInput>> records;
    private KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> harness;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path csv = CarriedFlights.csv();
        records = new ArrayList<>(EVENTS);
        // As the job hands them to the Learner: decoded from their wire form.
        WireFormat.Codec<Event> wire = WireFormat.codec(Event.class);
        try (CsvEvents events = new CsvEvents(csv, FlightsStream.roles())) {
            while (events.hasNext() && records.size() < EVENTS) {
                Event e = wire.decode(wire.encode(events.next()));
                records.add(new StreamRecord<>(LearnerInput.of(e)));
            }
        }
        ModelSpec spec =
                ModelSpecs.parse(
                                "{\"model\":\"flights\",\"task\":\"BINARY\","
                                        + "\"numericFeatures\":[\"distance\"],"
                                        + MODELS.get(model)
                                        + ",\"maxBatch\":"
                                        + maxBatch
                                        + ",\"maxDelayMs\":1000000,"
                                        + "\"metricsWindow\":5000,\"snapshotEveryBatches\":0,"
                                        + "\"snapshotEverySeconds\":0}")
                        .get("flights");
        harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new LearnerOperator(Map.of("flights", spec)),
                        LearnerInput::model,
                        Types.STRING);
        // The harness keeps every output; it need not deep-copy it first, as no copy is made
        // between the Learner and its chained sink in the job (object reuse).
        harness.setup(new AsEmitted());
        harness.open();
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Object learnFlights() throws Exception {
        for (StreamRecord<LearnerInput> r : records) {
            harness.processElement(r);
        }
        // The first output, for JMH to consume; not the count, which the harness's queue finds by
        // walking all of it.
        Object first = harness.getOutput().peek();
        harness.getOutput().clear();
        return first;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        harness.close();
    }

    /** Avro's serializer, but a prediction is kept as emitted instead of deep-copied. */
    static final class AsEmitted extends AvroSerializer<Prediction> {
        private static final long serialVersionUID = 1L;

        AsEmitted() {
            super(Prediction.class);
        }

        @Override
        public Prediction copy(Prediction from) {
            return from;
        }
    }
}
