package perpetua.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.wire.WireFormat;

class DecodeAndValidateTest {
    private final WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
    private OneInputStreamOperatorTestHarness<SourceRecord, Observation> harness;
    private long offset;

    @BeforeEach
    void open() throws Exception {
        Map<String, ModelSpec> specs =
                Map.of(
                        "bin",
                        ModelSpec.newBuilder()
                                .setModel("bin")
                                .setTask(Task.BINARY)
                                .setDenseSize(2)
                                .build(),
                        "multi",
                        ModelSpec.newBuilder()
                                .setModel("multi")
                                .setTask(Task.MULTICLASS)
                                .setClasses(3)
                                .build(),
                        "reg",
                        ModelSpec.newBuilder().setModel("reg").setTask(Task.REGRESSION).build());
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new DecodeAndValidate(specs)));
        harness.open();
    }

    private static Event.Builder event(String model) {
        return Event.newBuilder().setId("e").setModel(model).setTime(1L);
    }

    private DeadLetter refuse(byte[] bytes) throws Exception {
        long at = offset++;
        harness.processElement(new StreamRecord<>(new SourceRecord("events", 3, at, 0L, bytes)));
        assertThat(harness.extractOutputValues()).as("nothing passes").isEmpty();
        List<DeadLetter> letters =
                harness.getSideOutput(DecodeAndValidate.DEAD_LETTERS).stream()
                        .map(StreamRecord::getValue)
                        .toList();
        DeadLetter last = letters.get(letters.size() - 1);
        assertThat(last.getSourceTopic()).isEqualTo("events");
        assertThat(last.getPartition()).isEqualTo(3);
        assertThat(last.getOffset()).isEqualTo(at);
        byte[] payload = new byte[last.getPayload().remaining()];
        last.getPayload().duplicate().get(payload);
        assertThat(payload).isEqualTo(bytes);
        return last;
    }

    private DeadLetter refuse(Event e) throws Exception {
        return refuse(codec.encode(e));
    }

    @Test
    void validEventsPassWithTheirPublicationTime() throws Exception {
        Event e = event("bin").setDense(List.of(1f, 2f)).setLabel(1).build();
        harness.processElement(
                new StreamRecord<>(new SourceRecord("events", 0, 0, 1234L, codec.encode(e))));
        assertThat(harness.extractOutputValues())
                .singleElement()
                .satisfies(
                        o -> {
                            assertThat(o.event).isEqualTo(e);
                            assertThat(o.publishedAt).isEqualTo(1234L);
                        });
    }

    @Test
    void unknownFingerprintGoesToDeadLetters() throws Exception {
        byte[] bytes = codec.encode(event("bin").setDense(List.of(1f, 2f)).build());
        bytes[4] ^= 0x11;
        assertThat(refuse(bytes).getReason()).startsWith("unknown schema fingerprint");
    }

    @Test
    void truncatedBytesGoToDeadLetters() throws Exception {
        byte[] bytes = codec.encode(event("bin").setDense(List.of(1f, 2f)).build());
        assertThat(refuse(Arrays.copyOf(bytes, bytes.length - 5)).getReason())
                .startsWith("malformed Avro body");
    }

    @Test
    void malformedBytesGoToDeadLetters() throws Exception {
        assertThat(refuse(new byte[] {7, 7, 7}).getReason()).contains("bad header");
        assertThat(refuse(new byte[0]).getReason()).isEqualTo("empty record value");
    }

    @Test
    void anotherRecordTypeGoesToDeadLetters() throws Exception {
        byte[] spec =
                WireFormat.codec(ModelSpec.class)
                        .encode(ModelSpec.newBuilder().setModel("x").setTask(Task.BINARY).build());
        assertThat(refuse(spec).getReason())
                .isEqualTo("a ModelSpec record where an Event was expected");
    }

    @Test
    void invalidValuesGoToDeadLettersWithTheirReason() throws Exception {
        assertThat(refuse(event("bin").setDense(List.of(Float.NaN, 1f)).build()).getReason())
                .isEqualTo("non-finite value NaN in dense[0]");
        assertThat(refuse(event("bin").setDense(List.of(1f)).build()).getReason())
                .isEqualTo("wrong dense size 1, model 'bin' expects 2");
        assertThat(
                        refuse(
                                        event("reg")
                                                .setNumeric(Map.of("n", Double.POSITIVE_INFINITY))
                                                .build())
                                .getReason())
                .isEqualTo("non-finite value Infinity in numeric 'n'");
        assertThat(refuse(event("bin").setDense(List.of(1f, 2f)).setLabel(2).build()).getReason())
                .contains("label 2 out of range");
        assertThat(refuse(event("multi").setLabel(1.5).build()).getReason())
                .contains("out of range");
        assertThat(refuse(event("reg").setLabel(Double.NaN).build()).getReason())
                .isEqualTo("non-finite label NaN");
        assertThat(refuse(event("nobody").build()).getReason()).isEqualTo("unknown model 'nobody'");
        assertThat(refuse(event("multi").setWeight(-1f).build()).getReason()).contains("weight");
        DeadLetter named = refuse(event("bin").setDense(List.of(1f)).build());
        assertThat(named.getModel()).isEqualTo("bin");
        assertThat(named.getEventId()).isEqualTo("e");
    }

    @Test
    void labelsInsideTheTaskPass() throws Exception {
        harness.processElement(rec(event("multi").setLabel(2).build()));
        harness.processElement(rec(event("multi").setLabel(0.0).build()));
        harness.processElement(rec(event("reg").setLabel(-3.25).build()));
        assertThat(harness.extractOutputValues()).hasSize(3);
        assertThat(harness.getSideOutput(DecodeAndValidate.DEAD_LETTERS)).isNullOrEmpty();
    }

    private StreamRecord<SourceRecord> rec(Event e) {
        return new StreamRecord<>(new SourceRecord("events", 0, offset++, 0L, codec.encode(e)));
    }
}
