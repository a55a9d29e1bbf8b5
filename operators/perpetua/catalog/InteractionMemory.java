package perpetua.catalog;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import perpetua.schemas.Interactions;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.UserItems;

/**
 * What a recommender model remembers of its stream, within fixed bounds: the catalog of items it
 * has seen, each with its side features and its number of interactions, and for each recent user
 * the items they interacted with last and their other categoricals.
 *
 * <p>Bounds, each a spec field: at most {@code catalogSize} items (a new item then takes the slot
 * of the item seen least recently), at most {@code historyUsers} users (a new user replaces the one
 * seen least recently) and {@code userHistory} items per user (the oldest go first). Memory is
 * therefore bounded by about catalogSize x (id + side features) + historyUsers x userHistory item
 * references; with {@code cooccurrenceBits} B, 2^B pair counters besides. The pair counters are
 * hashed and never forgotten with an item: an item that leaves the catalog leaves its counts.
 *
 * <p>Candidates ({@link #sample}) are drawn from the items a user has not interacted with as far as
 * this memory knows, without repetition: uniformly by catalog slot, or in proportion to each item's
 * interactions (a Fenwick tree over the slots' counts keeps such a draw at O(log items)). The
 * random stream is seeded by the spec's seed and the number of interactions seen so far, so the
 * same stream gives the same draws in the job, in a replay, after a restore and in a benchmark
 * harness. Not thread-safe.
 */
public final class InteractionMemory {
    /**
     * The multi-valued categorical that carries a user's recent items into an event (spec {@code
     * recentItems}).
     */
    public static final String RECENT_FEATURE = "@recent";

    /**
     * The categorical that says how many interactions an item has had (spec {@code itemActivity}).
     */
    public static final String COUNT_FEATURE = "@count";

    /**
     * The categorical that says how long ago an item's last interaction was ({@code itemActivity}).
     */
    public static final String IDLE_FEATURE = "@idle";

    /**
     * The categorical that says how often an item came together with its user's recent items in the
     * stream so far (spec {@code cooccurrenceBits}).
     */
    public static final String COOCCURRENCE_FEATURE = "@cooc";

    /** The categoricals the memory adds around an interaction, never part of what it records. */
    public static final Set<String> CONTEXT_FEATURES =
            Set.of(RECENT_FEATURE, COUNT_FEATURE, IDLE_FEATURE, COOCCURRENCE_FEATURE);

    /** The largest co-occurrence table: 2^22 counters, 16 MiB. */
    public static final int MAX_COOCCURRENCE_BITS = 22;

    /** Separates the items of {@link #RECENT_FEATURE}, as any multi-valued categorical's values. */
    public static final char VALUE_SEPARATOR = '|';

    private final int historyUsers;
    private final int userHistory;

    // Co-occurrence counts of item pairs (null: not kept).
    private final PairCounts pairCounts;

    private final Catalog catalog;
    private final LinkedHashMap<String, User> users = new LinkedHashMap<>();
    private long interactions;

    /** What is kept of one user: recent items, oldest first, and the other categoricals. */
    private static final class User {
        final LinkedHashSet<String> items = new LinkedHashSet<>();
        Map<String, String> features = Map.of();
    }

    /**
     * An empty memory within these bounds.
     *
     * @param catalogSize items kept at most, >= 1
     * @param historyUsers users kept at most, >= 1
     * @param userHistory recent items kept per user, >= 0
     */
    public InteractionMemory(int catalogSize, int historyUsers, int userHistory) {
        this(catalogSize, historyUsers, userHistory, 0, 0);
    }

    /**
     * An empty memory within these bounds that also counts how often two items come together: each
     * interaction adds one to the pair of its item and each of its user's last {@code
     * cooccurrenceWindow} items, in a table of 2^{@code cooccurrenceBits} counters indexed by a
     * hash of the pair (pairs that share a counter add up).
     *
     * @param cooccurrenceBits 0 (no counts) or 1..{@link #MAX_COOCCURRENCE_BITS}
     * @param cooccurrenceWindow the user's latest items an interaction pairs with, >= 1 when
     *     counted
     */
    public InteractionMemory(
            int catalogSize,
            int historyUsers,
            int userHistory,
            int cooccurrenceBits,
            int cooccurrenceWindow) {
        this.pairCounts =
                cooccurrenceBits != 0 ? new PairCounts(cooccurrenceBits, cooccurrenceWindow) : null;
        if (catalogSize < 1 || historyUsers < 1 || userHistory < 0) {
            throw new IllegalArgumentException(
                    "catalogSize and historyUsers must be >= 1, userHistory >= 0: "
                            + catalogSize
                            + ", "
                            + historyUsers
                            + ", "
                            + userHistory);
        }
        this.catalog = new Catalog(catalogSize);
        this.historyUsers = historyUsers;
        this.userHistory = userHistory;
    }

    /** A memory with these bounds that holds what {@code record} holds, as far as they allow. */
    public static InteractionMemory of(
            Interactions record, int catalogSize, int historyUsers, int userHistory) {
        return of(record, catalogSize, historyUsers, userHistory, 0, 0);
    }

    /**
     * A memory with these bounds and co-occurrence table that holds what {@code record} holds, as
     * far as they allow; the record's co-occurrence counts are taken when its table has the same
     * size, else the counts start anew.
     */
    public static InteractionMemory of(
            Interactions record,
            int catalogSize,
            int historyUsers,
            int userHistory,
            int cooccurrenceBits,
            int cooccurrenceWindow) {
        InteractionMemory m =
                new InteractionMemory(
                        catalogSize,
                        historyUsers,
                        userHistory,
                        cooccurrenceBits,
                        cooccurrenceWindow);
        if (record == null) {
            return m;
        }
        if (m.pairCounts != null) {
            m.pairCounts.read(record.getCooccurrences());
        }
        m.catalog.restore(record.getItems());
        List<UserItems> us = record.getUsers();
        for (int i = Math.max(0, us.size() - historyUsers); i < us.size(); i++) {
            UserItems u = us.get(i);
            User user = new User();
            List<String> recent = u.getItems();
            for (int j = Math.max(0, recent.size() - userHistory); j < recent.size(); j++) {
                user.items.add(recent.get(j));
            }
            user.features = Map.copyOf(u.getFeatures());
            m.users.put(u.getUser(), user);
        }
        m.interactions = record.getInteractions();
        return m;
    }

    /**
     * The memory a recommender's spec asks for (its bounds, and its co-occurrence table over its
     * {@code recentItems}), holding what {@code record} holds as far as they allow.
     */
    public static InteractionMemory of(Interactions record, ModelSpec spec) {
        return of(
                record,
                spec.getCatalogSize(),
                spec.getHistoryUsers(),
                spec.getUserHistory(),
                spec.getCooccurrenceBits(),
                spec.getRecentItems());
    }

    /** The memory as a snapshot carries it. */
    public Interactions toRecord() {
        List<UserItems> kept = new ArrayList<>(users.size());
        for (Map.Entry<String, User> u : users.entrySet()) {
            kept.add(
                    UserItems.newBuilder()
                            .setUser(u.getKey())
                            .setItems(new ArrayList<>(u.getValue().items))
                            .setFeatures(new HashMap<>(u.getValue().features))
                            .build());
        }
        return Interactions.newBuilder()
                .setItems(catalog.toRecords())
                .setUsers(kept)
                .setInteractions(interactions)
                .setCooccurrences(pairCounts == null ? ByteBuffer.allocate(0) : pairCounts.write())
                .build();
    }

    // ---------------------------------------------------------------- what it knows

    /** Items in the catalog. */
    public int size() {
        return catalog.size();
    }

    /** Users whose recent items are kept. */
    public int users() {
        return users.size();
    }

    /** Interactions recorded so far. */
    public long interactions() {
        return interactions;
    }

    /** The item in catalog slot {@code slot}. */
    public String item(int slot) {
        return catalog.item(slot);
    }

    /** The side features of the item in slot {@code slot}, as last seen. */
    public Map<String, String> features(int slot) {
        return catalog.features(slot);
    }

    /** The side features of {@code item}, or null when the catalog does not hold it. */
    public Map<String, String> features(String item) {
        return catalog.features(item);
    }

    /** Interactions with {@code item} (0 for one the catalog does not hold). */
    public long count(String item) {
        return catalog.count(item);
    }

    /** The recent items of {@code user}, oldest first; empty for a user it does not know. */
    public Set<String> history(String user) {
        User u = users.get(user);
        return u == null ? Set.of() : Collections.unmodifiableSet(u.items);
    }

    /**
     * The last {@code n} items {@code user} interacted with, oldest first, joined by {@link
     * #VALUE_SEPARATOR}; empty for a user it does not know or {@code n <= 0}.
     */
    public String recent(String user, int n) {
        User u = users.get(user);
        if (u == null || n <= 0 || u.items.isEmpty()) {
            return "";
        }
        int skip = u.items.size() - n;
        StringBuilder out = new StringBuilder();
        for (String item : u.items) {
            if (skip-- > 0) {
                continue;
            }
            if (out.length() > 0) {
                out.append(VALUE_SEPARATOR);
            }
            out.append(item);
        }
        return out.toString();
    }

    /**
     * How many interactions {@code item} has had, as a bit length (1 for one, 2 for two or three, 3
     * for four to seven...); an item the catalog does not hold counts as one, so that a new item
     * looks like the rarest items the catalog holds.
     */
    public int countBucket(String item) {
        return 64 - Long.numberOfLeadingZeros(Math.max(1, count(item)));
    }

    /**
     * The interactions between {@code item}'s last one and the {@code asOf}-th, as a bit length (0
     * when it is the latest, or came after); for an item the catalog does not hold, all {@code
     * asOf}.
     */
    public int idleBucket(String item, long asOf) {
        long lastSeen = catalog.lastSeen(item);
        long idle = lastSeen < 0 ? asOf : Math.max(0, asOf - lastSeen);
        return 64 - Long.numberOfLeadingZeros(idle);
    }

    /**
     * Puts {@code item}'s activity into {@code categorical}: {@link #COUNT_FEATURE} its {@link
     * #countBucket}, {@link #IDLE_FEATURE} its {@link #idleBucket} as of the {@code asOf}-th
     * interaction.
     */
    public void putActivity(String item, long asOf, Map<String, String> categorical) {
        categorical.put(COUNT_FEATURE, Integer.toString(countBucket(item)));
        categorical.put(IDLE_FEATURE, Integer.toString(idleBucket(item, asOf)));
    }

    /**
     * An interaction's categoricals with what this memory knows around it as the spec asks, as of
     * now (before the interaction is recorded): {@link #RECENT_FEATURE}, the last {@code
     * recentItems} items of its user, and {@link #putActivity its item's activity} ({@code
     * itemActivity}). {@code categorical} itself when the spec asks for neither; else a new map, in
     * which these replace any the event carried.
     */
    public Map<String, String> withContext(ModelSpec spec, Map<String, String> categorical) {
        if (!needsContext(spec)) {
            return categorical;
        }
        Map<String, String> out = new HashMap<>(categorical);
        out.keySet().removeAll(CONTEXT_FEATURES);
        String user = categorical.get(spec.getUserFeature());
        if (spec.getRecentItems() > 0 && user != null) {
            out.put(RECENT_FEATURE, recent(user, spec.getRecentItems()));
        }
        String item = spec.getItemFeature() == null ? null : categorical.get(spec.getItemFeature());
        if (spec.getItemActivity() && item != null) {
            putActivity(item, interactions, out);
        }
        if (pairCounts != null && item != null) {
            out.put(
                    COOCCURRENCE_FEATURE,
                    Integer.toString(cooccurrenceBucket(item, recentHashes(user))));
        }
        return out;
    }

    /** Whether an event of a recommender with this spec carries what its memory knows around it. */
    public static boolean needsContext(ModelSpec spec) {
        return spec.getRecentItems() > 0 || spec.getItemActivity();
    }

    /** Whether this memory counts item pairs ({@code cooccurrenceBits} > 0). */
    public boolean countsPairs() {
        return pairCounts != null;
    }

    /**
     * The hashes of the last items of {@code user} that an interaction pairs with, oldest first;
     * empty for a user it does not know or when pairs are not counted.
     */
    public long[] recentHashes(String user) {
        User u = user == null ? null : users.get(user);
        if (pairCounts == null || u == null || u.items.isEmpty()) {
            return new long[0];
        }
        return pairCounts.lastHashes(u.items);
    }

    /**
     * How often {@code item} came with the items of {@code recent} ({@link #recentHashes}), summed
     * over them, as a bit length (0 for never, 1 for once, 2 for two or three...).
     */
    public int cooccurrenceBucket(String item, long[] recent) {
        return pairCounts == null || recent.length == 0 ? 0 : pairCounts.bucket(item, recent);
    }

    /** The count of the pair of {@code a} and {@code b} (their counter's, shared by collisions). */
    public int pairCount(String a, String b) {
        return pairCounts == null ? 0 : pairCounts.count(a, b);
    }

    /** The other categoricals of {@code user} as last seen; empty for a user it does not know. */
    public Map<String, String> userFeatures(String user) {
        User u = users.get(user);
        return u == null ? Map.of() : u.features;
    }

    // ---------------------------------------------------------------- drawing and recording

    /**
     * The random stream of the next interaction's draws: seeded by {@code seed} and the number of
     * interactions recorded so far.
     */
    public SplittableRandom random(long seed) {
        return new SplittableRandom(PairCounts.mix(seed * 0x9E3779B97F4A7C15L + interactions));
    }

    /**
     * Draws {@code n} distinct catalog items that are neither {@code item} nor among {@code user}'s
     * recent items, uniformly by slot.
     *
     * @return the items, or null when the catalog holds fewer than {@code n} such items (or a user
     *     who has seen nearly all of them leaves too few to find in reasonable time)
     */
    public String[] sample(String user, String item, int n, SplittableRandom random) {
        return sample(user, item, n, random, false);
    }

    /**
     * Draws as {@link #sample(String, String, int, SplittableRandom)} does, uniformly by slot or,
     * when {@code byPopularity}, each item in proportion to its interactions.
     */
    public String[] sample(
            String user, String item, int n, SplittableRandom random, boolean byPopularity) {
        return catalog.sample(history(user), item, n, random, byPopularity);
    }

    /**
     * Records that {@code user} interacted with {@code item}: the item joins or refreshes the
     * catalog with its side features, the user's recent items gain it, and the user's other
     * categoricals are kept.
     */
    public void record(
            String user, String item, Map<String, String> itemSide, Map<String, String> userSide) {
        interactions++;
        catalog.interacted(item, itemSide, interactions);
        if (user == null) {
            return;
        }
        User u = users.remove(user);
        if (u == null) {
            if (users.size() >= historyUsers) {
                Iterator<String> eldest = users.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
            u = new User();
        }
        users.put(user, u);
        if (pairCounts != null) {
            pairCounts.interacted(u.items, item);
        }
        if (userHistory > 0) {
            // A repeated item moves to the end: it is the most recent.
            u.items.remove(item);
            u.items.add(item);
            if (u.items.size() > userHistory) {
                Iterator<String> oldest = u.items.iterator();
                oldest.next();
                oldest.remove();
            }
        }
        if (!userSide.equals(u.features)) {
            u.features = Map.copyOf(userSide);
        }
    }
}
