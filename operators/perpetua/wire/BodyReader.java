package perpetua.wire;

import java.io.EOFException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads Avro binary values straight from a byte array: zig-zag varints, little-endian floats and
 * doubles, UTF-8 strings, block counts.
 *
 * <p>For the bodies that {@link BodyCheck} walked already, so that a length or count read here is
 * one the bytes hold; it still never reads past its end ({@link EOFException}). Strings that recur
 * from record to record (model names, feature names and values) come from a small cache keyed by
 * their bytes, so that a stream of events allocates no new copy of them and their hash codes are
 * computed once. Not thread-safe: each codec owns one.
 */
final class BodyReader {
    /**
     * Strings up to this many bytes may come from the cache; ids and texts are longer or unique.
     */
    static final int CACHED_BYTES = 48;

    private static final int CACHE_SLOTS = 1024;

    private final byte[][] cachedBytes = new byte[CACHE_SLOTS][];
    private final String[] cachedStrings = new String[CACHE_SLOTS];

    /**
     * Strings up to this many bytes, most names and values, are cached by their bytes packed into
     * two longs with the length: found by a hash and two comparisons of longs.
     */
    static final int PACKED_BYTES = 15;

    private static final int PACKED_BITS = 12;
    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    // Slot s: its packed bytes at packedKeys[2s] and [2s + 1] (all zero: empty), its string.
    private final long[] packedKeys = new long[2 << PACKED_BITS];
    private final String[] packedStrings = new String[1 << PACKED_BITS];
    private byte[] in;
    private int pos;
    private int end;

    /** Reads {@code length} bytes of {@code message} from {@code offset}. */
    void reset(byte[] message, int offset, int length) {
        in = message;
        pos = offset;
        end = offset + length;
    }

    /** Bytes not read yet. */
    int left() {
        return end - pos;
    }

    long readLong() throws EOFException {
        long raw = 0;
        int shift = 0;
        while (true) {
            if (pos >= end) {
                throw new EOFException();
            }
            int b = in[pos++];
            raw |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                break;
            }
            shift += 7;
            if (shift > 63) {
                throw new EOFException("invalid long encoding");
            }
        }
        return (raw >>> 1) ^ -(raw & 1);
    }

    int readInt() throws EOFException {
        long value = readLong();
        if (value != (int) value) {
            throw new EOFException("invalid int encoding");
        }
        return (int) value;
    }

    float readFloat() throws EOFException {
        if (end - pos < 4) {
            throw new EOFException();
        }
        int bits =
                (in[pos] & 0xff)
                        | (in[pos + 1] & 0xff) << 8
                        | (in[pos + 2] & 0xff) << 16
                        | (in[pos + 3] & 0xff) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    double readDouble() throws EOFException {
        if (end - pos < 8) {
            throw new EOFException();
        }
        long low =
                (in[pos] & 0xffL)
                        | (in[pos + 1] & 0xffL) << 8
                        | (in[pos + 2] & 0xffL) << 16
                        | (in[pos + 3] & 0xffL) << 24;
        long high =
                (in[pos + 4] & 0xffL)
                        | (in[pos + 5] & 0xffL) << 8
                        | (in[pos + 6] & 0xffL) << 16
                        | (in[pos + 7] & 0xffL) << 24;
        pos += 8;
        return Double.longBitsToDouble(low | high << 32);
    }

    /**
     * The item count of the next array or map block; a negative count (a block that also gives its
     * size in bytes) is read as its absolute value, the size skipped.
     */
    long readBlockCount() throws EOFException {
        long count = readLong();
        if (count < 0) {
            readLong();
            count = -count;
        }
        return count;
    }

    /** A string, new each time: for ids and texts. */
    String readString() throws EOFException {
        int length = stringLength();
        String s = new String(in, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return s;
    }

    /** A string that recurs from record to record, from the cache when its bytes are there. */
    String readRecurringString() throws EOFException {
        return readRecurring(false);
    }

    /**
     * A model or feature name: recurring, and interned, so that it is the very string a spec names
     * (FeatureEncoder interns those) and a name is matched by identity rather than by characters.
     * Only a string new to the cache is interned: once per name while the cache keeps it. A name
     * too long for the cache is not, and is matched by its characters.
     */
    String readName() throws EOFException {
        return readRecurring(true);
    }

    private String readRecurring(boolean intern) throws EOFException {
        int length = stringLength();
        if (length <= PACKED_BYTES) {
            return readPacked(length, intern);
        }
        if (length > CACHED_BYTES) {
            String s = new String(in, pos, length, StandardCharsets.UTF_8);
            pos += length;
            return s;
        }
        int h = length;
        for (int i = pos; i < pos + length; i++) {
            h = 31 * h + in[i];
        }
        int slot = (h ^ (h >>> 12)) & (CACHE_SLOTS - 1);
        byte[] known = cachedBytes[slot];
        String s;
        if (known != null && Arrays.equals(known, 0, known.length, in, pos, pos + length)) {
            s = cachedStrings[slot];
        } else {
            s = new String(in, pos, length, StandardCharsets.UTF_8);
            if (intern) {
                s = s.intern();
            }
            cachedBytes[slot] = Arrays.copyOfRange(in, pos, pos + length);
            cachedStrings[slot] = s;
        }
        pos += length;
        return s;
    }

    /**
     * A recurring string of at most {@link #PACKED_BYTES} bytes: its bytes, little-endian, in
     * {@code k0} (the first eight) and {@code k1} (the rest, under the length in its top byte).
     */
    private String readPacked(int length, boolean intern) {
        if (length == 0) {
            return "";
        }
        long k0;
        long k1;
        if (pos + 2 * Long.BYTES <= in.length) {
            k0 = (long) LONGS.get(in, pos);
            k1 = (long) LONGS.get(in, pos + Long.BYTES);
        } else {
            k0 = 0;
            k1 = 0;
            for (int i = 0; i < length; i++) {
                long b = in[pos + i] & 0xffL;
                if (i < Long.BYTES) {
                    k0 |= b << (8 * i);
                } else {
                    k1 |= b << (8 * (i - Long.BYTES));
                }
            }
        }
        if (length < Long.BYTES) {
            k0 &= (1L << (8 * length)) - 1;
            k1 = 0;
        } else {
            k1 &= (1L << (8 * (length - Long.BYTES))) - 1;
        }
        k1 |= (long) length << 56;
        long h = (k0 * 0x9E3779B97F4A7C15L) ^ (k1 * 0xC2B2AE3D27D4EB4FL);
        int slot = (int) (h >>> (Long.SIZE - PACKED_BITS));
        String s;
        if (packedKeys[2 * slot] == k0 && packedKeys[2 * slot + 1] == k1) {
            s = packedStrings[slot];
        } else {
            s = new String(in, pos, length, StandardCharsets.UTF_8);
            if (intern) {
                s = s.intern();
            }
            packedKeys[2 * slot] = k0;
            packedKeys[2 * slot + 1] = k1;
            packedStrings[slot] = s;
        }
        pos += length;
        return s;
    }

    private int stringLength() throws EOFException {
        long length = readLong();
        if (length < 0 || length > end - pos) {
            throw new EOFException(
                    "a string of " + length + " bytes where " + (end - pos) + " follow");
        }
        return (int) length;
    }
}
