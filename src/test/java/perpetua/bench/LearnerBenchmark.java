package perpetua.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.event.WatermarkEvent;
import org.apache.flink.streaming.api.operators.Output;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.LatencyMarker;
import org.apache.flink.streaming.runtime.streamrecord.RecordAttributes;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
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
 * and each prediction goes, as emitted, to a consumer chained to the Learner, as the job's sink is.
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
    private final ChainedSink sink = new ChainedSink();

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
        // Every output goes to a chained consumer, as the job's predictions go to the sink chained
        // to the Learner: as emitted, with no copy (object reuse) and no queue between them.
        harness.setOutputCreator(serializer -> sink);
        harness.setup();
        harness.open();
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Object learnFlights() throws Exception {
        for (StreamRecord<LearnerInput> r : records) {
            harness.processElement(r);
        }
        // The last prediction, for JMH to consume.
        return sink.last;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        harness.close();
        // A benchmark of refusals would measure nothing worth measuring.
        if (sink.predictions == 0 || sink.deadLetters > 0) {
            throw new IllegalStateException(
                    "the Learner emitted "
                            + sink.predictions
                            + " predictions and "
                            + sink.deadLetters
                            + " dead letters");
        }
    }

    /**
     * What the Learner emits, received as a chained operator receives it: predictions and dead
     * letters are counted and the last prediction is kept (JMH consumes it), where the harness's
     * own output would add each record to a concurrent queue.
     */
    static final class ChainedSink implements Output<StreamRecord<Prediction>> {
        Prediction last;
        long predictions;
        long deadLetters;

        @Override
        public void collect(StreamRecord<Prediction> record) {
            last = record.getValue();
            predictions++;
        }

        @Override
        public <X> void collect(OutputTag<X> tag, StreamRecord<X> record) {
            if (tag.getId().equals(LearnerOperator.DEAD_LETTERS.getId())) {
                deadLetters++;
            }
        }

        @Override
        public void emitWatermark(Watermark mark) {}

        @Override
        public void emitWatermark(WatermarkEvent mark) {}

        @Override
        public void emitWatermarkStatus(WatermarkStatus status) {}

        @Override
        public void emitLatencyMarker(LatencyMarker marker) {}

        @Override
        public void emitRecordAttributes(RecordAttributes attributes) {}

        @Override
        public void close() {}
    }
}
