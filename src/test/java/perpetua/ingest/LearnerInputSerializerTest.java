package perpetua.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.wire.WireFormat;

class LearnerInputSerializerTest {
    private final TypeSerializer<LearnerInput> serializer =
            TypeInformation.of(LearnerInput.class).createSerializer(new SerializerConfigImpl());

    private static Event event(int i) {
        return Event.newBuilder()
                .setId("e" + i)
                .setModel("flights")
                .setTime(1000L + i)
                .setDense(List.of(0.5f * i, -1f, Float.MIN_VALUE))
                .setNumeric(Map.of("distance", 1234.5 * i))
                .setCategorical(Map.of("origin", "SFO", "destination", "Zürich"))
                .setText(i % 2 == 0 ? null : "a text")
                .setLabel(i % 3 == 0 ? null : i % 3 == 1 ? (Object) 1 : (Object) 2.5)
                .setWeight(0.5f)
                .build();
    }

    private LearnerInput roundTrip(LearnerInput in) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(in, out);
        serializer.serialize(in, out);
        DataInputDeserializer back = new DataInputDeserializer(out.getCopyOfBuffer());
        LearnerInput first = serializer.deserialize(back);
        LearnerInput second = serializer.deserialize(back);
        assertThat(back.available()).isZero();
        assertThat(second).usingRecursiveComparison().isEqualTo(first);
        return first;
    }

    @Test
    void isFlinksTypeOfLearnerInputAndNotAPojoOrKryo() {
        assertThat(serializer).isInstanceOf(LearnerInputSerializer.class);
        assertThat(serializer.duplicate()).isNotSameAs(serializer).isEqualTo(serializer);
    }

    @Test
    void anEventComesBackWithItsSourceAndBytes() throws Exception {
        for (int i = 0; i < 6; i++) {
            byte[] bytes = WireFormat.codec(Event.class).encode(event(i));
            LearnerInput in =
                    LearnerInput.of(event(i), new SourceRecord("events", 3, 77L + i, 99L, bytes));
            LearnerInput back = roundTrip(in);
            assertThat(back.event).isEqualTo(in.event);
            assertThat(back.model).isEqualTo("flights");
            assertThat(back.topic).isEqualTo("events");
            assertThat(back.partition).isEqualTo(3);
            assertThat(back.offset).isEqualTo(77L + i);
            assertThat(back.publishedAt).isEqualTo(99L);
            assertThat(back.payload).isEqualTo(bytes);
            assertThat(back.feedback).isNull();
            assertThat(back.spec).isNull();
            assertThat(serializer.copy(in).event).isEqualTo(in.event);
        }
    }

    @Test
    void anEventDecodedFromItsOwnMessageTravelsInItOnce() throws Exception {
        InputDecoder decoder = new InputDecoder("feedback", "control", RecordLimits.DEFAULTS);
        for (int i = 0; i < 6; i++) {
            byte[] bytes = WireFormat.codec(Event.class).encode(event(i));
            SourceRecord record = new SourceRecord("events", 1, 10L + i, 99L, bytes);
            LearnerInput in = decoder.decode(record).input();
            assertThat(in.eventInPayload).isTrue();
            LearnerInput back = roundTrip(in);
            assertThat(back.event).isEqualTo(event(i));
            assertThat(back.eventInPayload).isTrue();
            assertThat(back.payload).isEqualTo(bytes);
            assertThat(back.offset).isEqualTo(10L + i);
            assertThat(serializer.copy(in).event).isEqualTo(event(i));
            // The same input, not known to be its own message, carries the body beside the bytes.
            LearnerInput twice = LearnerInput.of(in.event, record);
            assertThat(roundTrip(twice).event).isEqualTo(event(i));
            assertThat(size(twice) - size(in))
                    .isEqualTo(Integer.BYTES + bytes.length - WireFormat.HEADER_BYTES);
        }
    }

    private int size(LearnerInput in) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(in, out);
        return out.length();
    }

    @Test
    void aLabelAndASpecComeBack() throws Exception {
        Feedback f =
                Feedback.newBuilder()
                        .setEventId("e1")
                        .setModel("m")
                        .setTime(5L)
                        .setLabel(1)
                        .build();
        LearnerInput label = roundTrip(LearnerInput.of(f));
        assertThat(label.feedback).isEqualTo(f);
        assertThat(label.event).isNull();
        assertThat(label.payload).isNull();
        ModelSpec spec =
                ModelSpec.newBuilder().setModel("m").setTask(Task.MULTICLASS).setClasses(4).build();
        LearnerInput control = roundTrip(LearnerInput.of(spec));
        assertThat(control.spec()).isEqualTo(spec);
        assertThat(control.model).isEqualTo("m");
    }
}
