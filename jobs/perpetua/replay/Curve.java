package perpetua.replay;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.avro.Schema;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import perpetua.schemas.Metrics;
import perpetua.schemas.Task;

/**
 * The metric curve of a replay: one point per metrics window of each model (and challenger), with
 * the events replayed up to the window's end, written as CSV and plotted as PNG.
 *
 * <p>Which metrics a point has comes from the {@link Metrics} record itself: every nullable double
 * field that the window filled in. Adding a metric to the schema adds it to the curve. Windows are
 * added from the metrics stream's thread and read at the end; the methods are synchronized.
 */
public final class Curve {
    /** Size of the plot in pixels. */
    public static final int WIDTH = 900;

    public static final int HEIGHT = 540;

    /** One metrics window. {@code events} counts the replay's events up to the window's end. */
    public record Point(
            String model,
            String variant,
            int window,
            long events,
            long windowEvents,
            long labelled,
            long versionTo,
            double eventsPerSecond,
            Map<String, Double> metrics) {

        /** The model, or "model/challenger" for a challenger's window. */
        public String series() {
            return variant == null ? model : model + "/" + variant;
        }
    }

    private final List<Point> points = new ArrayList<>();
    private final Map<String, long[]> eventsSoFar = new HashMap<>();

    /** Adds a window and returns its point; null for a record that is no window (a promotion). */
    public synchronized Point add(Metrics m) {
        if (m.getEvent() != null) {
            return null;
        }
        String series = m.getVariant() == null ? m.getModel() : m.getModel() + "/" + m.getVariant();
        long[] so = eventsSoFar.computeIfAbsent(series, k -> new long[2]);
        so[0] += m.getEvents();
        so[1]++;
        Point p =
                new Point(
                        m.getModel(),
                        m.getVariant(),
                        (int) so[1],
                        so[0],
                        m.getEvents(),
                        m.getLabelled(),
                        m.getVersionTo(),
                        m.getEventsPerSecond(),
                        metrics(m));
        points.add(p);
        return p;
    }

    public synchronized List<Point> points() {
        return List.copyOf(points);
    }

    /** The metrics a record carries, by field name in schema order; unset ones left out. */
    public static Map<String, Double> metrics(Metrics m) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Schema.Field f : Metrics.SCHEMA$.getFields()) {
            if (isNullableDouble(f.schema()) && m.get(f.pos()) instanceof Double v) {
                out.put(f.name(), v);
            }
        }
        return out;
    }

    /**
     * The metrics worth printing: all but an AUC error bound of 0, which only says that the AUC is
     * exact, as it is over count windows.
     */
    public static Map<String, Double> shown(Map<String, Double> metrics) {
        Map<String, Double> out = new LinkedHashMap<>(metrics);
        if (Double.valueOf(0.0).equals(out.get("aucErrorBound"))) {
            out.remove("aucErrorBound");
        }
        return out;
    }

    private static boolean isNullableDouble(Schema s) {
        return s.getType() == Schema.Type.UNION
                && s.getTypes().size() == 2
                && s.getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.NULL)
                && s.getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.DOUBLE);
    }

    /** The metric a plot shows first: AUC, accuracy or RMSE by task. */
    public static String mainMetric(Task task) {
        return switch (task) {
            case BINARY -> "auc";
            case MULTICLASS -> "accuracy";
            case REGRESSION -> "rmse";
        };
    }

    // ---------------------------------------------------------------- console lines

    /** The column header of the printed curve, for a model whose windows have these metrics. */
    public static String header(Set<String> metrics) {
        StringBuilder b = new StringBuilder();
        b.append(
                String.format(
                        Locale.ROOT,
                        "%-16s %6s %12s %9s",
                        "model",
                        "window",
                        "events",
                        "labelled"));
        for (String name : metrics) {
            b.append(String.format(Locale.ROOT, " %9s", name));
        }
        return b.append(String.format(Locale.ROOT, " %10s", "events/s")).toString();
    }

    /** One printed line of the curve, in the columns of {@link #header}. */
    public static String line(Point p) {
        StringBuilder b = new StringBuilder();
        b.append(
                String.format(
                        Locale.ROOT,
                        "%-16s %6d %12d %9d",
                        p.series(),
                        p.window(),
                        p.events(),
                        p.labelled()));
        for (Double v : shown(p.metrics()).values()) {
            b.append(String.format(Locale.ROOT, " %9.4f", v));
        }
        return b.append(String.format(Locale.ROOT, " %10.0f", p.eventsPerSecond())).toString();
    }

    // ---------------------------------------------------------------- files

    /**
     * Writes the curve as CSV: model, variant, window, events (so far), windowEvents, labelled,
     * versionTo, one column per metric that any window has, eventsPerSecond. An unset metric is an
     * empty cell.
     */
    public static void writeCsv(List<Point> points, Path file) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        points.forEach(p -> names.addAll(p.metrics().keySet()));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("model,variant,window,events,windowEvents,labelled,versionTo");
            for (String n : names) {
                w.write("," + n);
            }
            w.write(",eventsPerSecond\n");
            for (Point p : points) {
                w.write(
                        String.join(
                                ",",
                                p.model(),
                                p.variant() == null ? "" : p.variant(),
                                Integer.toString(p.window()),
                                Long.toString(p.events()),
                                Long.toString(p.windowEvents()),
                                Long.toString(p.labelled()),
                                Long.toString(p.versionTo())));
                for (String n : names) {
                    Double v = p.metrics().get(n);
                    w.write("," + (v == null ? "" : String.format(Locale.ROOT, "%.6f", v)));
                }
                w.write(String.format(Locale.ROOT, ",%.1f%n", p.eventsPerSecond()));
            }
        }
    }

    /**
     * Plots {@code metric} against the events replayed, one line per model and challenger, as a
     * {@link #WIDTH} × {@link #HEIGHT} PNG. Windows without that metric are left out.
     */
    public static void writePng(List<Point> points, String metric, String title, Path file)
            throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title(title)
                        .xAxisTitle("events")
                        .yAxisTitle(metric)
                        .build();
        chart.getStyler().setMarkerSize(4);
        chart.getStyler().setXAxisDecimalPattern("#,###");
        chart.getStyler().setLegendVisible(true);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (Point p : points) {
            Double y = p.metrics().get(metric);
            if (y != null && Double.isFinite(y)) {
                series.computeIfAbsent(p.series(), k -> new ArrayList<>())
                        .add(new double[] {p.events(), y});
            }
        }
        if (series.isEmpty()) {
            // XChart draws no axes without data: one invisible point keeps the frame.
            chart.addSeries("no window", new double[] {0}, new double[] {0})
                    .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter)
                    .setMarkerColor(new java.awt.Color(0, 0, 0, 0));
        }
        for (Map.Entry<String, List<double[]>> s : series.entrySet()) {
            double[] x = s.getValue().stream().mapToDouble(v -> v[0]).toArray();
            double[] y = s.getValue().stream().mapToDouble(v -> v[1]).toArray();
            chart.addSeries(s.getKey(), x, y);
        }
        BufferedImage image = BitmapEncoder.getBufferedImage(chart);
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }
}
