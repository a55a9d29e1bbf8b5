package perpetua.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Interactions;
import perpetua.schemas.ModelSpec;

/** The catalog and user histories of a recommender: bounds, draws, and a snapshot's round trip. */
class InteractionMemoryTest {

    private static InteractionMemory filled(int items, int catalogSize) {
        InteractionMemory m = new InteractionMemory(catalogSize, 100, 50);
        for (int i = 0; i < items; i++) {
            m.record("u" + (i % 7), "i" + i, Map.of("genre", "g" + (i % 3)), Map.of("age", "a"));
        }
        return m;
    }

    @Test
    void itRemembersItemsWithTheirFeaturesCountsAndEachUsersRecentItems() {
        InteractionMemory m = new InteractionMemory(10, 10, 3);
        m.record("ann", "i1", Map.of("genre", "Comedy"), Map.of("age", "20s"));
        m.record("bob", "i1", Map.of("genre", "Comedy|Drama"), Map.of());
        m.record("ann", "i2", Map.of(), Map.of("age", "30s"));

        assertThat(m.size()).isEqualTo(2);
        assertThat(m.count("i1")).isEqualTo(2);
        assertThat(m.count("nope")).isZero();
        assertThat(m.features("i1")).containsEntry("genre", "Comedy|Drama");
        assertThat(m.history("ann")).containsExactly("i1", "i2");
        assertThat(m.userFeatures("ann")).containsEntry("age", "30s");
        assertThat(m.history("carol")).isEmpty();
        assertThat(m.interactions()).isEqualTo(3);
    }

    @Test
    void aUsersRecentItemsAreTheLastOnesOldestFirst() {
        InteractionMemory m = new InteractionMemory(10, 10, 4);
        for (String item : List.of("a", "b", "c", "d", "b", "e")) {
            m.record("ann", item, Map.of(), Map.of());
        }
        // The history keeps 4 (c, d, b, e: b moved to the end when seen again).
        assertThat(m.recent("ann", 2)).isEqualTo("b|e");
        assertThat(m.recent("ann", 3)).isEqualTo("d|b|e");
        assertThat(m.recent("ann", 10)).isEqualTo("c|d|b|e");
        assertThat(m.recent("ann", 0)).isEmpty();
        assertThat(m.recent("bob", 3)).isEmpty();
    }

    @Test
    void anItemsActivityIsItsCountAndItsIdleInteractionsAsBitLengths() {
        InteractionMemory m = new InteractionMemory(20, 10, 4);
        m.record("ann", "a", Map.of(), Map.of()); // 1st interaction
        for (int i = 0; i < 4; i++) {
            m.record("bob", "b", Map.of(), Map.of()); // 2nd to 5th
        }
        m.record("ann", "a", Map.of(), Map.of()); // 6th
        for (int i = 0; i < 10; i++) {
            m.record("carol", "c" + i, Map.of(), Map.of()); // 7th to 16th
        }

        assertThat(m.countBucket("a")).isEqualTo(2); // 2 interactions
        assertThat(m.countBucket("b")).isEqualTo(3); // 4
        assertThat(m.countBucket("c0")).isEqualTo(1); // 1
        assertThat(m.countBucket("new")).isEqualTo(1); // counts as one, as the rarest items
        assertThat(m.idleBucket("a", 16)).isEqualTo(4); // 10 since its last: 1010
        assertThat(m.idleBucket("b", 16)).isEqualTo(4); // 11
        assertThat(m.idleBucket("c9", 16)).isZero(); // the latest
        assertThat(m.idleBucket("b", 6)).isEqualTo(1); // as of the 6th: 1 since
        assertThat(m.idleBucket("c9", 6)).isZero(); // seen after the 6th
        assertThat(m.idleBucket("new", 16)).isEqualTo(5); // all 16
        Map<String, String> categorical = new java.util.HashMap<>();
        m.putActivity("b", 6, categorical);
        assertThat(categorical)
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                InteractionMemory.COUNT_FEATURE,
                                "3",
                                InteractionMemory.IDLE_FEATURE,
                                "1"));
    }

    @Test
    void eachBoundLetsTheLeastRecentGo() {
        InteractionMemory m = new InteractionMemory(3, 2, 2);
        m.record("ann", "a", Map.of(), Map.of());
        m.record("ann", "b", Map.of(), Map.of());
        m.record("bob", "c", Map.of(), Map.of());
        m.record("ann", "a", Map.of(), Map.of()); // a is the most recent again
        m.record("carol", "d", Map.of(), Map.of()); // the catalog is full: b goes; bob goes

        assertThat(m.size()).isEqualTo(3);
        assertThat(m.count("b")).isZero();
        Set<String> catalog = new HashSet<>();
        for (int s = 0; s < m.size(); s++) {
            catalog.add(m.item(s));
        }
        assertThat(catalog).containsExactlyInAnyOrder("a", "c", "d");
        assertThat(m.users()).isEqualTo(2);
        assertThat(m.history("bob")).isEmpty();
        assertThat(m.history("ann")).containsExactly("b", "a");
        m.record("ann", "c", Map.of(), Map.of());
        assertThat(m.history("ann")).containsExactly("a", "c");
    }

    @Test
    void candidatesAreDistinctAndNeitherTheItemNorTheUsersOwn() {
        InteractionMemory m = filled(300, 1000);
        Set<String> seen = m.history("u1");
        assertThat(seen).isNotEmpty();
        String[] drawn = m.sample("u1", "i5", 100, m.random(42));
        assertThat(drawn).hasSize(100).doesNotHaveDuplicates().doesNotContain("i5");
        for (String d : drawn) {
            assertThat(seen).doesNotContain(d);
        }
        // A user who has seen everything but a few leaves too few candidates.
        assertThat(m.sample("u1", "i5", 300 - seen.size(), m.random(42))).isNull();
        assertThat(m.sample("u1", "i5", 0, m.random(42))).isEmpty();
    }

    @Test
    void drawsAreUniformOverTheCatalog() {
        InteractionMemory m = filled(50, 1000);
        int[] counts = new int[50];
        for (int round = 0; round < 2000; round++) {
            for (String d : m.sample("nobody", null, 10, m.random(round))) {
                counts[Integer.parseInt(d.substring(1))]++;
            }
        }
        // 20,000 draws over 50 items: 400 each, binomial sd about 20.
        assertThat(Arrays.stream(counts).min().getAsInt()).isGreaterThan(300);
        assertThat(Arrays.stream(counts).max().getAsInt()).isLessThan(500);
    }

    @Test
    void drawsByPopularityFollowEachItemsInteractions() {
        // Item i has i + 1 interactions, 1 + 2 + ... + 40 = 820 in all, none by the drawing user.
        InteractionMemory m = new InteractionMemory(1000, 100, 50);
        for (int i = 0; i < 40; i++) {
            for (int k = 0; k <= i; k++) {
                m.record("u" + k, "i" + i, Map.of(), Map.of());
            }
        }
        int[] counts = new int[40];
        int draws = 82_000;
        for (int round = 0; round < draws; round++) {
            counts[
                    Integer.parseInt(
                            m.sample("nobody", null, 1, m.random(round), true)[0].substring(1))]++;
        }
        for (int i : new int[] {0, 9, 19, 39}) {
            double expected = draws * (i + 1) / 820.0;
            // Binomial sd: at most sqrt(4000) = 63.
            assertThat((double) counts[i])
                    .as("item " + i)
                    .isCloseTo(expected, within(4 * Math.sqrt(expected) + 1));
        }
    }

    @Test
    void anItemThatLeavesTheCatalogTakesItsInteractionsWithItAndASnapshotKeepsTheRest() {
        InteractionMemory a = new InteractionMemory(3, 10, 10);
        for (int k = 0; k < 50; k++) {
            a.record("u" + k, "busy", Map.of(), Map.of());
        }
        a.record("x", "quiet", Map.of(), Map.of());
        a.record("x", "other", Map.of(), Map.of());
        a.record("y", "quiet", Map.of(), Map.of());
        a.record("y", "other", Map.of(), Map.of());
        a.record("z", "new", Map.of(), Map.of()); // full: busy, seen least recently, goes
        assertThat(a.count("busy")).isZero();
        InteractionMemory b = InteractionMemory.of(a.toRecord(), 3, 10, 10);
        int[] newDraws = new int[2];
        for (int round = 0; round < 3000; round++) {
            String da = a.sample("nobody", null, 1, a.random(round), true)[0];
            assertThat(b.sample("nobody", null, 1, b.random(round), true)).containsExactly(da);
            assertThat(da).isNotEqualTo("busy");
            newDraws[da.equals("new") ? 1 : 0]++;
        }
        // quiet 2, other 2, new 1: "new" is a fifth of the draws, not the 51 of 55 of busy's slot.
        assertThat(newDraws[1]).isBetween(450, 750);
    }

    @Test
    void theSameStreamDrawsTheSameCandidatesAfterARoundTripThroughASnapshot() {
        InteractionMemory a = filled(400, 250);
        Interactions record = a.toRecord();
        InteractionMemory b = InteractionMemory.of(record, 250, 100, 50);
        assertThat(b.toRecord()).isEqualTo(record);
        for (int i = 0; i < 50; i++) {
            String user = "u" + (i % 9);
            assertThat(b.sample(user, "i" + i, 20, b.random(7)))
                    .isEqualTo(a.sample(user, "i" + i, 20, a.random(7)));
            a.record(user, "n" + i, Map.of(), Map.of());
            b.record(user, "n" + i, Map.of(), Map.of());
        }
        assertThat(b.toRecord()).isEqualTo(a.toRecord());
    }

    @Test
    void smallerBoundsKeepTheMostRecent() {
        InteractionMemory a = filled(100, 100);
        InteractionMemory b = InteractionMemory.of(a.toRecord(), 10, 3, 2);
        assertThat(b.size()).isEqualTo(10);
        Set<String> kept = new HashSet<>();
        for (int s = 0; s < b.size(); s++) {
            kept.add(b.item(s));
        }
        assertThat(kept)
                .containsExactlyInAnyOrderElementsOf(
                        List.of(
                                "i90", "i91", "i92", "i93", "i94", "i95", "i96", "i97", "i98",
                                "i99"));
        assertThat(b.users()).isEqualTo(3);
        assertThat(b.history("u1")).hasSize(2);
    }

    @Test
    void eachInteractionCountsItsItemWithItsUsersLastItemsWhicheverCameFirst() {
        // A window of 2: an interaction pairs with its user's 2 latest items before it.
        InteractionMemory m = new InteractionMemory(10, 10, 5, 12, 2);
        m.record("ann", "a", Map.of(), Map.of());
        m.record("ann", "b", Map.of(), Map.of()); // (a, b)
        m.record("ann", "c", Map.of(), Map.of()); // (a, c), (b, c)
        m.record("ann", "d", Map.of(), Map.of()); // (b, d), (c, d): a is out of the window
        m.record("bob", "b", Map.of(), Map.of());
        m.record("bob", "a", Map.of(), Map.of()); // (b, a)
        // Again: (b, a) once more, and an item never pairs with itself.
        m.record("bob", "a", Map.of(), Map.of());
        assertThat(m.countsPairs()).isTrue();
        assertThat(m.pairCount("a", "b")).isEqualTo(3);
        assertThat(m.pairCount("b", "a")).isEqualTo(3);
        assertThat(m.pairCount("c", "b")).isEqualTo(1);
        assertThat(m.pairCount("a", "d")).isZero();
        assertThat(m.pairCount("a", "a")).isZero();
        // ann's last two are c and d: b came with c once and with d once, a with c once.
        long[] ann = m.recentHashes("ann");
        assertThat(ann).hasSize(2);
        assertThat(m.cooccurrenceBucket("b", ann)).isEqualTo(2); // 2: 10
        assertThat(m.cooccurrenceBucket("a", ann)).isEqualTo(1);
        assertThat(m.cooccurrenceBucket("e", ann)).isZero();
        assertThat(m.cooccurrenceBucket("b", m.recentHashes("carol"))).isZero();
        assertThat(m.cooccurrenceBucket("b", m.recentHashes("bob"))).isEqualTo(2);
        // An event's context carries its item's bucket as of before it.
        ModelSpec spec =
                ModelSpec.newBuilder()
                        .setModel("m")
                        .setTask(perpetua.schemas.Task.BINARY)
                        .setItemFeature("item")
                        .setRecentItems(2)
                        .setCooccurrenceBits(12)
                        .build();
        Map<String, String> context =
                m.withContext(
                        spec,
                        Map.of(
                                "user",
                                "ann",
                                "item",
                                "b",
                                InteractionMemory.COOCCURRENCE_FEATURE,
                                "9"));
        assertThat(context).containsEntry(InteractionMemory.COOCCURRENCE_FEATURE, "2");
        // Without the table nothing is counted and no event carries @cooc.
        InteractionMemory plain = new InteractionMemory(10, 10, 5);
        plain.record("ann", "a", Map.of(), Map.of());
        plain.record("ann", "b", Map.of(), Map.of());
        assertThat(plain.countsPairs()).isFalse();
        assertThat(plain.pairCount("a", "b")).isZero();
        assertThat(plain.recentHashes("ann")).isEmpty();
        assertThat(plain.toRecord().getCooccurrences().remaining()).isZero();
    }

    @Test
    void aSnapshotKeepsThePairCountsOfATableOfTheSameSize() {
        InteractionMemory a = new InteractionMemory(500, 100, 50, 10, 5);
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 3000; i++) {
            a.record("u" + random.nextInt(40), "i" + random.nextInt(300), Map.of(), Map.of());
        }
        Interactions record = a.toRecord();
        // Sparse: far fewer bytes than 4 per counter of a table that holds few pairs.
        InteractionMemory b = InteractionMemory.of(record, 500, 100, 50, 10, 5);
        assertThat(b.toRecord()).isEqualTo(record);
        for (int i = 0; i < 100; i++) {
            String user = "u" + (i % 40);
            String item = "i" + (i * 7 % 300);
            assertThat(b.cooccurrenceBucket(item, b.recentHashes(user)))
                    .isEqualTo(a.cooccurrenceBucket(item, a.recentHashes(user)));
            a.record(user, item, Map.of(), Map.of());
            b.record(user, item, Map.of(), Map.of());
        }
        assertThat(b.toRecord()).isEqualTo(a.toRecord());
        assertThat(a.pairCount("i1", "i2") + a.pairCount("i7", "i9")).isPositive();
        // A table of another size starts anew; a memory without one drops the counts.
        InteractionMemory other = InteractionMemory.of(record, 500, 100, 50, 12, 5);
        assertThat(other.pairCount("i1", "i2")).isZero();
        assertThat(other.countsPairs()).isTrue();
        assertThat(InteractionMemory.of(record, 500, 100, 50).countsPairs()).isFalse();
    }

    @Test
    void damagedPairCountsAreRefused() {
        InteractionMemory a = new InteractionMemory(10, 10, 5, 4, 2);
        a.record("ann", "a", Map.of(), Map.of());
        a.record("ann", "b", Map.of(), Map.of());
        Interactions record = a.toRecord();
        java.nio.ByteBuffer bytes = record.getCooccurrences();
        byte[] cut = new byte[bytes.remaining() - 1];
        bytes.duplicate().get(cut);
        record.setCooccurrences(java.nio.ByteBuffer.wrap(cut));
        assertThatThrownBy(() -> InteractionMemory.of(record, 10, 10, 5, 4, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("co-occurrence counts");
        assertThatThrownBy(() -> new InteractionMemory(10, 10, 5, 23, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cooccurrenceBits");
        assertThatThrownBy(() -> new InteractionMemory(10, 10, 5, 4, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void boundsMustBeSensible() {
        assertThatThrownBy(() -> new InteractionMemory(0, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
