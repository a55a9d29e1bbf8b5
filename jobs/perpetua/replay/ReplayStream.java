package perpetua.replay;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.Progress;
import perpetua.schemas.Event;
import perpetua.wire.WireFormat;

/**
 * The events of one replay, prepared before the job starts: CSV rows read once, in file order or
 * shuffled with a fixed seed, cut to a limit, and written as single-object encoded {@link Event}s
 * (the bytes the job reads from Kafka) to a file that {@link ReplaySource} streams.
 *
 * <p>Each row becomes one event per model, consecutive in the file. An event's id is its position
 * in the replay ("0", "1", ...), whatever the CSV's id column says, so that a prediction finds its
 * row's label by its event id. The labels stay here, one float per position (NaN for none), and so
 * does each position's CSV row for the messages about refused rows.
 */
public final class ReplayStream {
    /** The encoded events file, the number of rows replayed, and their labels in replay order. */
    public record Prepared(
            Path file, int rows, int copies, float[] labels, int[] csvRows, Event first) {

        /** Records in the file: every row once per model. */
        public long records() {
            return (long) rows * copies;
        }

        /** The 1-based data row of the CSV file that replay position {@code position} came from. */
        public int csvRow(long position) {
            return position >= 0 && position < rows ? csvRows[(int) position] : -1;
        }

        /** Rows with a readable label. */
        public int labelled() {
            int n = 0;
            for (float l : labels) {
                n += Float.isNaN(l) ? 0 : 1;
            }
            return n;
        }
    }

    private ReplayStream() {}

    /**
     * Reads {@code csv} by {@code roles} and writes the replay of {@code models} to {@code file}.
     *
     * @param shuffleSeed null keeps the file's order; otherwise every row is read and shuffled by
     *     {@link #permutation} before the limit takes the first rows
     * @param limit the number of rows to replay (0: all)
     * @throws IllegalArgumentException for a column that the CSV does not have, or no rows
     */
    public static Prepared prepare(
            Path csv,
            CsvEvents.Roles roles,
            List<String> models,
            Long shuffleSeed,
            long limit,
            Path file)
            throws IOException {
        return prepare(csv, roles, models, shuffleSeed, limit, file, null);
    }

    /**
     * As {@link #prepare(Path, CsvEvents.Roles, List, Long, long, Path)}, reporting the rows read
     * to {@code ticker} (null: nowhere).
     */
    public static Prepared prepare(
            Path csv,
            CsvEvents.Roles roles,
            List<String> models,
            Long shuffleSeed,
            long limit,
            Path file,
            Progress ticker)
            throws IOException {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("no model to replay");
        }
        long max = limit > 0 ? limit : Integer.MAX_VALUE;
        WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
        CsvEvents.Roles named = roles.copy();
        named.model = models.get(0);
        named.id = null; // ids are replay positions
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (CsvEvents rows = new CsvEvents(csv, named);
                DataOutputStream out =
                        new DataOutputStream(
                                new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            Writer w = new Writer(out, codec, models);
            if (shuffleSeed == null) {
                while (rows.hasNext() && w.rows < max) {
                    w.write(rows.next(), (int) rows.row());
                    tick(ticker, rows, limit);
                }
            } else {
                List<Event> all = new ArrayList<>();
                while (rows.hasNext()) {
                    all.add(rows.next());
                    tick(ticker, rows, 0);
                }
                int[] order = permutation(all.size(), shuffleSeed);
                for (int i = 0; i < order.length && w.rows < max; i++) {
                    w.write(all.get(order[i]), order[i] + 1);
                    all.set(order[i], null);
                }
            }
            if (ticker != null) {
                ticker.clear();
            }
            if (w.rows == 0) {
                throw new IllegalArgumentException("no rows to replay in " + csv);
            }
            return new Prepared(
                    file,
                    w.rows,
                    models.size(),
                    Arrays.copyOf(w.labels, w.rows),
                    Arrays.copyOf(w.csvRows, w.rows),
                    w.first);
        }
    }

    private static void tick(Progress ticker, CsvEvents rows, long limit) {
        if (ticker != null && (rows.row() & 1023) == 0) {
            double share =
                    limit > 0
                            ? Math.max((double) rows.row() / limit, rows.fractionRead())
                            : rows.fractionRead();
            ticker.update("read", rows.row(), Math.min(1, share));
        }
    }

    /**
     * The order in which a shuffled replay visits {@code n} rows: {@code Collections.shuffle}'s
     * Fisher–Yates over 0..n-1 with {@code new Random(seed)}, so any JVM (and any other learner
     * given the same seed through this method) sees the same stream.
     */
    public static int[] permutation(int n, long seed) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new Random(seed));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The label of an event as the Learner reads it: a class index or a value; NaN for none. */
    static float label(Event e) {
        Object l = e.getLabel();
        return l instanceof Number n ? n.floatValue() : Float.NaN;
    }

    /** Appends rows to the replay file, each once per model, and keeps their labels. */
    private static final class Writer {
        final DataOutputStream out;
        final WireFormat.Codec<Event> codec;
        final List<String> models;
        float[] labels = new float[1024];
        int[] csvRows = new int[1024];
        int rows;
        Event first;

        Writer(DataOutputStream out, WireFormat.Codec<Event> codec, List<String> models) {
            this.out = out;
            this.codec = codec;
            this.models = models;
        }

        void write(Event e, int csvRow) throws IOException {
            if (rows == labels.length) {
                labels = Arrays.copyOf(labels, rows * 2);
                csvRows = Arrays.copyOf(csvRows, rows * 2);
            }
            labels[rows] = label(e);
            csvRows[rows] = csvRow;
            e.setId(Integer.toString(rows));
            if (first == null) {
                first = Event.newBuilder(e).build();
            }
            for (String model : models) {
                e.setModel(model);
                byte[] bytes = codec.encode(e);
                out.writeInt(bytes.length);
                out.write(bytes);
            }
            rows++;
        }
    }
}
