package perpetua.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;

/**
 * Avro single-object encoding for every Perpetua topic, resolved against the schemas the project
 * ships.
 *
 * <p>A message is {@code C3 01}, the 8-byte CRC-64-AVRO fingerprint of its writer schema
 * (little-endian), then the Avro binary body. The store of writer schemas is the current schemas
 * plus every past version listed in {@code schemas/past/INDEX}, so a reader resolves any message
 * written by any released version without a registry service.
 */
public final class WireFormat {

    /** The record types that travel on Perpetua topics, in a fixed order. */
    public static final List<Class<? extends SpecificRecord>> TYPES =
            List.of(
                    Event.class,
                    Feedback.class,
                    Prediction.class,
                    Metrics.class,
                    ModelSnapshot.class,
                    ModelSpec.class,
                    DeadLetter.class,
                    Recommendation.class);

    /** {@code C3 01} and the 8-byte fingerprint: the bytes before the Avro body. */
    public static final int HEADER_BYTES = 10;

    private static final SchemaStore.Cache STORE = buildStore();

    private WireFormat() {}

    /** A thread-confined codec for one record type (Avro encoders and decoders are not shared). */
    public static <T extends SpecificRecord> Codec<T> codec(Class<T> type) {
        return new Codec<>(type);
    }

    /**
     * A codec that also reads records written with {@code newerWriters}: schemas of this type that
     * a newer build added fields to, which this build does not ship. Their new fields are dropped,
     * as Avro's schema resolution drops any field the reader does not know.
     */
    public static <T extends SpecificRecord> Codec<T> codec(
            Class<T> type, java.util.Collection<Schema> newerWriters) {
        Codec<T> c = new Codec<>(type);
        for (Schema w : newerWriters) {
            if (w.getFullName().equals(c.schema.getFullName())) {
                c.newer.put(SchemaNormalization.parsingFingerprint64(w), w);
                c.decoder.addSchema(w);
            }
        }
        return c;
    }

    /** The 64-bit fingerprint in a single-object message, or empty when the header is not one. */
    public static OptionalLong fingerprint(byte[] message) {
        if (message == null
                || message.length < HEADER_BYTES
                || message[0] != (byte) 0xC3
                || message[1] != (byte) 0x01) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(
                ByteBuffer.wrap(message, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
    }

    /**
     * The fingerprint of a single-object message as 16 hex digits in the order its bytes travel
     * (bytes {@code 01 23 ... ef} read {@code 0123...ef}), as a hex dump of the record shows them;
     * null when the header is not one.
     */
    public static String fingerprintHex(byte[] message) {
        return fingerprint(message).isEmpty()
                ? null
                : HexFormat.of().formatHex(message, 2, HEADER_BYTES);
    }

    /** The record type whose writer schema (current or past) has this fingerprint, if any. */
    public static Class<? extends SpecificRecord> typeOf(long fingerprint) {
        Schema schema = STORE.findByFingerprint(fingerprint);
        if (schema == null) {
            return null;
        }
        for (Class<? extends SpecificRecord> type : TYPES) {
            if (schemaOf(type).getFullName().equals(schema.getFullName())) {
                return type;
            }
        }
        return null;
    }

    /** Decodes a message of any Perpetua type, chosen by its fingerprint. */
    public static SpecificRecord decodeAny(byte[] message) throws IOException {
        OptionalLong fp = fingerprint(message);
        if (fp.isEmpty()) {
            throw new IOException("not an Avro single-object message (bad header)");
        }
        Class<? extends SpecificRecord> type = typeOf(fp.getAsLong());
        if (type == null) {
            throw new IOException("unknown schema fingerprint " + fingerprintHex(message));
        }
        return codec(type).decode(message);
    }

    public static Schema schemaOf(Class<? extends SpecificRecord> type) {
        return SpecificData.get().getSchema(type);
    }

    /**
     * The writer schema of {@code type} as one JSON document that defines every type it uses
     * inline, so that any Avro library parses it alone: what {@code schemas/standalone} holds.
     */
    public static String standaloneSchema(Class<? extends SpecificRecord> type) {
        return schemaOf(type).toString(true) + "\n";
    }

    /** Past writer schemas shipped in schemas/past, by file name. */
    static Map<String, Schema> pastSchemas() {
        Map<String, Schema> out = new LinkedHashMap<>();
        try (InputStream index = resource("schemas/past/INDEX")) {
            if (index == null) {
                return out;
            }
            for (String line :
                    new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String name = line.trim();
                if (name.isEmpty() || name.startsWith("#")) {
                    continue;
                }
                try (InputStream in = resource("schemas/past/" + name)) {
                    if (in == null) {
                        throw new IllegalStateException("schemas/past/INDEX names missing " + name);
                    }
                    out.put(name, new Schema.Parser().parse(in));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static InputStream resource(String path) {
        return WireFormat.class.getClassLoader().getResourceAsStream(path);
    }

    private static SchemaStore.Cache buildStore() {
        SchemaStore.Cache store = new SchemaStore.Cache();
        List<Schema> all = new ArrayList<>();
        for (Class<? extends SpecificRecord> type : TYPES) {
            all.add(schemaOf(type));
        }
        all.addAll(pastSchemas().values());
        for (Schema s : all) {
            store.addSchema(s);
        }
        return store;
    }

    /**
     * Encoder and decoder for one type. Not thread-safe: each operator instance or thread owns one.
     */
    public static final class Codec<T extends SpecificRecord> {
        private final Schema schema;
        private final BinaryMessageEncoder<T> encoder;
        private final BinaryMessageDecoder<T> decoder;
        private final BodyCheck body = new BodyCheck();
        private final Map<Long, Schema> newer = new java.util.HashMap<>();

        /** {@code C3 01} and the current schema's fingerprint, little-endian. */
        private final byte[] header;

        private final long current;

        /** Events of the current schema, read and written without boxing; null for other types. */
        private final EventBody events;

        /** Predictions of the current schema, read and written without boxing; else null. */
        private final PredictionBody predictions;

        private Codec(Class<T> type) {
            this.schema = schemaOf(type);
            this.current = SchemaNormalization.parsingFingerprint64(schema);
            this.header =
                    ByteBuffer.allocate(HEADER_BYTES)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .put((byte) 0xC3)
                            .put((byte) 0x01)
                            .putLong(current)
                            .array();
            this.events = type == Event.class && EventBody.CURRENT ? new EventBody() : null;
            this.predictions =
                    type == Prediction.class && PredictionBody.CURRENT
                            ? new PredictionBody()
                            : null;
            SpecificData model = SpecificData.getForClass(type);
            this.encoder = new BinaryMessageEncoder<>(model, schema);
            // Only this type's own schemas resolve: another type's record is refused, not misread.
            this.decoder = new BinaryMessageDecoder<>(model, schema);
            for (Schema past : pastSchemas().values()) {
                if (past.getFullName().equals(schema.getFullName())) {
                    decoder.addSchema(past);
                }
            }
        }

        public byte[] encode(T record) {
            if (events != null) {
                byte[] bytes = events.write(header, (Event) record);
                return Arrays.copyOf(bytes, events.size());
            }
            if (predictions != null) {
                byte[] bytes = predictions.write(header, (Prediction) record);
                return Arrays.copyOf(bytes, predictions.size());
            }
            try {
                ByteBuffer buffer = encoder.encode(record);
                byte[] out = new byte[buffer.remaining()];
                buffer.get(out);
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /**
         * Whether {@code message} has the current schema's header and is read without Avro's
         * generic decoder: the events of {@link EventBody}'s schema, as {@link #decode} reads them.
         */
        public boolean readsCurrent(byte[] message) {
            if (events == null) {
                return false;
            }
            OptionalLong fingerprint = fingerprint(message);
            return fingerprint.isPresent() && fingerprint.getAsLong() == current;
        }

        /**
         * Decodes one message; its body is first walked against its writer schema, so that no
         * length prefix the bytes cannot hold makes the decoder allocate.
         *
         * @throws BadHeaderException when the bytes are not single-object
         * @throws MissingSchemaException for a fingerprint of no schema of this type
         * @throws MalformedBodyException for a body that does not match its writer schema
         * @throws IOException or {@link org.apache.avro.AvroRuntimeException} for a bad body
         */
        public T decode(byte[] message) throws IOException {
            OptionalLong fingerprint = fingerprint(message);
            if (fingerprint.isEmpty()) {
                throw new BadHeaderException(
                        "Not a single-object " + schema.getName() + " message");
            }
            Schema writer = newer.get(fingerprint.getAsLong());
            if (writer == null) {
                writer = STORE.findByFingerprint(fingerprint.getAsLong());
            }
            if (writer == null || !writer.getFullName().equals(schema.getFullName())) {
                throw new MissingSchemaException(
                        "No "
                                + schema.getName()
                                + " schema has fingerprint "
                                + fingerprintHex(message));
            }
            body.check(writer, message, HEADER_BYTES, message.length - HEADER_BYTES);
            if (events != null && fingerprint.getAsLong() == current) {
                @SuppressWarnings("unchecked")
                T event = (T) events.read(message, HEADER_BYTES, message.length - HEADER_BYTES);
                return event;
            }
            if (predictions != null && fingerprint.getAsLong() == current) {
                @SuppressWarnings("unchecked")
                T p = (T) predictions.read(message, HEADER_BYTES, message.length - HEADER_BYTES);
                return p;
            }
            return decoder.decode(message);
        }
    }
}
