package perpetua.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.wire.WireFormat;

class DecodeAndValidateTest {
    private final WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
    private OneInputStreamOperatorTestHarness<SourceRecord, LearnerInput> harness;
    private long offset;

    @BeforeEach
    void open() throws Exception {
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new DecodeAndValidate("feedback", "control")));
        harness.open();
    }

    private static Event.Builder event(String model) {
        return Event.newBuilder().setId("e").setModel(model).setTime(1L);
    }

    private DeadLetter refuse(String topic, byte[] bytes) throws Exception {
        long at = offset++;
        harness.processElement(new StreamRecord<>(new SourceRecord(topic, 3, at, 0L, bytes)));
        assertThat(harness.extractOutputValues()).as("nothing passes").isEmpty();
        List<DeadLetter> letters =
                harness.getSideOutput(DecodeAndValidate.DEAD_LETTERS).stream()
                        .map(StreamRecord::getValue)
                        .toList();
        DeadLetter last = letters.get(letters.size() - 1);
        assertThat(last.getSourceTopic()).isEqualTo(topic);
        assertThat(last.getPartition()).isEqualTo(3);
        assertThat(last.getOffset()).isEqualTo(at);
        byte[] payload = new byte[last.getPayload().remaining()];
        last.getPayload().duplicate().get(payload);
        assertThat(payload).isEqualTo(bytes);
        return last;
    }

    private DeadLetter refuse(byte[] bytes) throws Exception {
        return refuse("events", bytes);
    }

    private DeadLetter refuse(Event e) throws Exception {
        return refuse(codec.encode(e));
    }

    @SuppressWarnings("unchecked")
    private <T extends SpecificRecord> byte[] encode(T record) {
        return WireFormat.codec((Class<T>) record.getClass()).encode(record);
    }

    private void pass(String topic, byte[] bytes) throws Exception {
        harness.processElement(
                new StreamRecord<>(new SourceRecord(topic, 0, offset++, 1234L, bytes)));
    }

    @Test
    void eachTopicDecodesToItsKindOfInput() throws Exception {
        Event e = event("bin").setDense(List.of(1f, 2f)).setLabel(1).build();
        Feedback f =
                Feedback.newBuilder()
                        .setEventId("e")
                        .setModel("bin")
                        .setTime(2L)
                        .setLabel(1)
                        .build();
        ModelSpec s = ModelSpec.newBuilder().setModel("bin").setTask(Task.BINARY).build();
        pass("events", codec.encode(e));
        pass("feedback", encode(f));
        pass("control", encode(s));
        List<LearnerInput> out = harness.extractOutputValues();
        assertThat(out).hasSize(3);
        assertThat(out.get(0).event).isEqualTo(e);
        assertThat(out.get(0).publishedAt).isEqualTo(1234L);
        assertThat(out.get(1).feedback).isEqualTo(f);
        assertThat(out.get(2).spec()).isEqualTo(s);
        assertThat(out).extracting(LearnerInput::model).containsOnly("bin");
        assertThat(out.get(1).payload).isEqualTo(encode(f));
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
        byte[] spec = encode(ModelSpec.newBuilder().setModel("x").setTask(Task.BINARY).build());
        assertThat(refuse(spec).getReason())
                .isEqualTo("a ModelSpec record where a Event was expected");
        byte[] event = codec.encode(event("x").build());
        assertThat(refuse("control", event).getReason())
                .isEqualTo("a Event record where a ModelSpec was expected");
    }

    @Test
    void unsoundValuesGoToDeadLettersWithTheirReason() throws Exception {
        assertThat(refuse(event("bin").setDense(List.of(Float.NaN, 1f)).build()).getReason())
                .isEqualTo("non-finite value NaN in dense[0]");
        assertThat(
                        refuse(
                                        event("reg")
                                                .setNumeric(Map.of("n", Double.POSITIVE_INFINITY))
                                                .build())
                                .getReason())
                .isEqualTo("non-finite value Infinity in numeric 'n'");
        assertThat(refuse(event("reg").setLabel(Double.NaN).build()).getReason())
                .isEqualTo("non-finite label NaN");
        assertThat(refuse(event("multi").setWeight(-1f).build()).getReason()).contains("weight");
        assertThat(refuse(event("multi").setId("").build()).getReason())
                .isEqualTo("missing event id");
        DeadLetter named = refuse(event("bin").setDense(List.of(Float.NaN)).build());
        assertThat(named.getModel()).isEqualTo("bin");
        assertThat(named.getEventId()).isEqualTo("e");
    }

    @Test
    void unusableSpecsAndLabelsGoToDeadLetters() throws Exception {
        ModelSpec bad =
                ModelSpec.newBuilder().setModel("m").setTask(Task.MULTICLASS).setClasses(1).build();
        assertThat(refuse("control", encode(bad)).getReason())
                .isEqualTo("refused spec: model 'm': classes must be >= 2");
        Feedback nan =
                Feedback.newBuilder()
                        .setEventId("e")
                        .setModel("m")
                        .setTime(1L)
                        .setLabel(Double.NaN)
                        .build();
        assertThat(refuse("feedback", encode(nan)).getReason()).isEqualTo("non-finite label NaN");
    }
}
