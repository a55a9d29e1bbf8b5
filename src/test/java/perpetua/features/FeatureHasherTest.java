package perpetua.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FeatureHasherTest {

    private static int murmur(String text, int seed) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return FeatureHasher.murmur3x86_32(bytes, 0, bytes.length, seed);
    }

    @Test
    void murmurMatchesPublishedReferenceValues() {
        // Reference values of MurmurHash3_x86_32 from the SMHasher implementation.
        assertThat(murmur("", 0)).isEqualTo(0);
        assertThat(murmur("", 1)).isEqualTo(0x514e28b7);
        assertThat(murmur("hello", 0)).isEqualTo(0x248bfa47);
        assertThat(murmur("The quick brown fox jumps over the lazy dog", 0)).isEqualTo(0x2e4ff723);
    }

    @Test
    void murmurCoversEveryTailLength() {
        // Computed once with an independent implementation; lengths 1 to 4 hit every tail case.
        assertThat(murmur("a", 0)).isEqualTo(0x3c2569b2);
        assertThat(murmur("ab", 0)).isEqualTo(0x9bbfd75f);
        assertThat(murmur("abc", 0)).isEqualTo(0xb3dd93fa);
        assertThat(murmur("abcd", 0)).isEqualTo(0x43ed676a);
    }

    @Test
    void murmurHashesOnlyTheGivenRange() {
        byte[] padded = "xxhelloyy".getBytes(StandardCharsets.UTF_8);
        assertThat(FeatureHasher.murmur3x86_32(padded, 2, 5, 0)).isEqualTo(0x248bfa47);
    }

    @Test
    void slotsAreStableAcrossRuns() {
        // Written down once; a change here silently invalidates every stored hashed model.
        assertThat(FeatureHasher.slot("country", "DE", 18)).isEqualTo(219484);
        assertThat(FeatureHasher.slot("country", "FR", 18)).isEqualTo(205474);
        assertThat(FeatureHasher.slot("device", "mobile", 10)).isEqualTo(159);
        assertThat(FeatureHasher.slot("city", "Zürich", 20)).isEqualTo(81208);
        assertThat(FeatureHasher.slot("user", "42", 4)).isEqualTo(1);
    }

    @Test
    void separatorKeepsNameAndValueApart() {
        assertThat(FeatureHasher.slot("ab", "c", 30)).isEqualTo(1003094807);
        assertThat(FeatureHasher.slot("a", "bc", 30)).isEqualTo(703128627);
    }

    @Test
    void slotsLieInRange() {
        for (int bits : new int[] {0, 1, 4, 12, 18, 30}) {
            for (int i = 0; i < 2000; i++) {
                int slot = FeatureHasher.slot("f" + (i % 7), "v" + i, bits);
                assertThat(slot).isBetween(0, (1 << bits) - 1);
            }
        }
    }

    @Test
    void slotsSpreadOverTheSpace() {
        int bits = 6;
        int[] hits = new int[1 << bits];
        for (int i = 0; i < 6400; i++) {
            hits[FeatureHasher.slot("user", Integer.toString(i), bits)]++;
        }
        // 100 expected per slot; a broken mix would leave slots empty or overloaded.
        for (int h : hits) {
            assertThat(h).isBetween(50, 160);
        }
    }

    @Test
    void rejectsUnsupportedWidths() {
        assertThatThrownBy(() -> FeatureHasher.slot("a", "b", 31))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FeatureHasher.slot("a", "b", -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aStreamHashesTheBytesOfTheJoinedStrings() {
        java.util.Random random = new java.util.Random(3);
        char[] alphabet = {'a', 'Z', '0', ' ', 'é', 'ß', '€', '漢', '\ud83d', '\ude00', '\ud800'};
        FeatureHasher.Stream stream = new FeatureHasher.Stream();
        for (int i = 0; i < 5000; i++) {
            String[] parts = new String[1 + random.nextInt(4)];
            StringBuilder joined = new StringBuilder();
            stream.reset();
            for (int p = 0; p < parts.length; p++) {
                StringBuilder part = new StringBuilder();
                for (int c = random.nextInt(9); c > 0; c--) {
                    part.append(alphabet[random.nextInt(alphabet.length)]);
                }
                if (p > 0) {
                    joined.append('\u0001');
                    stream.add('\u0001');
                }
                joined.append(part);
                stream.add(part.toString());
            }
            // The bytes of the joined string, as the slot of a name and a value always hashed.
            int expected = murmur(joined.toString(), FeatureHasher.SEED) & ((1 << 30) - 1);
            assertThat(stream.slot(30)).as(joined.toString()).isEqualTo(expected);
        }
    }
}
