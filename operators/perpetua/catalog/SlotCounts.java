package perpetua.catalog;

import java.util.Arrays;

/**
 * Interaction counts by catalog slot in a Fenwick tree, so that drawing a slot in proportion to its
 * count and changing a count both take O(log slots).
 *
 * <p>Working memory of an {@link InteractionMemory}, never state of its own: the memory rebuilds it
 * from the items' counts on restore.
 */
final class SlotCounts {
    private long[] tree = new long[16];
    private long[] counts = new long[16];

    /** Adds {@code delta} to the count of {@code slot}, growing the tree as slots are added. */
    void add(int slot, long delta) {
        if (slot + 1 >= tree.length) {
            int size = tree.length;
            while (size <= slot + 1) {
                size *= 2;
            }
            // A Fenwick tree grows by being built again from the counts it holds.
            counts = Arrays.copyOf(counts, size);
            tree = new long[size];
            for (int s = 0; s + 1 < size; s++) {
                if (counts[s] != 0) {
                    addToTree(s, counts[s]);
                }
            }
        }
        counts[slot] += delta;
        addToTree(slot, delta);
    }

    /** The sum of the counts of slots {@code 0 .. end - 1}. */
    long prefix(int end) {
        long sum = 0;
        for (int i = Math.min(end, tree.length - 1); i > 0; i -= i & -i) {
            sum += tree[i];
        }
        return sum;
    }

    /** The slot whose counts cover position {@code target} (0-based) of the running total. */
    int slotAt(long target) {
        int pos = 0;
        long left = target;
        for (int step = Integer.highestOneBit(tree.length - 1); step > 0; step >>= 1) {
            int next = pos + step;
            if (next < tree.length && tree[next] <= left) {
                pos = next;
                left -= tree[next];
            }
        }
        return pos;
    }

    private void addToTree(int slot, long delta) {
        for (int i = slot + 1; i < tree.length; i += i & -i) {
            tree[i] += delta;
        }
    }
}
