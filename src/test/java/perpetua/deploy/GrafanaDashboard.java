package perpetua.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Grafana dashboard's queries, and the checks that bind them to real series: every selector a
 * query uses must match a series of a Prometheus scrape, with every label it filters, groups or
 * names in its legend.
 */
final class GrafanaDashboard {
    /** One query: where it is, its PromQL, and its legend format (may be empty). */
    record Query(String where, String expr, String legend) {}

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?");
    private static final Pattern LEGEND_LABEL =
            Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*}}");
    private static final Pattern LABEL_VALUES =
            Pattern.compile("label_values\\((.+),\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)");

    /** Grafana's own interval variables, replaced by a plain range for parsing. */
    private static final Set<String> BUILT_INS =
            Set.of("__rate_interval", "__interval", "__range", "__range_s", "__range_ms");

    private final JsonNode root;

    private GrafanaDashboard(JsonNode root) {
        this.root = root;
    }

    static GrafanaDashboard read(Path file) throws IOException {
        return new GrafanaDashboard(new ObjectMapper().readTree(file.toFile()));
    }

    static GrafanaDashboard parse(String json) throws IOException {
        return new GrafanaDashboard(new ObjectMapper().readTree(json));
    }

    /** The names of the dashboard's template variables. */
    Set<String> variables() {
        Set<String> out = new LinkedHashSet<>();
        root.path("templating").path("list").forEach(v -> out.add(v.path("name").asText()));
        return out;
    }

    /** Every panel query, then every template variable's query. */
    List<Query> queries() {
        List<Query> out = new ArrayList<>();
        for (JsonNode panel : panels()) {
            for (JsonNode t : panel.path("targets")) {
                out.add(
                        new Query(
                                "panel '"
                                        + panel.path("title").asText()
                                        + "' "
                                        + t.path("refId").asText(),
                                t.path("expr").asText(),
                                t.path("legendFormat").asText()));
            }
        }
        for (JsonNode v : root.path("templating").path("list")) {
            JsonNode q = v.path("query");
            String expr = q.isObject() ? q.path("query").asText() : q.asText();
            out.add(new Query("variable $" + v.path("name").asText(), expr, ""));
        }
        return out;
    }

    /** The metric names the queries select, sorted. */
    Set<String> metricNames() {
        Set<String> out = new TreeSet<>();
        for (Query q : queries()) {
            parsed(q).selectors().forEach(s -> out.add(s.metric()));
        }
        return out;
    }

    /**
     * Problems that need no scrape: panels without queries, a datasource other than {@code
     * datasourceUid}, duplicate panel ids, names that are not PromQL, variables the dashboard
     * lacks, metrics that are not the Flink reporter's.
     */
    List<String> staticProblems(String datasourceUid) {
        List<String> out = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels()) {
            String title = "panel '" + panel.path("title").asText() + "'";
            if (!ids.add(panel.path("id").asInt())) {
                out.add(title + ": duplicate id " + panel.path("id").asInt());
            }
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            if (panel.path("targets").isEmpty()) {
                out.add(title + ": no query");
            }
            checkDatasource(title, panel.path("datasource"), datasourceUid, out);
            for (JsonNode t : panel.path("targets")) {
                checkDatasource(title, t.path("datasource"), datasourceUid, out);
            }
        }
        for (JsonNode v : root.path("templating").path("list")) {
            checkDatasource(
                    "variable $" + v.path("name").asText(),
                    v.path("datasource"),
                    datasourceUid,
                    out);
        }
        Set<String> variables = variables();
        for (Query q : queries()) {
            if (q.expr().isBlank()) {
                out.add(q.where() + ": empty query");
                continue;
            }
            Matcher m = VARIABLE.matcher(q.expr());
            while (m.find()) {
                if (!BUILT_INS.contains(m.group(1)) && !variables.contains(m.group(1))) {
                    out.add(q.where() + ": $" + m.group(1) + " is no variable of the dashboard");
                }
            }
            PromQl.Parsed p = parsed(q);
            p.unknown().forEach(u -> out.add(q.where() + ": '" + u + "' is not PromQL"));
            if (p.selectors().isEmpty()) {
                out.add(q.where() + ": selects no metric");
            }
            for (PromQl.Selector s : p.selectors()) {
                if (!s.metric().startsWith("flink_")) {
                    out.add(q.where() + ": " + s.metric() + " is not a metric of Flink's reporter");
                }
            }
        }
        return out;
    }

    /** Problems against a scrape: a selector, label or legend label no series carries. */
    List<String> scrapeProblems(PrometheusScrape scrape) {
        List<String> out = new ArrayList<>();
        for (Query q : queries()) {
            PromQl.Parsed p = parsed(q);
            Set<String> needed = new LinkedHashSet<>(p.groupingLabels());
            Matcher legend = LEGEND_LABEL.matcher(q.legend());
            while (legend.find()) {
                if (!p.groupingLabels().isEmpty()
                        && !p.groupingLabels().contains(legend.group(1))) {
                    out.add(
                            q.where()
                                    + ": legend label "
                                    + legend.group(1)
                                    + " is aggregated away");
                } else {
                    needed.add(legend.group(1));
                }
            }
            Matcher lv = LABEL_VALUES.matcher(q.expr());
            if (lv.matches()) {
                needed.add(lv.group(2));
            }
            for (PromQl.Selector s : p.selectors()) {
                List<PrometheusScrape.Sample> series =
                        scrape.of(s.metric()).stream()
                                .filter(
                                        x ->
                                                s.matchers().stream()
                                                        .allMatch(
                                                                m ->
                                                                        m.test(
                                                                                x.labels()
                                                                                        .get(
                                                                                                m
                                                                                                        .label()))))
                                .toList();
                if (series.isEmpty()) {
                    out.add(
                            q.where()
                                    + ": no series "
                                    + s.metric()
                                    + s.matchers()
                                    + " in the scrape");
                    continue;
                }
                for (String label : needed) {
                    if (series.stream().noneMatch(x -> x.labels().containsKey(label))) {
                        out.add(q.where() + ": " + s.metric() + " has no label " + label);
                    }
                }
            }
        }
        return out;
    }

    private List<JsonNode> panels() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : root.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add); // the panels of a collapsed row
        }
        return out;
    }

    private static void checkDatasource(String where, JsonNode ds, String uid, List<String> out) {
        if (!ds.isMissingNode() && !uid.equals(ds.path("uid").asText())) {
            out.add(where + ": datasource " + ds + " is not the provisioned " + uid);
        }
    }

    /** The query parsed, variables replaced: a custom variable by "match anything". */
    private static PromQl.Parsed parsed(Query q) {
        Matcher lv = LABEL_VALUES.matcher(q.expr());
        String expr = lv.matches() ? lv.group(1) : q.expr();
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, BUILT_INS.contains(m.group(1)) ? "1m" : ".*");
        }
        m.appendTail(sb);
        return PromQl.parse(sb.toString());
    }
}
