package perpetua.catalog;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import perpetua.schemas.CatalogItem;

/**
 * The bounded catalog of an {@link InteractionMemory}: at most {@code catalogSize} items by slot,
 * each with its side features as last seen, its number of interactions and the interaction it was
 * last seen at; a new item past the bound takes the slot of the item seen least recently. The
 * slots' counts sit in a Fenwick tree ({@link SlotCounts}) for draws in proportion to them.
 */
final class Catalog {
    private final int catalogSize;

    // The items by slot, and each item's slot in the order it was last seen (least recent first):
    // insertion order, an item seen again is put again, so that looking one up moves nothing.
    private final List<String> items = new ArrayList<>();
    private final List<Map<String, String>> itemFeatures = new ArrayList<>();
    private final List<long[]> itemStats = new ArrayList<>(); // {count, lastSeen}
    private final LinkedHashMap<String, Integer> slots = new LinkedHashMap<>();
    private final SlotCounts counts = new SlotCounts();

    Catalog(int catalogSize) {
        this.catalogSize = catalogSize;
    }

    /** Puts the most recently seen of {@code kept} that fit, in their slot order. */
    void restore(List<CatalogItem> kept) {
        List<CatalogItem> byRecency = new ArrayList<>(kept);
        byRecency.sort((a, b) -> Long.compare(b.getLastSeen(), a.getLastSeen()));
        Set<String> fit = new HashSet<>();
        for (int i = 0; i < Math.min(catalogSize, byRecency.size()); i++) {
            fit.add(byRecency.get(i).getItem());
        }
        for (CatalogItem c : kept) {
            if (fit.contains(c.getItem()) && !slots.containsKey(c.getItem())) {
                items.add(c.getItem());
                itemFeatures.add(Map.copyOf(c.getFeatures()));
                itemStats.add(new long[] {c.getCount(), c.getLastSeen()});
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int s = 0; s < items.size(); s++) {
            order.add(s);
        }
        order.sort((a, b) -> Long.compare(itemStats.get(a)[1], itemStats.get(b)[1]));
        for (int s : order) {
            slots.put(items.get(s), s);
            counts.add(s, itemStats.get(s)[0]);
        }
    }

    /** The catalog as a snapshot carries it, by slot. */
    List<CatalogItem> toRecords() {
        List<CatalogItem> catalog = new ArrayList<>(items.size());
        for (int s = 0; s < items.size(); s++) {
            long[] stats = itemStats.get(s);
            catalog.add(
                    CatalogItem.newBuilder()
                            .setItem(items.get(s))
                            .setFeatures(new HashMap<>(itemFeatures.get(s)))
                            .setCount(stats[0])
                            .setLastSeen(stats[1])
                            .build());
        }
        return catalog;
    }

    /**
     * Counts an interaction with {@code item} as the {@code interaction}-th: the item joins the
     * catalog (in the least recently seen item's slot when it is full) or is refreshed, with its
     * side features.
     */
    void interacted(String item, Map<String, String> itemSide, long interaction) {
        Integer slot = slots.get(item);
        if (slot == null) {
            if (items.size() < catalogSize) {
                slot = items.size();
                items.add(item);
                itemFeatures.add(Map.copyOf(itemSide));
                itemStats.add(new long[2]);
            } else {
                Iterator<Map.Entry<String, Integer>> eldest = slots.entrySet().iterator();
                slot = eldest.next().getValue();
                eldest.remove();
                counts.add(slot, -itemStats.get(slot)[0]);
                items.set(slot, item);
                itemFeatures.set(slot, Map.copyOf(itemSide));
                itemStats.set(slot, new long[2]);
            }
            slots.put(item, slot);
        } else {
            slots.remove(item);
            slots.put(item, slot);
            if (!itemSide.equals(itemFeatures.get(slot))) {
                itemFeatures.set(slot, Map.copyOf(itemSide));
            }
        }
        long[] stats = itemStats.get(slot);
        stats[0]++;
        stats[1] = interaction;
        counts.add(slot, 1);
    }

    int size() {
        return items.size();
    }

    boolean holds(String item) {
        return slots.containsKey(item);
    }

    String item(int slot) {
        return items.get(slot);
    }

    Map<String, String> features(int slot) {
        return itemFeatures.get(slot);
    }

    /** The side features of {@code item}, or null when the catalog does not hold it. */
    Map<String, String> features(String item) {
        Integer slot = slots.get(item);
        return slot == null ? null : itemFeatures.get(slot);
    }

    /** Interactions with {@code item} (0 for one the catalog does not hold). */
    long count(String item) {
        Integer slot = slots.get(item);
        return slot == null ? 0 : itemStats.get(slot)[0];
    }

    /** The interaction {@code item} was last seen at, or -1 for one the catalog does not hold. */
    long lastSeen(String item) {
        Integer slot = slots.get(item);
        return slot == null ? -1 : itemStats.get(slot)[1];
    }

    /**
     * Draws {@code n} distinct items that are neither {@code item} nor in {@code seen}, uniformly
     * by slot or, when {@code byPopularity}, each in proportion to its interactions.
     *
     * @return the items, or null when the catalog holds fewer than {@code n} such items (or a user
     *     who has seen nearly all of them leaves too few to find in reasonable time)
     */
    String[] sample(
            Set<String> seen, String item, int n, SplittableRandom random, boolean byPopularity) {
        if (n <= 0) {
            return new String[0];
        }
        int known = 0;
        for (String s : seen) {
            if (holds(s)) {
                known++;
            }
        }
        boolean itemKnown = item != null && holds(item) && !seen.contains(item);
        int available = size() - known - (itemKnown ? 1 : 0);
        if (available < n) {
            return null;
        }
        String[] out = new String[n];
        Set<Integer> drawn = new HashSet<>();
        int found = 0;
        // Rejection stays cheap while the user's items are a small part of the catalog; the bound
        // keeps a nearly exhausted catalog from spinning.
        long attempts = 20L * n + 1000;
        long total = byPopularity ? counts.prefix(items.size()) : 0;
        while (found < n && attempts-- > 0) {
            int slot =
                    byPopularity && total > 0
                            ? counts.slotAt(random.nextLong(total))
                            : random.nextInt(size());
            String candidate = items.get(slot);
            if (candidate.equals(item) || seen.contains(candidate) || !drawn.add(slot)) {
                continue;
            }
            out[found++] = candidate;
        }
        return found == n ? out : null;
    }
}
