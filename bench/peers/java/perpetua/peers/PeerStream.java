package perpetua.peers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.FlightsStream;
import perpetua.schemas.Event;
import perpetua.schemas.Task;

/**
 * A benchmark stream held in memory: the events every learner sees, in the same order, read once
 * from a CSV of {@code ../shared/datasets} through Perpetua's own {@link CsvEvents}.
 *
 * <ul>
 *   <li>{@code flights}: the first N rows of {@code flights-3m.csv.gz} in time order, label {@code
 *       delay > 15}, features as {@link FlightsStream}: hour, day of week, distance, origin,
 *       destination.
 *   <li>{@code letter}: {@code letter-recognition.csv.gz} shuffled with seed 42, 26 classes A..Z
 *       ({@code lettr}), 16 numeric features.
 *   <li>{@code mnist}: {@code mnist-10k.csv.gz} in file order (already shuffled), 10 classes, 784
 *       dense pixels 0..255.
 *   <li>{@code diamonds}: {@code diamonds.csv.gz} shuffled with seed 42, regression on the natural
 *       log of {@code price} ({@code labelLog}); numeric carat, depth, table, x, y, z; categorical
 *       cut, color, clarity.
 *   <li>{@code movielens}: {@code movielens-small.csv.gz} in time order, the rating as a regression
 *       label; categorical user, movie, genres (multi-valued, "Comedy|Drama") and year. A
 *       recommendation stream: its learners also rank each rated movie among sampled others ({@link
 *       RecommenderStreams}).
 * </ul>
 *
 * <p>Shuffling is {@code Collections.shuffle(rows, new Random(42))} over the whole file, before the
 * cap on events.
 */
public final class PeerStream {
    public static final List<String> NAMES =
            List.of("flights", "letter", "mnist", "diamonds", "movielens");
    public static final long SHUFFLE_SEED = 42;

    public final String name;
    public final Task task;

    /** Number of classes (BINARY: 2), 0 for regression. */
    public final int classes;

    /** The numeric feature names, in the order of the events' maps. */
    public final List<String> numeric;

    /** Each categorical feature with every value it takes in this stream, sorted. */
    public final Map<String, List<String>> categories;

    public final int denseSize;

    /** What the label is, in words, for the report. */
    public final String labelNote;

    public final List<Event> events;

    /** Whether this is a rating stream of users and items, benchmarked as recommendation. */
    public final boolean recommender;

    /** The CSV file the events were read from. */
    public final Path csv;

    /** How the CSV's columns were read: the same roles give Perpetua's replay its events. */
    public final CsvEvents.Roles roles;

    /** The seed the whole file was shuffled with before the cap, or null for the file's order. */
    public final Long shuffleSeed;

    private PeerStream(
            String name,
            Path csv,
            CsvEvents.Roles roles,
            Long shuffleSeed,
            Task task,
            int classes,
            List<String> numeric,
            List<String> categorical,
            int denseSize,
            String labelNote,
            List<Event> events) {
        this.name = name;
        this.csv = csv;
        this.roles = roles;
        this.shuffleSeed = shuffleSeed;
        this.task = task;
        this.classes = classes;
        this.numeric = List.copyOf(numeric);
        this.denseSize = denseSize;
        this.labelNote = labelNote;
        this.events = Collections.unmodifiableList(events);
        this.recommender = name.equals("movielens");
        // MOA's nominal attributes need their value sets up front; take them from the stream.
        Map<String, SortedSet<String>> seen = new TreeMap<>();
        categorical.forEach(c -> seen.put(c, new TreeSet<>()));
        for (Event e : events) {
            e.getCategorical().forEach((k, v) -> seen.get(k).add(v));
        }
        Map<String, List<String>> cats = new java.util.LinkedHashMap<>();
        categorical.forEach(c -> cats.put(c, List.copyOf(seen.get(c))));
        this.categories = Collections.unmodifiableMap(cats);
    }

    /** Reads stream {@code name} from {@code datasets}, at most {@code limit} events. */
    public static PeerStream load(String name, Path datasets, long limit) throws IOException {
        switch (name) {
            case "flights":
                {
                    CsvEvents.Roles r = FlightsStream.roles();
                    Path csv = datasets.resolve("flights-3m.csv.gz");
                    List<String> categorical = new ArrayList<>(r.timeFeatures);
                    categorical.addAll(r.categorical);
                    return new PeerStream(
                            name,
                            csv,
                            r,
                            null,
                            Task.BINARY,
                            2,
                            r.numeric,
                            categorical,
                            0,
                            "delay > 15 (time order)",
                            read(csv, r, limit, null));
                }
            case "letter":
                {
                    CsvEvents.Roles r = roles("letter");
                    r.label = "lettr";
                    r.labelClasses =
                            IntStream.rangeClosed('A', 'Z')
                                    .mapToObj(c -> String.valueOf((char) c))
                                    .toList();
                    r.numeric =
                            List.of(
                                    "x.box", "y.box", "width", "high", "onpix", "x.bar", "y.bar",
                                    "x2bar", "y2bar", "xybar", "x2ybr", "xy2br", "x.ege", "xegvy",
                                    "y.ege", "yegvx");
                    Path csv = datasets.resolve("letter-recognition.csv.gz");
                    return new PeerStream(
                            name,
                            csv,
                            r,
                            SHUFFLE_SEED,
                            Task.MULTICLASS,
                            26,
                            r.numeric,
                            List.of(),
                            0,
                            "lettr, 26 classes (shuffled, seed 42)",
                            read(csv, r, limit, SHUFFLE_SEED));
                }
            case "mnist":
                {
                    CsvEvents.Roles r = roles("mnist");
                    r.label = "label";
                    r.labelClasses = IntStream.range(0, 10).mapToObj(String::valueOf).toList();
                    r.dense = List.of("p*");
                    Path csv = datasets.resolve("mnist-10k.csv.gz");
                    return new PeerStream(
                            name,
                            csv,
                            r,
                            null,
                            Task.MULTICLASS,
                            10,
                            List.of(),
                            List.of(),
                            784,
                            "label, 10 classes (file order)",
                            read(csv, r, limit, null));
                }
            case "diamonds":
                {
                    CsvEvents.Roles r = roles("diamonds");
                    r.label = "price";
                    r.labelLog = true;
                    r.numeric = List.of("carat", "depth", "table", "x", "y", "z");
                    r.categorical = List.of("cut", "color", "clarity");
                    Path csv = datasets.resolve("diamonds.csv.gz");
                    return new PeerStream(
                            name,
                            csv,
                            r,
                            SHUFFLE_SEED,
                            Task.REGRESSION,
                            0,
                            r.numeric,
                            r.categorical,
                            0,
                            "ln(price) (shuffled, seed 42)",
                            read(csv, r, limit, SHUFFLE_SEED));
                }
            case "movielens":
                {
                    CsvEvents.Roles r = roles("movielens");
                    r.time = "time";
                    r.label = "rating";
                    r.categorical = List.of("user", "movie", "genres", "year");
                    Path csv = datasets.resolve("movielens-small.csv.gz");
                    return new PeerStream(
                            name,
                            csv,
                            r,
                            null,
                            Task.REGRESSION,
                            0,
                            List.of(),
                            r.categorical,
                            0,
                            "rating 0.5 to 5 stars (time order)",
                            read(csv, r, limit, null));
                }
            default:
                throw new IllegalArgumentException(
                        "unknown stream '" + name + "'; streams are " + NAMES);
        }
    }

    private static CsvEvents.Roles roles(String model) {
        CsvEvents.Roles r = new CsvEvents.Roles();
        r.model = model;
        return r;
    }

    /**
     * The events of {@code file}: the first {@code limit} rows in file order ({@code shuffleSeed}
     * null), or every row shuffled with {@code new Random(shuffleSeed)} and then the first {@code
     * limit}, which is the order of Perpetua's replay with the same seed ({@code
     * ReplayStream.permutation}).
     */
    static List<Event> read(Path file, CsvEvents.Roles roles, long limit, Long shuffleSeed)
            throws IOException {
        List<Event> events = new ArrayList<>();
        try (CsvEvents rows = new CsvEvents(file, roles)) {
            while (rows.hasNext() && (shuffleSeed != null || events.size() < limit)) {
                events.add(rows.next());
            }
        }
        if (shuffleSeed != null) {
            Collections.shuffle(events, new Random(shuffleSeed));
        }
        return events.size() > limit ? new ArrayList<>(events.subList(0, (int) limit)) : events;
    }

    /** The class index (classification) or value (regression) of an event's label. */
    public static double label(Event e) {
        Object l = e.getLabel();
        if (!(l instanceof Number)) {
            throw new IllegalArgumentException("event " + e.getId() + " has no label");
        }
        return ((Number) l).doubleValue();
    }
}
