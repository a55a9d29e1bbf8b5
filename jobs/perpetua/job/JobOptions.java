package perpetua.job;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import perpetua.ingest.RecordLimits;
import perpetua.runtime.KafkaConnection;

/**
 * The options of the online learning job: typed, with defaults and descriptions.
 *
 * <p>Given on the command line as {@code --KEY VALUE}. The options are declared by group in {@link
 * KafkaTopicOptions}, {@link ModelSpecOptions}, {@link RuntimeOptions} and {@link
 * RecordLimitOptions}; this class parses and validates them. The option table in the README is
 * generated from these definitions ({@code ./perpetua options}).
 */
public final class JobOptions {
    /** The classes that declare the options, in the order of the README's option table. */
    private static final List<Class<?>> GROUPS =
            List.of(
                    KafkaTopicOptions.class,
                    ModelSpecOptions.class,
                    RuntimeOptions.class,
                    RecordLimitOptions.class);

    private final Configuration config;

    /** The KEY=VALUE Kafka settings, kept out of the Flink configuration: they may be secrets. */
    private final List<String> kafkaProperties;

    private transient KafkaConnection kafka;

    private JobOptions(Configuration config, List<String> kafkaProperties) {
        this.config = config;
        this.kafkaProperties = List.copyOf(kafkaProperties);
    }

    /** Every option, group by group and in declaration order within each. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> out = new ArrayList<>();
        for (Class<?> group : GROUPS) {
            for (Field f : group.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigOption.class) {
                    try {
                        out.add((ConfigOption<?>) f.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return out;
    }

    /** Parses {@code --KEY VALUE} pairs; unknown keys and bad values fail with the usage. */
    public static JobOptions fromArgs(String... args) {
        Map<String, String> values = new HashMap<>();
        List<String> kafkaProperties = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException(
                        "expected --KEY VALUE, got '" + a + "'\n" + usage());
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (isSwitch(key) && (i + 1 == args.length || args[i + 1].startsWith("--"))) {
                value = "true";
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(
                        "option --" + key + " needs a value\n" + usage());
            }
            if (key.equals(KafkaTopicOptions.KAFKA_PROPERTY.key())) {
                kafkaProperties.add(value);
            } else {
                values.put(key, value);
            }
        }
        return fromMap(values, kafkaProperties);
    }

    /** A boolean option, which may be given without a value to mean true. */
    private static boolean isSwitch(String key) {
        return all().stream()
                .anyMatch(o -> o.key().equals(key) && o.defaultValue() instanceof Boolean);
    }

    public static JobOptions fromMap(Map<String, String> values) {
        return fromMap(values, List.of());
    }

    private static JobOptions fromMap(Map<String, String> values, List<String> kafkaProperties) {
        List<String> known = all().stream().map(ConfigOption::key).toList();
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown option --" + key + "\n" + usage());
            }
        }
        Configuration config = Configuration.fromMap(values);
        JobOptions options = new JobOptions(config, kafkaProperties);
        for (ConfigOption<?> o : all()) {
            try {
                config.get(o);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "bad value for --" + o.key() + ": " + e.getMessage(), e);
            }
        }
        if (!config.getOptional(KafkaTopicOptions.BOOTSTRAP_SERVERS).isPresent()
                && !config.getOptional(KafkaTopicOptions.KAFKA_CONFIG).isPresent()) {
            throw new IllegalArgumentException("--bootstrap-servers is required\n" + usage());
        }
        for (String p : kafkaProperties) {
            if (p.indexOf('=') <= 0) {
                throw new IllegalArgumentException(
                        "--"
                                + KafkaTopicOptions.KAFKA_PROPERTY.key()
                                + " takes KEY=VALUE; one of them has no key");
            }
        }

        if (config.get(RuntimeOptions.STATE_BACKEND) != null
                && !List.of("hashmap", "rocksdb")
                        .contains(config.get(RuntimeOptions.STATE_BACKEND))) {
            throw new IllegalArgumentException(
                    "--state-backend must be hashmap or rocksdb, not "
                            + config.get(RuntimeOptions.STATE_BACKEND));
        }
        RecordLimitOptions.validate(config);
        String start = config.get(RuntimeOptions.STARTING_OFFSETS);
        if (!List.of("committed", "earliest", "latest").contains(start)) {
            throw new IllegalArgumentException(
                    "--starting-offsets must be committed, earliest or latest, not " + start);
        }
        return options;
    }

    public <T> T get(ConfigOption<T> option) {
        return config.get(option);
    }

    /**
     * The Kafka cluster and client settings of the source, the sinks and the admin client: the
     * kafka-config file, read on first use, with the kafka-property settings over it.
     *
     * @throws IllegalArgumentException for a file that cannot be read, or no bootstrap servers
     */
    public KafkaConnection kafka() {
        if (kafka == null) {
            String file = get(KafkaTopicOptions.KAFKA_CONFIG);
            kafka =
                    KafkaConnection.configure(
                            get(KafkaTopicOptions.BOOTSTRAP_SERVERS),
                            file == null ? null : java.nio.file.Path.of(file),
                            kafkaProperties,
                            null);
        }
        return kafka;
    }

    /** The limits on input records and dead letters that these options set. */
    public RecordLimits limits() {
        return RecordLimitOptions.limits(config);
    }

    /** The options as a Markdown table, for the README. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| option | default | description |\n|---|---|---|\n");
        for (ConfigOption<?> o : all()) {
            Object d = o.hasDefaultValue() ? o.defaultValue() : null;
            String shown =
                    d == null ? "(none)" : d instanceof Duration dur ? human(dur) : d.toString();
            sb.append("| `--")
                    .append(o.key())
                    .append("` | ")
                    .append(shown)
                    .append(" | ")
                    .append(describe(o).replace("|", "\\|"))
                    .append(" |\n");
        }
        return sb.toString();
    }

    private static String human(Duration d) {
        return d.toMinutes() > 0 && d.toSecondsPart() == 0
                ? d.toMinutes() + " min"
                : d.toSeconds() + " s";
    }

    private static String describe(ConfigOption<?> o) {
        return new org.apache.flink.configuration.description.HtmlFormatter()
                .format(o.description());
    }

    public static String usage() {
        StringBuilder sb = new StringBuilder("options:\n");
        for (ConfigOption<?> o : all()) {
            sb.append("  --").append(o.key());
            if (o.hasDefaultValue()) {
                sb.append(" (default ").append(o.defaultValue()).append(")");
            }
            sb.append("\n      ").append(describe(o)).append("\n");
        }
        return sb.toString();
    }
}
