package perpetua.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import perpetua.replay.Curve;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.schemas.SpecAction;
import perpetua.schemas.Task;

/**
 * What the dashboard shows, built from the records of the control, models, metrics and dead-letter
 * topics in the order they are read: every model with its state, version, examples seen and last
 * metrics; a learning curve per model and learner (champion and each challenger) with the task's
 * main metric, its loss and events per second against the events seen; the drift warnings, drifts,
 * replacements and promotions on those curves; the dead letters counted by reason, with the latest.
 *
 * <p>Each record applied returns the change as a JSON delta for the pages that are open; {@link
 * #toJson()} is the whole state for a page that opens. A curve keeps at most {@link #MAX_POINTS}
 * points, thinning its older half when full. Thread-safe.
 */
public final class DashboardState {
    /** Points a curve keeps at most. */
    public static final int MAX_POINTS = 2_000;

    /** Latest dead letters kept. */
    static final int LATEST_DEAD_LETTERS = 20;

    /** The name of a champion's curve, beside its challengers' names. */
    static final String CHAMPION = "champion";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, ObjectNode> models = new TreeMap<>();
    private final Map<String, Series> curves = new LinkedHashMap<>();
    private final Map<String, ArrayNode> markers = new TreeMap<>();
    private final Map<String, Long> deadLettersByReason = new TreeMap<>();
    private final Deque<ObjectNode> latestDeadLetters = new ArrayDeque<>();
    private long deadLetters;
    private long sequence;
    private String status = "starting";

    /** One learner's curve: its points, and the events it has seen. */
    private static final class Series {
        final String model;
        final String learner;
        final ArrayNode points = JSON.createArrayNode();
        long events;

        Series(String model, String learner) {
            this.model = model;
            this.learner = learner;
        }
    }

    /** Where the topics stand, in words: waiting for them, or following them. */
    public synchronized ObjectNode status(String words) {
        status = words;
        return delta("status").put("status", words);
    }

    /** A spec published on the control topic: a new model is pending until it learns. */
    public synchronized ObjectNode apply(ModelSpec spec) {
        ObjectNode m = model(spec.getModel());
        if (spec.getAction() == SpecAction.RETIRE) {
            m.put("state", "retired");
        } else if (!m.has("state") || m.get("state").asText().equals("retired")) {
            m.put("state", m.has("version") ? "learning" : "pending");
        }
        m.put("task", spec.getTask().name());
        return modelDelta(m);
    }

    /** A snapshot on the models topic: the model's version, examples seen and metrics. */
    public synchronized ObjectNode apply(ModelSnapshot s) {
        ObjectNode m = model(s.getModel());
        m.put("state", s.getState() == ModelState.RETIRED ? "retired" : "learning");
        m.put("version", Math.max(s.getVersion(), m.path("version").asLong(0)));
        m.put("examplesSeen", s.getExamplesSeen());
        m.put("task", s.getSpec().getTask().name());
        m.put("snapshotAt", s.getTime());
        if (s.getEvent() != null) {
            m.put("lastSnapshotEvent", s.getEvent());
        }
        ObjectNode metrics = m.putObject("snapshotMetrics");
        s.getMetrics().forEach((k, v) -> putFinite(metrics, k, v));
        return modelDelta(m);
    }

    /**
     * A metrics record: a window adds a point to its learner's curve (and, for the champion, sets
     * the model's last metrics); a drift signal, replacement or promotion adds a marker.
     */
    public synchronized ObjectNode apply(Metrics r) {
        String learner = r.getVariant() == null ? CHAMPION : r.getVariant();
        Series series =
                curves.computeIfAbsent(
                        r.getModel() + "/" + learner, k -> new Series(r.getModel(), learner));
        if (r.getEvent() != null) {
            ObjectNode marker =
                    JSON.createObjectNode()
                            .put("model", r.getModel())
                            .put("learner", learner)
                            .put("event", r.getEvent())
                            .put("events", series.events)
                            .put("time", r.getWindowEnd());
            if (r.getDetail() != null) {
                marker.put("detail", r.getDetail());
            }
            if (r.getDetector() != null) {
                marker.put("detector", r.getDetector());
            }
            markers.computeIfAbsent(r.getModel(), k -> JSON.createArrayNode()).add(marker);
            return delta("marker").set("marker", marker);
        }
        series.events += r.getEvents();
        String main = Curve.mainMetric(r.getTask());
        ObjectNode point =
                JSON.createObjectNode()
                        .put("events", series.events)
                        .put("version", r.getVersionTo())
                        .put("time", r.getWindowEnd());
        putFinite(point, "metric", value(r, main));
        putFinite(point, "loss", loss(r));
        putFinite(point, "eventsPerSecond", r.getEventsPerSecond());
        series.points.add(point);
        if (series.points.size() > MAX_POINTS) {
            thin(series.points);
        }
        ObjectNode out =
                delta("point")
                        .put("model", series.model)
                        .put("learner", learner)
                        .put("metricName", main)
                        .put("lossName", lossName(r.getTask()))
                        .set("point", point);
        if (learner.equals(CHAMPION)) {
            ObjectNode m = model(r.getModel());
            m.put("task", r.getTask().name());
            m.put("version", Math.max(r.getVersionTo(), m.path("version").asLong(0)));
            if (!m.has("state") || m.get("state").asText().equals("pending")) {
                m.put("state", "learning");
            }
            ObjectNode last = m.putObject("lastMetrics");
            metricsOf(r).forEach((k, v) -> putFinite(last, k, v));
            putFinite(last, "eventsPerSecond", r.getEventsPerSecond());
            out.set("modelEntry", m.deepCopy());
        }
        return out;
    }

    /** A dead letter: counted by its reason's kind, and kept among the latest. */
    public synchronized ObjectNode apply(DeadLetter d) {
        deadLetters++;
        String kind = reasonKind(d.getReason());
        deadLettersByReason.merge(kind, 1L, Long::sum);
        ObjectNode entry =
                JSON.createObjectNode()
                        .put("time", d.getTime())
                        .put("topic", d.getSourceTopic())
                        .put("partition", d.getPartition())
                        .put("offset", d.getOffset())
                        .put("reason", d.getReason());
        if (d.getModel() != null) {
            entry.put("model", d.getModel());
        }
        latestDeadLetters.addFirst(entry);
        while (latestDeadLetters.size() > LATEST_DEAD_LETTERS) {
            latestDeadLetters.removeLast();
        }
        ObjectNode out =
                delta("deadLetter")
                        .put("total", deadLetters)
                        .put("reasonKind", kind)
                        .put("reasonCount", deadLettersByReason.get(kind));
        return out.set("latest", entry);
    }

    /** The whole state, for a page that opens. */
    public synchronized ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode().put("sequence", sequence).put("status", status);
        ObjectNode ms = o.putObject("models");
        models.forEach((k, v) -> ms.set(k, v.deepCopy()));
        ArrayNode cs = o.putArray("curves");
        for (Series s : curves.values()) {
            cs.addObject()
                    .put("model", s.model)
                    .put("learner", s.learner)
                    .set("points", s.points.deepCopy());
        }
        ObjectNode mk = o.putObject("markers");
        markers.forEach((k, v) -> mk.set(k, v.deepCopy()));
        ObjectNode dl = o.putObject("deadLetters").put("total", deadLetters);
        ObjectNode by = dl.putObject("byReason");
        deadLettersByReason.forEach(by::put);
        ArrayNode latest = dl.putArray("latest");
        latestDeadLetters.forEach(e -> latest.add(e.deepCopy()));
        return o;
    }

    /**
     * The kind of a dead letter's reason, to count by: the reason up to its first colon, number or
     * quote, e.g. {@code unknown model} or {@code malformed Avro body}.
     */
    static String reasonKind(String reason) {
        String r = reason == null ? "" : reason;
        int end = r.length();
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            if (c == ':' || c == '\'' || c == '"' || Character.isDigit(c) || c == ',') {
                end = i;
                break;
            }
        }
        String kind = r.substring(0, end).strip();
        return kind.isEmpty() ? "other" : kind.length() > 60 ? kind.substring(0, 60) : kind;
    }

    private ObjectNode model(String name) {
        return models.computeIfAbsent(name, n -> JSON.createObjectNode().put("model", n));
    }

    private ObjectNode modelDelta(ObjectNode m) {
        return delta("model").set("modelEntry", m.deepCopy());
    }

    private ObjectNode delta(String kind) {
        return JSON.createObjectNode().put("kind", kind).put("sequence", ++sequence);
    }

    /** Halves the older half of a full curve, keeping the recent points whole. */
    private static void thin(ArrayNode points) {
        int half = points.size() / 2;
        for (int i = half - 1; i > 0; i -= 2) {
            points.remove(i);
        }
    }

    private static Double loss(Metrics r) {
        return r.getTask() == Task.REGRESSION ? r.getMae() : r.getLogLoss();
    }

    private static String lossName(Task task) {
        return task == Task.REGRESSION ? "mae" : "logLoss";
    }

    private static Double value(Metrics r, String metric) {
        return metricsOf(r).get(metric);
    }

    private static Map<String, Double> metricsOf(Metrics r) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("accuracy", r.getAccuracy());
        m.put("auc", r.getAuc());
        m.put("logLoss", r.getLogLoss());
        m.put("precision", r.getPrecision());
        m.put("recall", r.getRecall());
        m.put("f1", r.getF1());
        m.put("macroF1", r.getMacroF1());
        m.put("kappa", r.getKappa());
        m.put("mae", r.getMae());
        m.put("rmse", r.getRmse());
        m.put("r2", r.getR2());
        m.values().removeIf(v -> v == null);
        return m;
    }

    private static void putFinite(ObjectNode o, String key, Double v) {
        if (v != null && Double.isFinite(v)) {
            o.put(key, v);
        }
    }
}
