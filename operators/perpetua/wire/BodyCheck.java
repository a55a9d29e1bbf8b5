package perpetua.wire;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Walks an Avro binary body against its writer schema without building anything, so that a length
 * or a count that the bytes cannot hold is refused before a decoder allocates for it.
 *
 * <p>Avro's decoder trusts length prefixes: a string or bytes field that claims 1.5e9 bytes gets a
 * 1.5 GB array before the first byte is read, and an array or map block that claims 1.5e9 items
 * gets a list pre-sized to that count. This walk reads every length and count and compares it with
 * the bytes that are left: a string or bytes value may not claim more bytes than follow, a block
 * may not claim more items than the bytes left could encode (each item of an array of floats takes
 * 4 bytes, a map entry at least its key's length byte, any item at least one byte). Skipped values
 * allocate nothing, so the walk costs one pass over the bytes and no garbage. A body that passes
 * decodes with allocations bounded by a small multiple of its size. Fields may nest at most {@link
 * #MAX_DEPTH} levels, which bounds the walk's recursion and the decoder's after it.
 *
 * <p>Not thread-safe: each {@link WireFormat.Codec} owns one.
 */
final class BodyCheck {
    /**
     * The deepest nesting of fields a body may have. Perpetua's records nest a few levels (a
     * snapshot's spec's challengers' layers); a spec that nests challengers a million deep would
     * exhaust the thread's stack in any recursive reader.
     */
    static final int MAX_DEPTH = 64;

    private final Map<Schema, Long> minimumBytes = new IdentityHashMap<>();
    private BinaryDecoder in;
    private String[] names = new String[16];
    private long[] items = new long[16];
    private int depth;

    /**
     * Checks {@code length} bytes of {@code message} from {@code offset} as one datum of {@code
     * writer}.
     *
     * @throws MalformedBodyException naming the field and what is wrong with it
     */
    void check(Schema writer, byte[] message, int offset, int length)
            throws MalformedBodyException {
        in = DecoderFactory.get().binaryDecoder(message, offset, length, in);
        depth = 0;
        try {
            walk(writer);
            int left = left();
            if (left > 0) {
                throw new MalformedBodyException(
                        left
                                + " bytes follow the end of the "
                                + writer.getName()
                                + " body of "
                                + length
                                + " bytes");
            }
        } catch (EOFException e) {
            throw new MalformedBodyException(
                    "truncated: the "
                            + writer.getName()
                            + " body ends after "
                            + length
                            + " bytes, inside "
                            + where());
        } catch (MalformedBodyException e) {
            throw e;
        } catch (IOException | AvroRuntimeException e) {
            throw new MalformedBodyException(
                    "unreadable " + where() + ": " + e.getClass().getSimpleName() + message(e));
        }
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? "" : ": " + e.getMessage();
    }

    private void walk(Schema s) throws IOException {
        switch (s.getType()) {
            case NULL -> {}
            case BOOLEAN -> in.readBoolean();
            case INT -> in.readInt();
            case LONG -> in.readLong();
            case FLOAT -> in.readFloat();
            case DOUBLE -> in.readDouble();
            case ENUM -> {
                int symbol = in.readEnum();
                if (symbol < 0 || symbol >= s.getEnumSymbols().size()) {
                    throw refused(
                            "enum symbol "
                                    + symbol
                                    + " where "
                                    + s.getName()
                                    + " has "
                                    + s.getEnumSymbols().size()
                                    + " symbols");
                }
            }
            case STRING, BYTES -> skipLengthPrefixed(s.getType() == Schema.Type.STRING);
            case FIXED -> in.skipFixed(s.getFixedSize());
            case UNION -> {
                int branch = in.readIndex();
                if (branch < 0 || branch >= s.getTypes().size()) {
                    throw refused(
                            "union branch "
                                    + branch
                                    + " where the union has "
                                    + s.getTypes().size()
                                    + " branches");
                }
                walk(s.getTypes().get(branch));
            }
            case RECORD -> {
                for (Schema.Field f : s.getFields()) {
                    push(f.name());
                    walk(f.schema());
                    depth--;
                }
            }
            case ARRAY -> walkItems(s.getElementType(), false);
            case MAP -> walkItems(s.getValueType(), true);
        }
    }

    private void skipLengthPrefixed(boolean string) throws IOException {
        long length = in.readLong();
        if (length < 0) {
            throw refused((string ? "a string" : "bytes") + " of negative length " + length);
        }
        int left = left();
        if (length > left) {
            throw new MalformedBodyException(
                    where()
                            + " claims "
                            + (string ? "a string" : "bytes")
                            + " of "
                            + length
                            + " bytes where "
                            + left
                            + " follow; truncated or corrupt");
        }
        in.skipFixed((int) length);
    }

    private void walkItems(Schema item, boolean map) throws IOException {
        long smallest = Math.max(1, minimumBytes(item) + (map ? 1 : 0));
        int at = depth - 1;
        long done = 0;
        for (long count = map ? in.readMapStart() : in.readArrayStart();
                count != 0;
                count = map ? in.mapNext() : in.arrayNext()) {
            int left = left();
            if (count < 0 || count > left / smallest) {
                throw new MalformedBodyException(
                        where()
                                + " claims "
                                + (map ? "a map block" : "an array block")
                                + " of "
                                + count
                                + " items where "
                                + left
                                + " bytes follow (at least "
                                + smallest
                                + " per item); truncated or corrupt");
            }
            for (long i = 0; i < count; i++) {
                if (at >= 0) {
                    items[at] = done++;
                }
                if (map) {
                    skipLengthPrefixed(true);
                }
                walk(item);
            }
        }
        if (at >= 0) {
            items[at] = -1;
        }
    }

    /** The fewest bytes a value of {@code s} takes; a recursive reference counts as none. */
    private long minimumBytes(Schema s) {
        Long known = minimumBytes.get(s);
        if (known != null) {
            return known;
        }
        minimumBytes.put(s, 0L);
        long bytes =
                switch (s.getType()) {
                    case NULL -> 0;
                    case FLOAT -> 4;
                    case DOUBLE -> 8;
                    case FIXED -> s.getFixedSize();
                    case RECORD -> {
                        long sum = 0;
                        for (Schema.Field f : s.getFields()) {
                            sum += minimumBytes(f.schema());
                        }
                        yield sum;
                    }
                    case UNION -> {
                        long least = Long.MAX_VALUE;
                        for (Schema branch : s.getTypes()) {
                            least = Math.min(least, minimumBytes(branch));
                        }
                        yield 1 + least;
                    }
                    default -> 1;
                };
        minimumBytes.put(s, bytes);
        return bytes;
    }

    private int left() throws IOException {
        return in.inputStream().available();
    }

    private void push(String name) throws MalformedBodyException {
        if (depth == MAX_DEPTH) {
            throw refused("fields nested deeper than " + MAX_DEPTH + " levels");
        }
        if (depth == names.length) {
            names = Arrays.copyOf(names, depth * 2);
            items = Arrays.copyOf(items, depth * 2);
        }
        names[depth] = name;
        items[depth] = -1;
        depth++;
    }

    private MalformedBodyException refused(String what) {
        return new MalformedBodyException(what + " in " + where());
    }

    /**
     * The field being read, as a path such as {@code 'dense[3]'} or {@code 'challengers[0].model'}.
     */
    private String where() {
        if (depth == 0) {
            return "the record";
        }
        StringBuilder path = new StringBuilder("field '");
        for (int i = 0; i < depth; i++) {
            if (i > 0) {
                path.append('.');
            }
            path.append(names[i]);
            if (items[i] >= 0) {
                path.append('[').append(items[i]).append(']');
            }
        }
        return path.append('\'').toString();
    }
}
