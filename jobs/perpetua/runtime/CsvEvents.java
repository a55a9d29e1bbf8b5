package perpetua.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalQueries;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import perpetua.schemas.Event;

/**
 * Turns the rows of a CSV file (plain or gzip, header on the first line) into {@link Event}s by
 * column roles: id, time, label, numeric, categorical, dense, text, recommend (requests).
 *
 * <p>A role names columns by header; a name ending in {@code *} takes every column with that
 * prefix, in header order. Times are epoch milliseconds, a date, or a date and time as {@code
 * 2009-05-04 13:54:25} or ISO-8601, with an optional zone ({@code Z}, {@code +02:00}, {@code
 * Europe/Paris}); a time without one is UTC. A time column can also yield categorical features
 * ({@code hour}: hour of day, {@code dow}: day of week, in the time's own zone). A row whose label
 * or numeric value cannot be read is still published, carrying NaN, so that the job's validation
 * refuses it with a dead letter that names the row.
 */
public final class CsvEvents implements Iterator<Event>, AutoCloseable {

    /** Which column plays which part. */
    public static final class Roles implements Cloneable {
        public String model;
        public String id;
        public String time;
        public List<String> timeFeatures = List.of();
        public String label;
        public Double labelAbove;
        public boolean labelLog;
        public List<String> labelClasses = List.of();
        public List<String> numeric = List.of();
        public List<String> categorical = List.of();
        public List<String> dense = List.of();
        public String text;

        /**
         * The request column of a recommender: a whole number k above 0 makes the row a request for
         * its user's top k, 0 or empty an ordinary event.
         */
        public String recommend;

        /** Returns roles equal to these, whose fields can be set without changing these. */
        public Roles copy() {
            try {
                // A shallow copy carries every field, present and future; the lists are only read.
                return (Roles) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private final CSVParser parser;
    private final Iterator<CSVRecord> rows;
    private final Roles roles;
    private final List<String> denseColumns;
    private final Map<String, Integer> classIndex = new HashMap<>();
    private long row;

    /** The file being read, for {@link #fractionRead()}; null for a stream. */
    private SeekableByteChannel file;

    private long fileBytes;

    public CsvEvents(Path file, Roles roles) throws IOException {
        this(Files.newByteChannel(file), file.toString().endsWith(".gz"), roles);
        this.fileBytes = Files.size(file);
    }

    private CsvEvents(SeekableByteChannel channel, boolean gzip, Roles roles) throws IOException {
        this(open(channel, gzip), roles);
        this.file = channel;
    }

    public CsvEvents(InputStream in, Roles roles) throws IOException {
        if (roles.model == null || roles.model.isBlank()) {
            throw new IllegalArgumentException("a model name is required (--model)");
        }
        this.roles = roles;
        this.parser =
                CSVFormat.DEFAULT
                        .builder()
                        .setHeader()
                        .setSkipHeaderRecord(true)
                        .build()
                        .parse(
                                new BufferedReader(
                                        new InputStreamReader(in, StandardCharsets.UTF_8)));
        List<String> header = parser.getHeaderNames();
        this.denseColumns = expand(roles.dense, header);
        List<String> named = new ArrayList<>(denseColumns);
        named.addAll(roles.numeric);
        named.addAll(roles.categorical);
        for (String single :
                new String[] {roles.id, roles.time, roles.label, roles.text, roles.recommend}) {
            if (single != null) {
                named.add(single);
            }
        }
        for (String c : named) {
            if (!header.contains(c)) {
                throw new IllegalArgumentException(
                        "no column '" + c + "' in the CSV header " + header);
            }
        }
        for (String tf : roles.timeFeatures) {
            if (!tf.equals("hour") && !tf.equals("dow")) {
                throw new IllegalArgumentException("time features are hour and dow, not " + tf);
            }
        }
        if (!roles.timeFeatures.isEmpty() && roles.time == null) {
            throw new IllegalArgumentException("time features need a time column (--time)");
        }
        for (int i = 0; i < roles.labelClasses.size(); i++) {
            classIndex.put(roles.labelClasses.get(i), i);
        }
        this.rows = parser.iterator();
    }

    private static InputStream open(SeekableByteChannel channel, boolean gzip) throws IOException {
        InputStream in = Channels.newInputStream(channel);
        return gzip ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /**
     * The share of the file's bytes read so far, 0 to 1 (of the compressed bytes for a {@code .gz}
     * file): how far the rows have come; NaN when reading a stream.
     */
    public double fractionRead() {
        if (file == null || fileBytes <= 0) {
            return Double.NaN;
        }
        try {
            return Math.min(1.0, file.position() / (double) fileBytes);
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    static List<String> expand(List<String> columns, List<String> header) {
        List<String> out = new ArrayList<>();
        for (String c : columns) {
            if (c.endsWith("*")) {
                String prefix = c.substring(0, c.length() - 1);
                header.stream().filter(h -> h.startsWith(prefix)).forEach(out::add);
            } else {
                out.add(c);
            }
        }
        return out;
    }

    @Override
    public boolean hasNext() {
        return rows.hasNext();
    }

    @Override
    public Event next() {
        if (!rows.hasNext()) {
            throw new NoSuchElementException();
        }
        CSVRecord r = rows.next();
        row++;
        Event.Builder e = Event.newBuilder().setModel(roles.model);
        e.setId(roles.id != null ? r.get(roles.id) : roles.model + "-" + row);
        Map<String, String> categorical = new LinkedHashMap<>();
        long time = 0;
        if (roles.time != null) {
            ZonedDateTime z = parseTime(r.get(roles.time));
            time = z.toInstant().toEpochMilli();
            for (String tf : roles.timeFeatures) {
                categorical.put(
                        tf,
                        tf.equals("hour")
                                ? String.valueOf(z.getHour())
                                : dayName(z.getDayOfWeek()));
            }
        }
        e.setTime(time);
        List<Float> dense = new ArrayList<>(denseColumns.size());
        for (String c : denseColumns) {
            dense.add((float) number(r.get(c)));
        }
        e.setDense(dense);
        Map<String, Double> numeric = new LinkedHashMap<>();
        for (String c : roles.numeric) {
            numeric.put(c, number(r.get(c)));
        }
        e.setNumeric(numeric);
        for (String c : roles.categorical) {
            categorical.put(c, r.get(c));
        }
        e.setCategorical(categorical);
        if (roles.text != null) {
            e.setText(r.get(roles.text));
        }
        if (roles.label != null) {
            e.setLabel(label(r.get(roles.label)));
        }
        if (roles.recommend != null) {
            e.setRecommend(request(r.get(roles.recommend)));
        }
        return e.build();
    }

    /**
     * How many items a row's request column asks for: 0 when empty. A value that is no whole number
     * in int range comes out as -1, which the job's validation refuses with a dead letter naming
     * the row, as an unreadable number comes out as NaN.
     */
    static int request(String raw) {
        String v = raw.trim();
        if (v.isEmpty()) {
            return 0;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The 1-based number of the last row returned. */
    public long row() {
        return row;
    }

    private Object label(String raw) {
        if (roles.labelAbove != null) {
            return number(raw) > roles.labelAbove ? 1 : 0;
        }
        if (!classIndex.isEmpty()) {
            Integer k = classIndex.get(raw);
            // An unknown class becomes an impossible index, so validation dead-letters it.
            return k != null ? k : -1;
        }
        double v = number(raw);
        if (roles.labelLog) {
            // A value <= 0 has no logarithm: NaN, which validation dead-letters with its row.
            return v > 0 ? Math.log(v) : Double.NaN;
        }
        return v == Math.rint(v) && Math.abs(v) < Integer.MAX_VALUE ? (Object) (int) v : (Object) v;
    }

    private static double number(String raw) {
        try {
            return Double.parseDouble(raw.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static String dayName(DayOfWeek d) {
        return d.name().substring(0, 3).toLowerCase();
    }

    /**
     * A date and time as CSV exports write them: ISO-8601 with {@code T} or a space between date
     * and time ({@code 2009-05-04 13:54:25}, seconds and fractions optional), then optionally a
     * zone: {@code Z}, an offset ({@code +02:00}, {@code +0200}, {@code +02}, after a space or not)
     * or a region ({@code Europe/Paris}, {@code UTC}).
     */
    private static final DateTimeFormatter DATE_TIME =
            new DateTimeFormatterBuilder()
                    .parseCaseInsensitive()
                    .append(DateTimeFormatter.ISO_LOCAL_DATE)
                    .optionalStart()
                    .appendLiteral('T')
                    .optionalEnd()
                    .optionalStart()
                    .appendLiteral(' ')
                    .optionalEnd()
                    .append(DateTimeFormatter.ISO_LOCAL_TIME)
                    .optionalStart()
                    .appendLiteral(' ')
                    .optionalEnd()
                    .optionalStart()
                    .appendZoneOrOffsetId()
                    .optionalEnd()
                    .optionalStart()
                    .appendOffset("+HHMM", "Z")
                    .optionalEnd()
                    .optionalStart()
                    .appendOffset("+HH", "Z")
                    .optionalEnd()
                    .toFormatter();

    /**
     * Reads a time: epoch milliseconds, a date, or a date and time with or without a zone (see
     * {@link #DATE_TIME}); one without a zone is UTC. The result keeps the zone it was written in,
     * so that the hour and weekday features are those of the place that wrote it.
     */
    static ZonedDateTime parseTime(String raw) {
        String s = raw.trim();
        ZonedDateTime plain = plainDateTime(s);
        if (plain != null) {
            return plain;
        }
        if (s.chars().allMatch(Character::isDigit) && !s.isEmpty()) {
            return Instant.ofEpochMilli(Long.parseLong(s)).atZone(ZoneOffset.UTC);
        }
        try {
            TemporalAccessor t = DATE_TIME.parse(s);
            ZoneId zone = t.query(TemporalQueries.zone());
            return zone == null
                    ? LocalDateTime.from(t).atZone(ZoneOffset.UTC)
                    : ZonedDateTime.from(t);
        } catch (DateTimeException ignored) {
            // fall through to a plain date
        }
        try {
            return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    "cannot read time '"
                            + raw
                            + "': use epoch ms, YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS (or ISO-8601 with"
                            + " a T), optionally followed by a zone such as Z, +02:00 or"
                            + " Europe/Paris");
        }
    }

    /**
     * The commonest form, {@code YYYY-MM-DD HH:MM} or {@code YYYY-MM-DDTHH:MM}, seconds optional,
     * without a zone (so UTC), read digit by digit; null for any other form, which {@link
     * #DATE_TIME} reads. A time per row makes the general formatter the dearest part of publishing.
     */
    private static ZonedDateTime plainDateTime(String s) {
        int n = s.length();
        if ((n != 16 && n != 19)
                || s.charAt(4) != '-'
                || s.charAt(7) != '-'
                || (s.charAt(10) != ' ' && s.charAt(10) != 'T')
                || s.charAt(13) != ':'
                || (n == 19 && s.charAt(16) != ':')) {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 7);
        int day = digits(s, 8, 10);
        int hour = digits(s, 11, 13);
        int minute = digits(s, 14, 16);
        int second = n == 19 ? digits(s, 17, 19) : 0;
        if ((year | month | day | hour | minute | second) < 0) {
            return null;
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second).atZone(ZoneOffset.UTC);
        } catch (DateTimeException outOfRange) {
            return null; // the formatter says what is wrong with it
        }
    }

    /** The decimal number in {@code s[from, to)}, or -1 when a character is not a digit. */
    private static int digits(String s, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
