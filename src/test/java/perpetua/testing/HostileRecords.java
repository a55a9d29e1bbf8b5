package perpetua.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.wire.WireFormat;

/**
 * Records that a hostile or broken producer could publish: a correct single-object header followed
 * by a body whose length prefixes claim far more than the record holds.
 *
 * <p>Bodies are written field by field in each schema's field order, up to the lying prefix, then a
 * few bytes of filler, as a producer that means harm would write them.
 */
public final class HostileRecords {
    /** The claimed length or count: 1.5e9, the figure of the reported heap exhaustion. */
    public static final long GIGABYTES = 1_500_000_000L;

    private HostileRecords() {}

    /** An Event whose id claims {@code claimed} bytes: 15 bytes in all for 1.5e9. */
    public static byte[] eventIdClaiming(long claimed) {
        return message(Event.class, out -> out.writeLong(claimed), 0);
    }

    /** An Event whose dense array claims {@code claimed} floats in one block. */
    public static byte[] eventDenseClaiming(long claimed) {
        return message(
                Event.class,
                out -> {
                    out.writeString("e-1");
                    out.writeString("clean");
                    out.writeLong(1L);
                    out.writeLong(claimed);
                },
                4);
    }

    /**
     * An Event whose dense array has one block of {@code -claimed} items with a byte size of 4, the
     * form that lets a reader skip a block by its size without looking at its count.
     */
    public static byte[] eventDenseBlockClaiming(long claimed) {
        return message(
                Event.class,
                out -> {
                    out.writeString("e-1");
                    out.writeString("clean");
                    out.writeLong(1L);
                    out.writeLong(-claimed);
                    out.writeLong(4L);
                },
                4);
    }

    /** An Event whose numeric map claims {@code claimed} entries. */
    public static byte[] eventNumericClaiming(long claimed) {
        return message(
                Event.class,
                out -> {
                    out.writeString("e-1");
                    out.writeString("clean");
                    out.writeLong(1L);
                    out.writeLong(0L); // dense: empty
                    out.writeLong(claimed);
                },
                4);
    }

    /** A Feedback whose event id claims {@code claimed} bytes. */
    public static byte[] feedbackIdClaiming(long claimed) {
        return message(Feedback.class, out -> out.writeLong(claimed), 3);
    }

    /** A ModelSpec whose numericFeatures array claims {@code claimed} names. */
    public static byte[] specFeaturesClaiming(long claimed) {
        return message(
                ModelSpec.class,
                out -> {
                    out.writeString("side");
                    out.writeEnum(Task.BINARY.ordinal());
                    out.writeInt(2); // classes
                    out.writeInt(0); // denseSize
                    out.writeFloat(1f); // denseScale
                    out.writeLong(claimed);
                },
                4);
    }

    /** A valid record cut short by {@code missing} bytes. */
    public static <T extends SpecificRecord> byte[] truncated(T record, int missing) {
        byte[] whole = encode(record);
        return Arrays.copyOf(whole, whole.length - missing);
    }

    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> byte[] encode(T record) {
        return WireFormat.codec((Class<T>) record.getClass()).encode(record);
    }

    private interface Body {
        void write(BinaryEncoder out) throws IOException;
    }

    private static byte[] message(Class<? extends SpecificRecord> type, Body body, int filler) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.write(header(type));
            BinaryEncoder out = EncoderFactory.get().binaryEncoder(bytes, null);
            body.write(out);
            out.flush();
            for (int i = 0; i < filler; i++) {
                bytes.write('x');
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code C3 01} and the fingerprint of the type's current schema. */
    private static byte[] header(Class<? extends SpecificRecord> type) {
        SpecificRecord any =
                type == Event.class
                        ? Event.newBuilder().setId("").setModel("").setTime(0L).build()
                        : type == Feedback.class
                                ? Feedback.newBuilder()
                                        .setEventId("")
                                        .setModel("")
                                        .setTime(0L)
                                        .setLabel(0)
                                        .build()
                                : ModelSpec.newBuilder().setModel("").setTask(Task.BINARY).build();
        return Arrays.copyOf(encode(any), WireFormat.HEADER_BYTES);
    }
}
