package perpetua.ingest;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.wire.EventBody;
import perpetua.wire.WireFormat;

/**
 * Hands a {@link LearnerInput} from decoding to the Learner: every record between them passes
 * through here, so it writes an event as its Avro binary body by {@link EventBody} (dense floats
 * without boxing, names from a cache on the way back) instead of Flink's POJO serializer around
 * Avro's generic one.
 *
 * <p>Format: a kind byte (event, event in its original bytes, late label, spec), the model name,
 * the source position and the original bytes, then the event's body, the label's single-object
 * encoding or the spec's bytes; an event whose original bytes are its own message in the current
 * schema ({@link LearnerInput#eventInPayload}) travels in them alone and is read from them. It is
 * not kept in state: a record exists only between two operators, so the format may change from one
 * release to the next. Not thread-safe ({@link #duplicate()} gives each task its own).
 */
public final class LearnerInputSerializer extends TypeSerializer<LearnerInput> {
    private static final long serialVersionUID = 1L;

    private static final byte EVENT = 0;
    private static final byte FEEDBACK = 1;
    private static final byte SPEC = 2;
    private static final byte EVENT_IN_PAYLOAD = 3;

    /** An event's body travels alone: both ends know its schema. */
    private static final byte[] NO_HEADER = new byte[0];

    private transient EventBody events;
    private transient WireFormat.Codec<Event> eventCodec;
    private transient WireFormat.Codec<Feedback> labels;
    private transient byte[] buffer;
    private transient byte[] encoded;

    public LearnerInputSerializer() {}

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<LearnerInput> duplicate() {
        return new LearnerInputSerializer();
    }

    @Override
    public LearnerInput createInstance() {
        return new LearnerInput();
    }

    @Override
    public LearnerInput copy(LearnerInput from) {
        LearnerInput to = new LearnerInput();
        to.model = from.model;
        to.spec = from.spec;
        to.publishedAt = from.publishedAt;
        to.topic = from.topic;
        to.partition = from.partition;
        to.offset = from.offset;
        to.payload = from.payload;
        to.eventInPayload = from.eventInPayload;
        try {
            if (from.event != null && from.eventInPayload) {
                to.event = readPayloadEvent(from.payload);
            } else if (from.event != null) {
                to.event = readEvent(eventBytes(from.event), eventSize());
            }
            if (from.feedback != null) {
                to.feedback = labels().decode(labels().encode(from.feedback));
            }
        } catch (IOException e) {
            throw new IllegalStateException("a record this serializer wrote cannot be read", e);
        }
        return to;
    }

    @Override
    public LearnerInput copy(LearnerInput from, LearnerInput reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(LearnerInput in, DataOutputView out) throws IOException {
        byte kind =
                in.event != null
                        ? in.eventInPayload && EventBody.CURRENT ? EVENT_IN_PAYLOAD : EVENT
                        : in.feedback != null ? FEEDBACK : SPEC;
        out.writeByte(kind);
        StringSerializer.INSTANCE.serialize(in.model, out);
        out.writeLong(in.publishedAt);
        StringSerializer.INSTANCE.serialize(in.topic, out);
        out.writeInt(in.partition);
        out.writeLong(in.offset);
        writeBytes(in.payload, in.payload == null ? 0 : in.payload.length, out);
        switch (kind) {
            case EVENT -> writeBytes(eventBytes(in.event), eventSize(), out);
            case FEEDBACK -> writeBytes(labels().encode(in.feedback), out);
            case SPEC -> writeBytes(in.spec, in.spec == null ? 0 : in.spec.length, out);
            default -> {
                // EVENT_IN_PAYLOAD: the original bytes are the event.
            }
        }
    }

    @Override
    public LearnerInput deserialize(DataInputView source) throws IOException {
        LearnerInput in = new LearnerInput();
        byte kind = source.readByte();
        in.model = StringSerializer.INSTANCE.deserialize(source);
        in.publishedAt = source.readLong();
        in.topic = StringSerializer.INSTANCE.deserialize(source);
        in.partition = source.readInt();
        in.offset = source.readLong();
        in.payload = readBytes(source);
        switch (kind) {
            case EVENT -> {
                int length = source.readInt();
                byte[] body = scratch(length);
                source.readFully(body, 0, length);
                in.event = readEvent(body, length);
            }
            case EVENT_IN_PAYLOAD -> {
                in.event = readPayloadEvent(in.payload);
                in.eventInPayload = true;
            }
            case FEEDBACK -> in.feedback = labels().decode(readBytes(source));
            case SPEC -> in.spec = readBytes(source);
            default -> throw new IOException("no kind of learner input is " + kind);
        }
        return in;
    }

    @Override
    public LearnerInput deserialize(LearnerInput reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    // ---------------------------------------------------------------- events

    /** The event's body (or, when its schema is newer than {@link EventBody}, its message). */
    private byte[] eventBytes(Event e) {
        if (EventBody.CURRENT) {
            return events().write(NO_HEADER, e);
        }
        encoded = eventCodec().encode(e);
        return encoded;
    }

    private int eventSize() {
        return EventBody.CURRENT ? events().size() : encoded.length;
    }

    private Event readEvent(byte[] bytes, int length) throws IOException {
        if (EventBody.CURRENT) {
            return events().read(bytes, 0, length);
        }
        return eventCodec().decode(java.util.Arrays.copyOf(bytes, length));
    }

    /** The event of a single-object message in the current schema, checked when decoded. */
    private Event readPayloadEvent(byte[] message) throws IOException {
        if (message == null || message.length < WireFormat.HEADER_BYTES) {
            throw new IOException("an event in its original bytes has no message");
        }
        return events().read(
                        message, WireFormat.HEADER_BYTES, message.length - WireFormat.HEADER_BYTES);
    }

    private EventBody events() {
        if (events == null) {
            events = new EventBody();
        }
        return events;
    }

    private WireFormat.Codec<Event> eventCodec() {
        if (eventCodec == null) {
            eventCodec = WireFormat.codec(Event.class);
        }
        return eventCodec;
    }

    private WireFormat.Codec<Feedback> labels() {
        if (labels == null) {
            labels = WireFormat.codec(Feedback.class);
        }
        return labels;
    }

    private byte[] scratch(int length) {
        if (buffer == null || buffer.length < length) {
            buffer = new byte[Math.max(length, 256)];
        }
        return buffer;
    }

    // ---------------------------------------------------------------- bytes

    private static void writeBytes(byte[] bytes, DataOutputView out) throws IOException {
        writeBytes(bytes, bytes.length, out);
    }

    private static void writeBytes(byte[] bytes, int length, DataOutputView out)
            throws IOException {
        if (bytes == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(length);
        out.write(bytes, 0, length);
    }

    private static byte[] readBytes(DataInputView in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    // ---------------------------------------------------------------- identity

    @Override
    public boolean equals(Object o) {
        return o instanceof LearnerInputSerializer;
    }

    @Override
    public int hashCode() {
        return LearnerInputSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<LearnerInput> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer has no configuration: any snapshot of it restores it. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<LearnerInput> {
        public Snapshot() {
            super(LearnerInputSerializer::new);
        }
    }

    /** Flink's type of {@link LearnerInput}: this serializer, never the POJO one or Kryo. */
    public static final class Factory extends TypeInfoFactory<LearnerInput> {
        @Override
        public TypeInformation<LearnerInput> createTypeInfo(
                Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new LearnerInputType();
        }
    }

    /** The type information that creates this serializer. */
    static final class LearnerInputType extends OpaqueType<LearnerInput> {
        private static final long serialVersionUID = 1L;

        LearnerInputType() {
            super(LearnerInput.class);
        }

        @Override
        public TypeSerializer<LearnerInput> createSerializer(SerializerConfig config) {
            return new LearnerInputSerializer();
        }

        @Override
        public String toString() {
            return "LearnerInput";
        }
    }
}
