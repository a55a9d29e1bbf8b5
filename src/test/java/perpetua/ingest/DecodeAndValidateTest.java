package perpetua.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static perpetua.testing.HostileRecords.GIGABYTES;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.testing.HostileRecords;
import perpetua.wire.WireFormat;

class DecodeAndValidateTest {
    private final WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
    private OneInputStreamOperatorTestHarness<SourceRecord, LearnerInput> harness;
    private long offset;
    private long refused;

    @BeforeEach
    void open() throws Exception {
        open(new DecodeAndValidate("feedback", "control"));
    }

    private void open(DecodeAndValidate function) throws Exception {
        if (harness != null) {
            harness.close();
        }
        harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(function));
        harness.open();
        refused = 0;
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static Event.Builder event(String model) {
        return Event.newBuilder().setId("e").setModel(model).setTime(1L);
    }

    /** The dead letter of {@code bytes}, which carries them whole. */
    private DeadLetter refuse(String topic, byte[] bytes) throws Exception {
        DeadLetter last = refuseCut(topic, bytes);
        assertThat(payload(last)).isEqualTo(bytes);
        assertThat(last.getPayloadTruncated()).isFalse();
        return last;
    }

    /** The dead letter of {@code bytes}, which may carry only their beginning. */
    private DeadLetter refuseCut(String topic, byte[] bytes) throws Exception {
        long at = offset++;
        int passed = harness.extractOutputValues().size();
        harness.processElement(new StreamRecord<>(new SourceRecord(topic, 3, at, 0L, bytes)));
        assertThat(harness.extractOutputValues()).as("nothing passes").hasSize(passed);
        List<DeadLetter> letters =
                harness.getSideOutput(DecodeAndValidate.DEAD_LETTERS).stream()
                        .map(StreamRecord::getValue)
                        .toList();
        assertThat(letters).as("one dead letter per refused record").hasSize((int) refused + 1);
        refused++;
        DeadLetter last = letters.get(letters.size() - 1);
        assertThat(last.getSourceTopic()).isEqualTo(topic);
        assertThat(last.getPartition()).isEqualTo(3);
        assertThat(last.getOffset()).isEqualTo(at);
        assertThat(last.getPayloadBytes()).isEqualTo(bytes == null ? 0 : bytes.length);
        return last;
    }

    private static byte[] payload(DeadLetter d) {
        byte[] payload = new byte[d.getPayload().remaining()];
        d.getPayload().duplicate().get(payload);
        return payload;
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
    void unknownFingerprintGoesToDeadLettersSpelledAsOnTheWire() throws Exception {
        byte[] bytes = codec.encode(event("bin").setDense(List.of(1f, 2f)).build());
        byte[] fingerprint = {
            0x01, 0x23, 0x45, 0x67, (byte) 0x89, (byte) 0xab, (byte) 0xcd, (byte) 0xef
        };
        System.arraycopy(fingerprint, 0, bytes, 2, 8);
        assertThat(refuse(bytes).getReason())
                .isEqualTo("unknown schema fingerprint 0123456789abcdef");
    }

    @Test
    void truncatedBytesGoToDeadLettersThatSaySo() throws Exception {
        byte[] bytes = codec.encode(event("bin").setDense(List.of(1f, 2f)).build());
        assertThat(refuse(Arrays.copyOf(bytes, bytes.length - 3)).getReason())
                .isEqualTo(
                        "malformed Avro body: truncated: the Event body ends after "
                                + (bytes.length - 3 - WireFormat.HEADER_BYTES)
                                + " bytes, inside field 'weight'");
    }

    @Test
    void lengthPrefixesThatClaimGigabytesGoToDeadLettersOnEveryTopic() throws Exception {
        assertThat(refuse(HostileRecords.eventIdClaiming(GIGABYTES)).getReason())
                .isEqualTo(
                        "malformed Avro body: field 'id' claims a string of 1500000000 bytes"
                                + " where 0 follow; truncated or corrupt");
        assertThat(refuse(HostileRecords.eventDenseClaiming(GIGABYTES)).getReason())
                .startsWith("malformed Avro body: field 'dense' claims an array block of");
        assertThat(refuse(HostileRecords.eventNumericClaiming(GIGABYTES)).getReason())
                .startsWith("malformed Avro body: field 'numeric' claims a map block of");
        assertThat(refuse("feedback", HostileRecords.feedbackIdClaiming(GIGABYTES)).getReason())
                .startsWith("malformed Avro body: field 'eventId' claims a string of");
        assertThat(refuse("control", HostileRecords.specFeaturesClaiming(GIGABYTES)).getReason())
                .startsWith("malformed Avro body: field 'numericFeatures' claims an array block");
    }

    @Test
    void aRecordOverItsSizeLimitIsRefusedBeforeDecodingAndItsCopyIsCut() throws Exception {
        byte[] huge = new byte[5_000_000];
        Arrays.fill(huge, (byte) 7);
        DeadLetter d = refuseCut("events", huge);
        assertThat(d.getReason())
                .isEqualTo(
                        "record value is 5000000 bytes, over the limit of 1048576"
                                + " (--max-record-bytes)");
        assertThat(d.getPayloadTruncated()).isTrue();
        assertThat(payload(d)).isEqualTo(Arrays.copyOf(huge, 64 * 1024));

        byte[] spec = encode(ModelSpec.newBuilder().setModel("m").setTask(Task.BINARY).build());
        byte[] bigSpec =
                encode(
                        ModelSpec.newBuilder()
                                .setModel("m")
                                .setTask(Task.BINARY)
                                .setNumericFeatures(java.util.Collections.nCopies(50, "feature"))
                                .build());
        open(new DecodeAndValidate("feedback", "control", limits(1 << 20, spec.length, 1024, 200)));
        pass("control", spec);
        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(refuse("control", bigSpec).getReason())
                .isEqualTo(
                        "record value is "
                                + bigSpec.length
                                + " bytes, over the limit of "
                                + spec.length
                                + " (--max-spec-bytes)");
    }

    private static RecordLimits limits(int record, int spec, int id, int name) {
        return new RecordLimits(record, spec, id, name, 64 * 1024);
    }

    @Test
    void idsAndModelNamesOverTheirLimitsAreRefusedAndLeftOutOfTheDeadLetter() throws Exception {
        open(new DecodeAndValidate("feedback", "control", limits(4 << 20, 4 << 20, 1024, 200)));
        String longId = "i".repeat(1 << 20);
        DeadLetter id = refuseCut("events", codec.encode(event("bin").setId(longId).build()));
        assertThat(id.getReason())
                .isEqualTo(
                        "event id is 1048576 characters, over the limit of 1024"
                                + " (--max-id-length)");
        assertThat(id.getEventId()).isNull();
        assertThat(id.getModel()).isEqualTo("bin");
        assertThat(id.getPayloadTruncated()).isTrue();
        assertThat(id.getPayload().remaining()).isEqualTo(64 * 1024);

        String longName = "m".repeat(10_000);
        assertThat(refuse(event(longName).build()).getReason())
                .isEqualTo(
                        "model name is 10000 characters, over the limit of 200"
                                + " (--max-model-name-length)");
        Feedback label =
                Feedback.newBuilder()
                        .setEventId("e".repeat(1025))
                        .setModel("bin")
                        .setTime(1L)
                        .setLabel(1)
                        .build();
        assertThat(refuse("feedback", encode(label)).getReason())
                .isEqualTo(
                        "feedback event id is 1025 characters, over the limit of 1024"
                                + " (--max-id-length)");
        ModelSpec challenger =
                ModelSpec.newBuilder()
                        .setModel("champion")
                        .setTask(Task.BINARY)
                        .setChallengers(
                                List.of(
                                        ModelSpec.newBuilder()
                                                .setModel("c".repeat(201))
                                                .setTask(Task.BINARY)
                                                .build()))
                        .build();
        DeadLetter spec = refuse("control", encode(challenger));
        assertThat(spec.getReason())
                .isEqualTo(
                        "challenger name is 201 characters, over the limit of 200"
                                + " (--max-model-name-length)");
        assertThat(spec.getModel()).isEqualTo("champion");
    }

    @Test
    void aSpecWithMoreClassesThanAPredictionCanCarryIsRefused() throws Exception {
        ModelSpec many =
                ModelSpec.newBuilder()
                        .setModel("m")
                        .setTask(Task.MULTICLASS)
                        .setClasses(1_000_000)
                        .build();
        assertThat(refuse("control", encode(many)).getReason())
                .isEqualTo(
                        "refused spec: model 'm': classes must be <= 65536 (every prediction"
                                + " carries one score per class)");
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
                .isEqualTo("a ModelSpec record where an Event was expected");
        byte[] event = codec.encode(event("x").build());
        assertThat(refuse("control", event).getReason())
                .isEqualTo("an Event record where a ModelSpec was expected");
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
