package perpetua.catalog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The co-occurrence table of an {@link InteractionMemory} as a snapshot carries it: the table's
 * bits, then each counter that is not zero as the gap from the previous one and its count, all
 * unsigned LEB128 varints, so that a table most of whose pairs never occurred stays small.
 */
final class PairCounts {
    private PairCounts() {}

    /** The table of 2^{@code bits} counters as bytes. */
    static ByteBuffer write(int bits, int[] counts) {
        int nonZero = 0;
        for (int c : counts) {
            if (c != 0) {
                nonZero++;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(5 + nonZero * 10).order(ByteOrder.LITTLE_ENDIAN);
        putVarint(out, bits);
        int last = -1;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] != 0) {
                putVarint(out, i - last);
                putVarint(out, counts[i]);
                last = i;
            }
        }
        out.flip();
        return out;
    }

    /**
     * Fills {@code counts} from {@code bytes} when they hold a table of {@code bits} bits; leaves
     * it as it is (all zero) when they are empty or hold a table of another size.
     *
     * @throws IllegalArgumentException for bytes that are no such table
     */
    static void read(ByteBuffer bytes, int bits, int[] counts) {
        if (bytes == null || !bytes.hasRemaining()) {
            return;
        }
        ByteBuffer in = bytes.duplicate();
        if (getVarint(in) != bits) {
            return;
        }
        int slot = -1;
        while (in.hasRemaining()) {
            slot += getVarint(in);
            int count = getVarint(in);
            if (slot < 0 || slot >= counts.length || count <= 0) {
                throw new IllegalArgumentException(
                        "co-occurrence counts are damaged at counter " + slot);
            }
            counts[slot] = count;
        }
    }

    private static void putVarint(ByteBuffer out, int value) {
        while ((value & ~0x7F) != 0) {
            out.put((byte) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.put((byte) value);
    }

    private static int getVarint(ByteBuffer in) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (!in.hasRemaining()) {
                throw new IllegalArgumentException("co-occurrence counts end inside a number");
            }
            byte b = in.get();
            value |= (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("co-occurrence counts hold a number over 32 bits");
    }
}
