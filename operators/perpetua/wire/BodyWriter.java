package perpetua.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes Avro binary values into a growing byte array, byte for byte what Avro's own binary encoder
 * writes: zig-zag varints, little-endian floats and doubles, UTF-8 strings, an array or map as one
 * block and its end. Not thread-safe: each codec owns one, and reuses it record after record.
 */
final class BodyWriter {
    private byte[] out = new byte[256];
    private int pos;

    /** Starts a new record at {@code offset}, leaving the bytes before it for a header. */
    void reset(int offset) {
        pos = 0;
        ensure(offset);
        pos = offset;
    }

    /** The bytes written, from 0. */
    byte[] buffer() {
        return out;
    }

    /** The number of bytes written, from 0. */
    int size() {
        return pos;
    }

    void writeLong(long value) {
        ensure(10);
        long n = (value << 1) ^ (value >> 63);
        while ((n & ~0x7fL) != 0) {
            out[pos++] = (byte) ((n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out[pos++] = (byte) n;
    }

    void writeInt(int value) {
        writeLong(value);
    }

    void writeFloat(float value) {
        ensure(4);
        int bits = Float.floatToRawIntBits(value);
        out[pos] = (byte) bits;
        out[pos + 1] = (byte) (bits >>> 8);
        out[pos + 2] = (byte) (bits >>> 16);
        out[pos + 3] = (byte) (bits >>> 24);
        pos += 4;
    }

    void writeDouble(double value) {
        ensure(8);
        long bits = Double.doubleToRawLongBits(value);
        for (int i = 0; i < 8; i++) {
            out[pos + i] = (byte) (bits >>> (8 * i));
        }
        pos += 8;
    }

    /** A string as UTF-8, as {@link String#getBytes} encodes it (an unpaired surrogate is '?'). */
    void writeString(String s) {
        int n = s.length();
        ensure(10 + n);
        int start = pos;
        writeLong(n);
        int body = pos;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                // Not ASCII: its UTF-8 length differs from its length in chars.
                pos = start;
                byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                writeLong(bytes.length);
                ensure(bytes.length);
                System.arraycopy(bytes, 0, out, pos, bytes.length);
                pos += bytes.length;
                return;
            }
            out[body + i] = (byte) c;
        }
        pos = body + n;
    }

    private void ensure(int more) {
        if (pos + more > out.length) {
            out = Arrays.copyOf(out, Math.max(out.length * 2, pos + more));
        }
    }
}
