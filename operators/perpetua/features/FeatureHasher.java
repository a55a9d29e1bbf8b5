package perpetua.features;

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
        return new Stream().add(name).add('\u0001').add(value).hash();
    }

    /** Returns the slot of {@code hash} in a table of 2^bits rows: its low {@code bits} bits. */
    public static int slotOf(int hash, int bits) {
        if (bits < 0 || bits > MAX_BITS) {
            throw new IllegalArgumentException("bits must lie in [0, " + MAX_BITS + "]: " + bits);
        }
        return hash & ((1 << bits) - 1);
    }

    /**
     * MurmurHash3 x86_32 with {@link #SEED} over the UTF-8 bytes of strings and characters added
     * one after the other, as if they were one string: the slot of a name and a value, or of an
     * interaction's names and values, without building the string or its bytes. Characters are
     * encoded as {@link String#getBytes} encodes them (an unpaired surrogate is '?'); each added
     * string stands alone, so a surrogate pair split between two is two unpaired surrogates, as it
     * is wherever Perpetua joins names and values (always with a separator between them).
     */
    public static final class Stream {
        private int h1 = SEED;
        private int pending;
        private int pendingBytes;
        private int length;

        /** Starts over, for the next slot. */
        public Stream reset() {
            h1 = SEED;
            pending = 0;
            pendingBytes = 0;
            length = 0;
            return this;
        }

        /**
         * Starts over from the state of {@code prefix}: as if what was added to it had been added
         * here, for a prefix that many slots share, hashed once.
         */
        public Stream resetTo(Stream prefix) {
            h1 = prefix.h1;
            pending = prefix.pending;
            pendingBytes = prefix.pendingBytes;
            length = prefix.length;
            return this;
        }

        /** Adds the UTF-8 bytes of {@code s}. */
        public Stream add(String s) {
            int n = s.length();
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    addByte(c);
                } else if (c < 0x800) {
                    addByte(0xc0 | (c >> 6));
                    addByte(0x80 | (c & 0x3f));
                } else if (Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c)
                            && i + 1 < n
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        int cp = Character.toCodePoint(c, s.charAt(++i));
                        addByte(0xf0 | (cp >> 18));
                        addByte(0x80 | ((cp >> 12) & 0x3f));
                        addByte(0x80 | ((cp >> 6) & 0x3f));
                        addByte(0x80 | (cp & 0x3f));
                    } else {
                        addByte('?');
                    }
                } else {
                    addByte(0xe0 | (c >> 12));
                    addByte(0x80 | ((c >> 6) & 0x3f));
                    addByte(0x80 | (c & 0x3f));
                }
            }
            return this;
        }

        /** Adds one ASCII character, such as a separator. */
        public Stream add(char ascii) {
            if (ascii >= 0x80) {
                return add(String.valueOf(ascii));
            }
            addByte(ascii);
            return this;
        }

        private void addByte(int b) {
            pending |= (b & 0xff) << (8 * pendingBytes);
            length++;
            if (++pendingBytes == 4) {
                h1 ^= mixK1(pending);
                h1 = Integer.rotateLeft(h1, 13);
                h1 = h1 * 5 + 0xe6546b64;
                pending = 0;
                pendingBytes = 0;
            }
        }

        /** The slot of everything added, in [0, 2^bits). */
        public int slot(int bits) {
            return slotOf(hash(), bits);
        }

        /** The full 32-bit hash of everything added, as {@link FeatureHasher#hash} gives it. */
        public int hash() {
            int h = h1;
            if (pendingBytes > 0) {
                h ^= mixK1(pending);
            }
            h ^= length;
            return fmix32(h);
        }
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
