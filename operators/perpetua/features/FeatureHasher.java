package perpetua.features;

import java.nio.charset.StandardCharsets;

/**
 * Maps a categorical feature (name, value) to one of 2^bits weight slots.
 *
 * <p>The hash is MurmurHash3 x86_32 over the UTF-8 bytes of {@code name + '\u0001' + value} with a
 * fixed seed. The hash is part of the model's meaning: a snapshot's hashed weights are only valid
 * for the same function, so it must never depend on the JVM, the run or {@link String#hashCode}.
 */
public final class FeatureHasher {

    /** Seed of the slot hash; changing it invalidates every stored model with hashed weights. */
    public static final int SEED = 0x5eed_1e55;

    /** Largest supported hash width; 2^30 slots already exceed any sane model. */
    public static final int MAX_BITS = 30;

    private static final int C1 = 0xcc9e2d51;
    private static final int C2 = 0x1b873593;

    private FeatureHasher() {}

    /**
     * Returns the slot of a categorical feature, in {@code [0, 2^bits)}.
     *
     * <p>The separator U+0001 keeps ("ab", "c") and ("a", "bc") apart.
     */
    public static int slot(String name, String value, int bits) {
        return slotOf(hash(name, value), bits);
    }

    /**
     * Returns the full 32-bit hash of a categorical feature, of which {@link #slot} keeps the low
     * bits: one hash serves tables of several sizes.
     */
    public static int hash(String name, String value) {
        byte[] bytes = (name + '\u0001' + value).getBytes(StandardCharsets.UTF_8);
        return murmur3x86_32(bytes, 0, bytes.length, SEED);
    }

    /** Returns the slot of {@code hash} in a table of 2^bits rows: its low {@code bits} bits. */
    public static int slotOf(int hash, int bits) {
        if (bits < 0 || bits > MAX_BITS) {
            throw new IllegalArgumentException("bits must lie in [0, " + MAX_BITS + "]: " + bits);
        }
        return hash & ((1 << bits) - 1);
    }

    /** Returns MurmurHash3 x86_32 of {@code data[offset, offset + length)} with the given seed. */
    public static int murmur3x86_32(byte[] data, int offset, int length, int seed) {
        int h1 = seed;
        int blockEnd = offset + (length & ~3);
        // Body: little-endian 4-byte blocks, each mixed into the state.
        for (int i = offset; i < blockEnd; i += 4) {
            int k1 =
                    (data[i] & 0xff)
                            | (data[i + 1] & 0xff) << 8
                            | (data[i + 2] & 0xff) << 16
                            | (data[i + 3] & 0xff) << 24;
            h1 ^= mixK1(k1);
            h1 = Integer.rotateLeft(h1, 13);
            h1 = h1 * 5 + 0xe6546b64;
        }
        // Tail: the last 1 to 3 bytes, little-endian, mixed without the state rotation.
        int k1 = 0;
        switch (length & 3) {
            case 3:
                k1 ^= (data[blockEnd + 2] & 0xff) << 16;
                // fall through
            case 2:
                k1 ^= (data[blockEnd + 1] & 0xff) << 8;
                // fall through
            case 1:
                k1 ^= data[blockEnd] & 0xff;
                h1 ^= mixK1(k1);
                break;
            default:
                break;
        }
        h1 ^= length;
        return fmix32(h1);
    }

    // k1 = rotl(k1 * c1, 15) * c2
    private static int mixK1(int k1) {
        return Integer.rotateLeft(k1 * C1, 15) * C2;
    }

    // Final avalanche so that every input bit affects every output bit.
    private static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
