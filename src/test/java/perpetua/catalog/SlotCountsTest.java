package perpetua.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SlotCountsTest {

    @Test
    void prefixSumsFollowAddsAcrossGrowth() {
        SlotCounts c = new SlotCounts();
        long[] expected = new long[100];
        SplittableRandom r = new SplittableRandom(7);
        for (int n = 0; n < 1000; n++) {
            int slot = r.nextInt(100);
            long delta = r.nextInt(5);
            c.add(slot, delta);
            expected[slot] += delta;
        }
        long sum = 0;
        for (int end = 0; end <= 100; end++) {
            assertThat(c.prefix(end)).as("prefix(%d)", end).isEqualTo(sum);
            if (end < 100) {
                sum += expected[end];
            }
        }
    }

    @Test
    void eachPositionOfTheTotalFallsInTheSlotThatCoversIt() {
        SlotCounts c = new SlotCounts();
        c.add(0, 2);
        c.add(3, 1);
        c.add(40, 3);
        c.add(3, 1);
        // running total: slot 0 covers 0..1, slot 3 covers 2..3, slot 40 covers 4..6
        int[] slots = new int[7];
        for (int t = 0; t < 7; t++) {
            slots[t] = c.slotAt(t);
        }
        assertThat(slots).containsExactly(0, 0, 3, 3, 40, 40, 40);
    }

    @Test
    void aCountTakenBackLeavesItsSlotOutOfTheDraws() {
        SlotCounts c = new SlotCounts();
        c.add(1, 4);
        c.add(2, 4);
        c.add(1, -4);
        assertThat(c.prefix(3)).isEqualTo(4);
        assertThat(c.slotAt(0)).isEqualTo(2);
        assertThat(c.slotAt(3)).isEqualTo(2);
    }
}
