package perpetua.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The parts of a PromQL expression a dashboard check needs: the series selectors with their label
 * matchers, the labels it groups by, and any name that is neither a known function nor a metric.
 *
 * <p>A small reader, not a full PromQL parser: it skips strings, ranges ({@code [5m]}), numbers and
 * operators, and reads identifiers in context. A name followed by {@code (} must be a PromQL
 * function or aggregation; {@code by}, {@code without}, {@code on} and {@code ignoring} take a
 * label list; any other name is a metric.
 */
final class PromQl {
    /** Aggregations and functions a Perpetua dashboard may use, and Grafana's label_values. */
    static final Set<String> FUNCTIONS =
            Set.of(
                    "sum",
                    "min",
                    "max",
                    "avg",
                    "count",
                    "stddev",
                    "stdvar",
                    "topk",
                    "bottomk",
                    "quantile",
                    "group",
                    "rate",
                    "irate",
                    "increase",
                    "delta",
                    "idelta",
                    "deriv",
                    "abs",
                    "ceil",
                    "floor",
                    "round",
                    "clamp",
                    "clamp_min",
                    "clamp_max",
                    "histogram_quantile",
                    "sort",
                    "sort_desc",
                    "time",
                    "timestamp",
                    "vector",
                    "scalar",
                    "absent",
                    "avg_over_time",
                    "max_over_time",
                    "min_over_time",
                    "sum_over_time",
                    "count_over_time",
                    "last_over_time",
                    "changes",
                    "resets",
                    "predict_linear",
                    "label_values");

    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring");
    private static final Set<String> KEYWORDS =
            Set.of("and", "or", "unless", "bool", "offset", "group_left", "group_right");
    private static final Pattern IDENTIFIER_START = Pattern.compile("[A-Za-z_:]");
    private static final Pattern IDENTIFIER_PART = Pattern.compile("[A-Za-z0-9_:]");

    /** A label matcher: {@code label op "value"} with op one of =, !=, =~, !~. */
    record Matcher(String label, String op, String value) {
        /** Whether a series' label value (null when it lacks the label) satisfies this. */
        boolean test(String actual) {
            String v = actual == null ? "" : actual;
            return switch (op) {
                case "=" -> v.equals(value);
                case "!=" -> !v.equals(value);
                case "=~" -> v.matches(value);
                case "!~" -> !v.matches(value);
                default -> throw new IllegalStateException(op);
            };
        }
    }

    /** A series selector: a metric name and its matchers. */
    record Selector(String metric, List<Matcher> matchers) {}

    /** What an expression selects, groups by, and names that are not PromQL. */
    record Parsed(List<Selector> selectors, Set<String> groupingLabels, List<String> unknown) {}

    private final String s;
    private int at;
    private final List<Selector> selectors = new ArrayList<>();
    private final Set<String> grouping = new LinkedHashSet<>();
    private final List<String> unknown = new ArrayList<>();

    private PromQl(String expr) {
        this.s = expr;
    }

    /** Reads an expression whose dashboard variables have been replaced by values. */
    static Parsed parse(String expr) {
        PromQl p = new PromQl(expr);
        p.read();
        return new Parsed(List.copyOf(p.selectors), Set.copyOf(p.grouping), List.copyOf(p.unknown));
    }

    private void read() {
        while (at < s.length()) {
            char c = s.charAt(at);
            if (c == '"' || c == '\'' || c == '`') {
                skipString(c);
            } else if (c == '[') {
                at = s.indexOf(']', at) + 1;
                if (at == 0) {
                    unknown.add("unclosed [");
                    return;
                }
            } else if (Character.isDigit(c) || c == '.') {
                while (at < s.length()
                        && (Character.isLetterOrDigit(s.charAt(at)) || s.charAt(at) == '.')) {
                    at++;
                }
            } else if (IDENTIFIER_START.matcher(String.valueOf(c)).matches()) {
                identifier();
            } else if (c == '{') {
                unknown.add("a selector without a metric name");
                selectors.add(new Selector("", matchers()));
            } else {
                at++;
            }
        }
    }

    private void identifier() {
        int start = at;
        while (at < s.length() && IDENTIFIER_PART.matcher(String.valueOf(s.charAt(at))).matches()) {
            at++;
        }
        String name = s.substring(start, at);
        char next = peek();
        if (GROUPING.contains(name)) {
            if (next == '(') {
                at = s.indexOf('(', at) + 1;
                int end = s.indexOf(')', at);
                for (String label : s.substring(at, end).split(",")) {
                    if (!label.isBlank()) {
                        grouping.add(label.strip());
                    }
                }
                at = end + 1;
            }
        } else if (KEYWORDS.contains(name) || FUNCTIONS.contains(name)) {
            // an operator, a modifier, or a function (an aggregation may put `by` first)
        } else if (next == '(') {
            unknown.add(name);
        } else if (next == '{') {
            at = s.indexOf('{', at);
            selectors.add(new Selector(name, matchers()));
        } else {
            selectors.add(new Selector(name, List.of()));
        }
    }

    /** Reads {@code {label op "value", ...}} at the opening brace. */
    private List<Matcher> matchers() {
        List<Matcher> out = new ArrayList<>();
        at++; // {
        while (true) {
            skipSpace();
            if (at >= s.length()) {
                unknown.add("unclosed {");
                return out;
            }
            if (s.charAt(at) == '}') {
                at++;
                return out;
            }
            if (s.charAt(at) == ',') {
                at++;
                continue;
            }
            int start = at;
            while (at < s.length()
                    && IDENTIFIER_PART.matcher(String.valueOf(s.charAt(at))).matches()) {
                at++;
            }
            String label = s.substring(start, at);
            skipSpace();
            String op;
            if (s.startsWith("=~", at) || s.startsWith("!~", at) || s.startsWith("!=", at)) {
                op = s.substring(at, at + 2);
            } else if (s.startsWith("=", at)) {
                op = "=";
            } else {
                unknown.add("matcher without an operator after " + label);
                return out;
            }
            at += op.length();
            skipSpace();
            char quote = s.charAt(at);
            int end = s.indexOf(quote, at + 1);
            out.add(new Matcher(label, op, s.substring(at + 1, end)));
            at = end + 1;
        }
    }

    private void skipString(char quote) {
        int end = s.indexOf(quote, at + 1);
        at = end < 0 ? s.length() : end + 1;
    }

    private void skipSpace() {
        while (at < s.length() && Character.isWhitespace(s.charAt(at))) {
            at++;
        }
    }

    private char peek() {
        int i = at;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i < s.length() ? s.charAt(i) : 0;
    }
}
