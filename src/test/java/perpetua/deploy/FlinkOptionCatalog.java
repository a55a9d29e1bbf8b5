package perpetua.deploy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;

/**
 * Flink's own configuration options, collected from Flink's option classes on the class path, and
 * the check that a configuration names only real, current options with values they accept.
 *
 * <p>A key must be the primary key of a {@link ConfigOption} (a deprecated option or a deprecated
 * key is a problem: Flink 2 renamed many), and its value must parse as that option's type. Keys
 * under {@code metrics.reporter.<name>.} are reporter settings: Flink's generic reporter options
 * ({@code factory.class}, {@code interval}, ...) and the settings of the reporter the factory
 * names. String options whose values Flink checks only when the job starts (the restart strategy
 * and the state backend) are checked against the values Flink knows.
 */
final class FlinkOptionCatalog {

    /** Flink's option classes a Perpetua cluster configuration draws from. */
    static final List<String> OPTION_CLASSES =
            List.of(
                    "org.apache.flink.configuration.BlobServerOptions",
                    "org.apache.flink.configuration.CheckpointingOptions",
                    "org.apache.flink.configuration.ClusterOptions",
                    "org.apache.flink.configuration.CoreOptions",
                    "org.apache.flink.configuration.DeploymentOptions",
                    "org.apache.flink.configuration.ExecutionOptions",
                    "org.apache.flink.configuration.HeartbeatManagerOptions",
                    "org.apache.flink.configuration.HighAvailabilityOptions",
                    "org.apache.flink.configuration.JobManagerOptions",
                    "org.apache.flink.configuration.MetricOptions",
                    "org.apache.flink.configuration.NettyShuffleEnvironmentOptions",
                    "org.apache.flink.configuration.PipelineOptions",
                    "org.apache.flink.configuration.ResourceManagerOptions",
                    "org.apache.flink.configuration.RestOptions",
                    "org.apache.flink.configuration.RestartStrategyOptions",
                    "org.apache.flink.configuration.RpcOptions",
                    "org.apache.flink.configuration.SecurityOptions",
                    "org.apache.flink.configuration.StateBackendOptions",
                    "org.apache.flink.configuration.StateRecoveryOptions",
                    "org.apache.flink.configuration.TaskManagerOptions",
                    "org.apache.flink.configuration.WebOptions",
                    "org.apache.flink.state.rocksdb.RocksDBOptions",
                    "org.apache.flink.state.rocksdb.RocksDBConfigurableOptions");

    /** The settings of metric reporters beyond Flink's generic ones, by factory class. */
    static final Map<String, Set<String>> REPORTER_SETTINGS =
            Map.of(
                    // PrometheusReporterFactory.ARG_PORT: a port or a range such as 9249-9260.
                    "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                    Set.of("port"));

    private static final Pattern REPORTER_KEY =
            Pattern.compile("metrics\\.reporter\\.([^.]+)\\.(.+)");
    private static final Pattern PORT_OR_RANGE = Pattern.compile("(\\d{1,5})(-(\\d{1,5}))?");
    private static final Set<String> STATE_BACKENDS = Set.of("hashmap", "rocksdb");

    private final Map<String, Entry> options = new HashMap<>();
    private final Map<String, ConfigOption<?>> reporterOptions = new HashMap<>();

    /** An option and whether Flink deprecates it. */
    private record Entry(ConfigOption<?> option, boolean deprecated) {}

    FlinkOptionCatalog() {
        for (String name : OPTION_CLASSES) {
            Class<?> type;
            try {
                type = Class.forName(name);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("Flink option class missing: " + name, e);
            }
            for (Field f : type.getFields()) {
                if (!Modifier.isStatic(f.getModifiers())
                        || !ConfigOption.class.isAssignableFrom(f.getType())) {
                    continue;
                }
                ConfigOption<?> option;
                try {
                    option = (ConfigOption<?>) f.get(null);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                boolean deprecated = f.isAnnotationPresent(Deprecated.class);
                if (name.endsWith(".MetricOptions") && !option.key().startsWith("metrics.")) {
                    // factory.class, interval, scope.*, filter.*: under metrics.reporter.<name>.
                    if (!option.key().contains("<")) {
                        reporterOptions.put(option.key(), option);
                    }
                    continue;
                }
                options.merge(
                        option.key(),
                        new Entry(option, deprecated),
                        (a, b) -> a.deprecated() ? b : a);
            }
        }
    }

    /** The option with this primary key, if Flink has one. */
    ConfigOption<?> option(String key) {
        Entry e = options.get(key);
        return e == null ? null : e.option();
    }

    /** Every problem of a flat configuration (key to value as written), one line each. */
    List<String> problems(Map<String, String> config) {
        List<String> out = new ArrayList<>();
        Map<String, Map<String, String>> reporters = new TreeMap<>();
        for (Map.Entry<String, String> kv : new TreeMap<>(config).entrySet()) {
            String key = kv.getKey();
            String value = kv.getValue();
            Matcher reporter = REPORTER_KEY.matcher(key);
            if (reporter.matches()) {
                reporters
                        .computeIfAbsent(reporter.group(1), r -> new TreeMap<>())
                        .put(reporter.group(2), value);
                continue;
            }
            Entry e = options.get(key);
            if (e == null) {
                out.add(key + ": not a Flink option (deprecated keys count as unknown)");
                continue;
            }
            if (e.deprecated()) {
                out.add(key + ": deprecated in Flink");
            }
            String bad = parseProblem(e.option(), key, value);
            if (bad != null) {
                out.add(key + ": " + bad);
            }
        }
        reporters.forEach((name, settings) -> out.addAll(reporterProblems(name, settings)));
        return out;
    }

    private List<String> reporterProblems(String name, Map<String, String> settings) {
        List<String> out = new ArrayList<>();
        String prefix = "metrics.reporter." + name + ".";
        String factory = settings.get("factory.class");
        if (factory == null) {
            out.add(prefix + "factory.class: missing");
        } else {
            try {
                Class<?> type = Class.forName(factory);
                if (!org.apache.flink.metrics.reporter.MetricReporterFactory.class.isAssignableFrom(
                        type)) {
                    out.add(prefix + "factory.class: " + factory + " is no MetricReporterFactory");
                }
            } catch (ClassNotFoundException e) {
                out.add(prefix + "factory.class: no class " + factory);
            }
        }
        Set<String> own =
                factory == null ? Set.of() : REPORTER_SETTINGS.getOrDefault(factory, Set.of());
        for (Map.Entry<String, String> s : settings.entrySet()) {
            String key = s.getKey();
            ConfigOption<?> generic = reporterOptions.get(key);
            if (generic != null) {
                String bad = parseProblem(generic, key, s.getValue());
                if (bad != null) {
                    out.add(prefix + key + ": " + bad);
                }
            } else if (!own.contains(key)) {
                out.add(prefix + key + ": not a setting of " + factory);
            } else if (key.equals("port") && !isPortOrRange(s.getValue())) {
                out.add(prefix + key + ": not a port or a port range: " + s.getValue());
            }
        }
        return out;
    }

    private static String parseProblem(ConfigOption<?> option, String key, String value) {
        Object parsed;
        try {
            parsed = Configuration.fromMap(Map.of(key, value)).get(option);
        } catch (RuntimeException e) {
            return "bad value '" + value + "': " + e.getMessage();
        }
        if (key.equals(RestartStrategyOptions.RESTART_STRATEGY.key())) {
            try {
                RestartStrategyOptions.RestartStrategyType.of((String) parsed);
            } catch (RuntimeException e) {
                return "unknown restart strategy '" + value + "'";
            }
        }
        if (key.equals(StateBackendOptions.STATE_BACKEND.key())
                && !STATE_BACKENDS.contains(parsed)) {
            return "unknown state backend '" + value + "'";
        }
        return null;
    }

    private static boolean isPortOrRange(String value) {
        Matcher m = PORT_OR_RANGE.matcher(value.strip());
        if (!m.matches()) {
            return false;
        }
        int from = Integer.parseInt(m.group(1));
        int to = m.group(3) == null ? from : Integer.parseInt(m.group(3));
        return from >= 1 && to <= 65535 && from <= to;
    }
}
