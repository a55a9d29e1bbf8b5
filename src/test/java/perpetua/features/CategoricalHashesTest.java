package perpetua.features;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CategoricalHashesTest {

    @Test
    void aCachedCrossHasTheSlotOfItsJoinedNameAndValue() {
        CategoricalHashes hashes = new CategoricalHashes();
        String[] originDestination = {"origin", "destination"};
        String[] originHour = {"origin", "hour"};
        // Many more crosses than the cache holds, each asked for three times, in an order that
        // evicts and refills entries, with equal strings that are not the same instances.
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 5000; i++) {
                String a = new String("A" + (i % 300));
                String b = new String("B" + (i * 7 % 211));
                for (String[] pair : new String[][] {originDestination, originHour}) {
                    for (int bits : new int[] {12, 20}) {
                        assertThat(hashes.crossSlot(pair, a, b, bits))
                                .as("%s*%s = %s,%s at %d bits", pair[0], pair[1], a, b, bits)
                                .isEqualTo(
                                        FeatureHasher.slot(
                                                pair[0] + '*' + pair[1], a + '\u0001' + b, bits));
                    }
                }
            }
        }
    }

    @Test
    void everyInteractionFromItsKeptPrefixHashesAsTheJoinedString() {
        // The hash state after "A*B\u0001" is kept for each pair: twelve pairs in turn, of names of
        // every length modulo four and beyond ASCII, each hashed on from its own prefix.
        CategoricalHashes hashes = new CategoricalHashes();
        String[][] pairs = new String[12][];
        for (int p = 0; p < pairs.length; p++) {
            pairs[p] = new String[] {"n".repeat(p + 1), p % 3 == 0 ? "dé" + p : "x".repeat(p)};
        }
        for (int i = 0; i < 3000; i++) {
            String[] pair = pairs[i % pairs.length];
            String a = "v" + (i % 17);
            String b = "ü" + (i % 5);
            assertThat(hashes.crossSlot(pair, a, b, 20))
                    .isEqualTo(FeatureHasher.slot(pair[0] + '*' + pair[1], a + '\u0001' + b, 20));
        }
    }

    @Test
    void anotherPairOfTheSameValuesHasItsOwnSlot() {
        CategoricalHashes hashes = new CategoricalHashes();
        int first = hashes.crossSlot(new String[] {"a", "b"}, "x", "y", 20);
        int second = hashes.crossSlot(new String[] {"a", "c"}, "x", "y", 20);
        assertThat(first).isEqualTo(FeatureHasher.slot("a*b", "x\u0001y", 20));
        assertThat(second).isEqualTo(FeatureHasher.slot("a*c", "x\u0001y", 20));
        assertThat(hashes.crossSlot(new String[] {"a", "b"}, "x", "y", 20)).isEqualTo(first);
    }
}
