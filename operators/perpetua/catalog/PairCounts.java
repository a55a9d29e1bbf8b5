package perpetua.catalog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;

/**
 * How often two items came together in an {@link InteractionMemory}'s stream: each interaction adds
 * one to the pair of its item and each of its user's last {@code window} items, in a table of
 * 2^{@code bits} counters indexed by a hash of the pair (pairs that share a counter add up; counts
 * are never forgotten with an item). A snapshot carries the table as the table's bits, then each
 * counter that is not zero as the gap from the previous one and its count, all unsigned LEB128
 * varints, so that a table most of whose pairs never occurred stays small.
 */
final class PairCounts {
    private final int bits;
    private final int window;
    private final int[] counts;

    PairCounts(int bits, int window) {
        if (bits < 1 || bits > InteractionMemory.MAX_COOCCURRENCE_BITS || window < 1) {
            throw new IllegalArgumentException(
                    "cooccurrenceBits must be in 0.."
                            + InteractionMemory.MAX_COOCCURRENCE_BITS
                            + " and counted pairs need a window >= 1: "
                            + bits
                            + ", "
                            + window);
        }
        this.bits = bits;
        this.window = window;
        this.counts = new int[1 << bits];
    }

    /**
     * Adds one to the pair of {@code item} and each of the last {@code window} of {@code recent}
     * (oldest first) but itself.
     */
    void interacted(Collection<String> recent, String item) {
        long h = itemHash(item);
        int skip = recent.size() - window;
        for (String r : recent) {
            if (skip-- > 0 || r.equals(item)) {
                continue;
            }
            int slot = slot(h, itemHash(r));
            if (counts[slot] < Integer.MAX_VALUE) {
                counts[slot]++;
            }
        }
    }

    /** The hashes of the last {@code window} of {@code recent} (oldest first), in their order. */
    long[] lastHashes(Collection<String> recent) {
        int n = Math.min(window, recent.size());
        long[] out = new long[n];
        int skip = recent.size() - n;
        int i = 0;
        for (String item : recent) {
            if (skip-- > 0) {
                continue;
            }
            out[i++] = itemHash(item);
        }
        return out;
    }

    /** The counts of {@code item} with the items of {@code recent}, summed, as a bit length. */
    int bucket(String item, long[] recent) {
        long h = itemHash(item);
        long sum = 0;
        for (long r : recent) {
            if (r != h) {
                sum += counts[slot(h, r)];
            }
        }
        return 64 - Long.numberOfLeadingZeros(sum);
    }

    /** The count of the pair of {@code a} and {@code b} (their counter's). */
    int count(String a, String b) {
        return counts[slot(itemHash(a), itemHash(b))];
    }

    private static long itemHash(String item) {
        return mix(item.hashCode() * 0x9E3779B97F4A7C15L + item.length());
    }

    // A sum is the same for (a, b) and (b, a): a pair has one counter whichever came first.
    private int slot(long a, long b) {
        return (int) (mix(a + b) >>> (64 - bits));
    }

    /** SplitMix64's finalizer: a 64-bit hash of {@code z}. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The table as bytes. */
    ByteBuffer write() {
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
     * Fills the table from {@code bytes} when they hold a table of the same bits; leaves it as it
     * is (all zero) when they are empty or hold a table of another size.
     *
     * @throws IllegalArgumentException for bytes that are no such table
     */
    void read(ByteBuffer bytes) {
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
