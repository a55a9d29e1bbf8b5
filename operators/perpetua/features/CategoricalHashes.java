package perpetua.features;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The hashes {@link FeatureEncoder} gives categorical values, crosses and text bigrams, computed as
 * {@link FeatureHasher#hash} would from the joined strings but without building them, and the pairs
 * and crosses seen last cached, since a stream names the same few values again and again (decoded
 * events even share the very strings).
 */
final class CategoricalHashes {
    private static final int CACHE = 1024;
    private final FeatureHasher.Stream hash = new FeatureHasher.Stream();
    private final String[] cachedNames = new String[CACHE];
    private final String[] cachedValues = new String[CACHE];
    private final int[] cachedHashes = new int[CACHE];

    private static final int CROSSES = 2048;
    private final String[][] crossPair = new String[CROSSES][];
    private final String[] crossA = new String[CROSSES];
    private final String[] crossB = new String[CROSSES];
    private final int[] crossHashes = new int[CROSSES];

    // The hash state after each interaction's prefix "A*B\u0001", by its pair array: an encoder
    // has a fixed few.
    private final Map<String[], FeatureHasher.Stream> prefixes = new IdentityHashMap<>();

    /** The hash of a categorical (name, value). */
    int of(String name, String value) {
        int at = (name.hashCode() * 31 + value.hashCode()) & (CACHE - 1);
        String cachedValue = cachedValues[at];
        if (cachedValue != null
                && (cachedValue == value || cachedValue.equals(value))
                && (cachedNames[at] == name || cachedNames[at].equals(name))) {
            return cachedHashes[at];
        }
        int h = hash.reset().add(name).add('\u0001').add(value).hash();
        cachedNames[at] = name;
        cachedValues[at] = value;
        cachedHashes[at] = h;
        return h;
    }

    /**
     * The slot of the name "A*B" and the value "a\u0001b"; the slots of the crosses seen last are
     * cached as hashes, by the interaction's pair array and the two values.
     */
    int crossSlot(String[] pair, String a, String b, int bits) {
        int at = ((pair[0].hashCode() * 31 + a.hashCode()) * 31 + b.hashCode()) & (CROSSES - 1);
        String cachedA = crossA[at];
        if (crossPair[at] != pair
                || !(cachedA == a || cachedA.equals(a))
                || !(crossB[at] == b || crossB[at].equals(b))) {
            crossPair[at] = pair;
            crossA[at] = a;
            crossB[at] = b;
            crossHashes[at] = hash.resetTo(prefix(pair)).add(a).add('\u0001').add(b).hash();
        }
        return FeatureHasher.slotOf(crossHashes[at], bits);
    }

    /** The hash state after "A*B\u0001", the part of a cross's string its values do not change. */
    private FeatureHasher.Stream prefix(String[] pair) {
        return prefixes.computeIfAbsent(
                pair, p -> new FeatureHasher.Stream().add(p[0]).add('*').add(p[1]).add('\u0001'));
    }

    /** The slot of the bigram "previous next" of the text field {@code field}. */
    int bigramSlot(String field, String previous, String next, int bits) {
        return hash.reset().add(field).add('\u0001').add(previous).add(' ').add(next).slot(bits);
    }
}
