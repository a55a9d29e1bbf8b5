package perpetua.job;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import perpetua.ingest.RecordLimits;
import perpetua.runtime.KafkaConnection;

/**
 * The options of the online learning job: typed, with defaults and descriptions.
 *
 * <p>Given on the command line as {@code --KEY VALUE}. The option table in the README is generated
 * from these definitions ({@code ./perpetua options}).
 */
public final class JobOptions {

    /**
     * The largest values of the length limits and the dead-letter copy: with them every prediction
     * and dead letter stays under 1 MiB, the limit of the output topics.
     */
    static final int MAX_ID_LENGTH_CEILING = 65_536;

    static final int MAX_MODEL_NAME_LENGTH_CEILING = 4_096;
    static final long DEADLETTER_MAX_PAYLOAD_CEILING = 512 << 10;

    public static final ConfigOption<String> BOOTSTRAP_SERVERS =
            ConfigOptions.key("bootstrap-servers")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]. Required, unless"
                                    + " the kafka-config file names bootstrap.servers.");

    public static final ConfigOption<String> KAFKA_CONFIG =
            ConfigOptions.key("kafka-config")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Kafka client properties file (security.protocol, sasl.*, ssl.*, ...)"
                                    + " for the source, the sinks and the admin client; read where"
                                    + " the job is submitted. Files it names (key and trust"
                                    + " stores) must exist on every TaskManager.");

    public static final ConfigOption<String> KAFKA_PROPERTY =
            ConfigOptions.key("kafka-property")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "A Kafka client setting KEY=VALUE that wins over kafka-config;"
                                    + " repeatable. Secrets belong in the file, not on a command"
                                    + " line.");

    public static final ConfigOption<String> EVENTS_TOPIC =
            ConfigOptions.key("topic.events")
                    .stringType()
                    .defaultValue("events")
                    .withDescription("Topic the job reads Event records from.");

    public static final ConfigOption<String> PREDICTIONS_TOPIC =
            ConfigOptions.key("topic.predictions")
                    .stringType()
                    .defaultValue("predictions")
                    .withDescription("Topic of Prediction records, one per valid event.");

    public static final ConfigOption<String> METRICS_TOPIC =
            ConfigOptions.key("topic.metrics")
                    .stringType()
                    .defaultValue("metrics")
                    .withDescription("Topic of Metrics records, one per model and window.");

    public static final ConfigOption<String> MODELS_TOPIC =
            ConfigOptions.key("topic.models")
                    .stringType()
                    .defaultValue("models")
                    .withDescription(
                            "Topic of ModelSnapshot records (key: model name; compacted).");

    public static final ConfigOption<String> DEADLETTERS_TOPIC =
            ConfigOptions.key("topic.deadletters")
                    .stringType()
                    .defaultValue("deadletters")
                    .withDescription("Topic of DeadLetter records: refused input with the reason.");

    public static final ConfigOption<String> MODELS_HISTORY_TOPIC =
            ConfigOptions.key("topic.models-history")
                    .stringType()
                    .defaultValue("models.history")
                    .withDescription(
                            "Topic that keeps every ModelSnapshot version (time-based retention).");

    public static final ConfigOption<Duration> HISTORY_RETENTION =
            ConfigOptions.key("history-retention")
                    .durationType()
                    .defaultValue(Duration.ofDays(7))
                    .withDescription(
                            "How long the history topic keeps each snapshot, when the job creates"
                                    + " it.");

    public static final ConfigOption<String> FEEDBACK_TOPIC =
            ConfigOptions.key("topic.feedback")
                    .stringType()
                    .defaultValue("feedback")
                    .withDescription(
                            "Topic of Feedback records: labels that arrive after their event.");

    public static final ConfigOption<String> CONTROL_TOPIC =
            ConfigOptions.key("topic.control")
                    .stringType()
                    .defaultValue("models.control")
                    .withDescription(
                            "Topic of ModelSpec records that create, update and retire models at"
                                    + " run time (key: model name).");

    public static final ConfigOption<String> RECOMMENDATIONS_TOPIC =
            ConfigOptions.key("topic.recommendations")
                    .stringType()
                    .defaultValue("recommendations")
                    .withDescription(
                            "Topic of Recommendation records: a recommender's answer to each request"
                                    + " event.");

    public static final ConfigOption<String> SPEC_FILE =
            ConfigOptions.key("spec-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "JSON file with the model specs (one object or an array of objects,"
                                    + " fields as in schemas/ModelSpec.avsc).");

    public static final ConfigOption<String> SPEC_JSON =
            ConfigOptions.key("spec")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Model specs as inline JSON, instead of or besides spec-file.");

    public static final ConfigOption<String> DEFAULT_SPEC =
            ConfigOptions.key("default-spec")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "A spec (JSON; its model name is replaced) for events that name a model"
                                    + " nobody created; without it they are dead letters.");

    public static final ConfigOption<Boolean> WARM_START =
            ConfigOptions.key("warm-start")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "A model without state resumes from its latest snapshot on the models"
                                    + " topic, read when the job is submitted.");

    public static final ConfigOption<String> GROUP_ID =
            ConfigOptions.key("group-id")
                    .stringType()
                    .defaultValue("perpetua")
                    .withDescription("Kafka consumer group of the event source.");

    public static final ConfigOption<String> STARTING_OFFSETS =
            ConfigOptions.key("starting-offsets")
                    .stringType()
                    .defaultValue("committed")
                    .withDescription(
                            "Where a job without state starts reading: committed (the group's"
                                    + " offsets, else earliest), earliest or latest.");

    public static final ConfigOption<Boolean> BOUNDED =
            ConfigOptions.key("bounded")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Stop after the events that were on the topic when the job started"
                                    + " (replays, tests, benchmarks).");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
            ConfigOptions.key("transactional-id-prefix")
                    .stringType()
                    .defaultValue("perpetua")
                    .withDescription(
                            "Prefix of the Kafka transactional ids of the exactly-once sinks;"
                                    + " unique"
                                    + " per job on a cluster.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            ConfigOptions.key("checkpoint-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "Exactly-once checkpoint interval; outputs become visible to"
                                    + " read_committed consumers at each checkpoint.");

    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
            ConfigOptions.key("transaction-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(10))
                    .withDescription(
                            "Kafka transaction timeout of the sinks; must not exceed the broker's"
                                    + " transaction.max.timeout.ms (15 min by default).");

    public static final ConfigOption<String> STATE_BACKEND =
            ConfigOptions.key("state-backend")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "hashmap (state on the heap) or rocksdb (on disk; for long label waits"
                                    + " and many models). Without it the cluster's own setting"
                                    + " applies (rocksdb in deploy/flink/config.yaml; hashmap for"
                                    + " the local job).");

    public static final ConfigOption<String> CHECKPOINT_DIR =
            ConfigOptions.key("checkpoint-dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Durable checkpoint storage, e.g. file:///var/perpetua/checkpoints or"
                                    + " s3://bucket/path; without it checkpoints live in the"
                                    + " JobManager's memory.");

    public static final ConfigOption<Integer> PARALLELISM =
            ConfigOptions.key("parallelism")
                    .intType()
                    .noDefaultValue()
                    .withDescription(
                            "Parallelism of the job (models are spread by name). Without it the"
                                    + " cluster's parallelism.default applies (2 in"
                                    + " deploy/flink/config.yaml); the local job runs at 1.");

    public static final ConfigOption<Boolean> CREATE_TOPICS =
            ConfigOptions.key("create-topics")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Create the job's topics that do not exist when the job starts (models"
                                    + " compacted, history with its retention); without it a"
                                    + " missing topic stops the job before it starts. Given"
                                    + " alone, --create-topics means true.");

    public static final ConfigOption<Integer> PARTITIONS =
            ConfigOptions.key("partitions")
                    .intType()
                    .defaultValue(1)
                    .withDescription(
                            "Partitions of the events, feedback and output topics the job"
                                    + " creates (create-topics).");

    public static final ConfigOption<MemorySize> MAX_RECORD_BYTES =
            ConfigOptions.key(RecordLimits.MAX_RECORD_BYTES)
                    .memoryType()
                    .defaultValue(new MemorySize(RecordLimits.DEFAULTS.maxRecordBytes()))
                    .withDescription(
                            "Largest Event or Feedback record value the job accepts, in bytes or"
                                    + " with a unit (512kb, 2mb: units of 1,024); a larger one is a"
                                    + " dead letter.");

    public static final ConfigOption<MemorySize> MAX_SPEC_BYTES =
            ConfigOptions.key(RecordLimits.MAX_SPEC_BYTES)
                    .memoryType()
                    .defaultValue(new MemorySize(RecordLimits.DEFAULTS.maxSpecBytes()))
                    .withDescription(
                            "Largest ModelSpec record value the job accepts on the control topic"
                                    + " (a spec carries the snapshot it starts from); a larger one"
                                    + " is a dead letter.");

    public static final ConfigOption<Integer> MAX_ID_LENGTH =
            ConfigOptions.key(RecordLimits.MAX_ID_LENGTH)
                    .intType()
                    .defaultValue(RecordLimits.DEFAULTS.maxIdLength())
                    .withDescription(
                            "Longest event id, in characters (1 to "
                                    + MAX_ID_LENGTH_CEILING
                                    + "); an event or label with a longer one is a dead letter.");

    public static final ConfigOption<Integer> MAX_MODEL_NAME_LENGTH =
            ConfigOptions.key(RecordLimits.MAX_MODEL_NAME_LENGTH)
                    .intType()
                    .defaultValue(RecordLimits.DEFAULTS.maxModelNameLength())
                    .withDescription(
                            "Longest model name, in characters (1 to "
                                    + MAX_MODEL_NAME_LENGTH_CEILING
                                    + "); an event, label or spec with a longer one is a dead"
                                    + " letter.");

    public static final ConfigOption<MemorySize> DEADLETTER_MAX_PAYLOAD_BYTES =
            ConfigOptions.key(RecordLimits.DEADLETTER_MAX_PAYLOAD_BYTES)
                    .memoryType()
                    .defaultValue(new MemorySize(RecordLimits.DEFAULTS.deadLetterMaxPayloadBytes()))
                    .withDescription(
                            "Largest copy of a refused record value that a dead letter carries (0"
                                    + " to 512kb); a longer value is cut, and the dead letter says"
                                    + " so and gives the original size.");

    private final Configuration config;

    /** The KEY=VALUE Kafka settings, kept out of the Flink configuration: they may be secrets. */
    private final List<String> kafkaProperties;

    private transient KafkaConnection kafka;

    private JobOptions(Configuration config, List<String> kafkaProperties) {
        this.config = config;
        this.kafkaProperties = List.copyOf(kafkaProperties);
    }

    /** Every option, in declaration order. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> out = new ArrayList<>();
        for (Field f : JobOptions.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigOption.class) {
                try {
                    out.add((ConfigOption<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
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
            if (key.equals(KAFKA_PROPERTY.key())) {
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
        if (!config.getOptional(BOOTSTRAP_SERVERS).isPresent()
                && !config.getOptional(KAFKA_CONFIG).isPresent()) {
            throw new IllegalArgumentException("--bootstrap-servers is required\n" + usage());
        }
        for (String p : kafkaProperties) {
            if (p.indexOf('=') <= 0) {
                throw new IllegalArgumentException(
                        "--" + KAFKA_PROPERTY.key() + " takes KEY=VALUE; one of them has no key");
            }
        }

        if (config.get(STATE_BACKEND) != null
                && !List.of("hashmap", "rocksdb").contains(config.get(STATE_BACKEND))) {
            throw new IllegalArgumentException(
                    "--state-backend must be hashmap or rocksdb, not " + config.get(STATE_BACKEND));
        }
        requireWithin(
                MAX_RECORD_BYTES, config.get(MAX_RECORD_BYTES).getBytes(), 1, Integer.MAX_VALUE);
        requireWithin(MAX_SPEC_BYTES, config.get(MAX_SPEC_BYTES).getBytes(), 1, Integer.MAX_VALUE);
        requireWithin(MAX_ID_LENGTH, config.get(MAX_ID_LENGTH), 1, MAX_ID_LENGTH_CEILING);
        requireWithin(
                MAX_MODEL_NAME_LENGTH,
                config.get(MAX_MODEL_NAME_LENGTH),
                1,
                MAX_MODEL_NAME_LENGTH_CEILING);
        requireWithin(
                DEADLETTER_MAX_PAYLOAD_BYTES,
                config.get(DEADLETTER_MAX_PAYLOAD_BYTES).getBytes(),
                0,
                DEADLETTER_MAX_PAYLOAD_CEILING);
        String start = config.get(STARTING_OFFSETS);
        if (!List.of("committed", "earliest", "latest").contains(start)) {
            throw new IllegalArgumentException(
                    "--starting-offsets must be committed, earliest or latest, not " + start);
        }
        return options;
    }

    private static void requireWithin(ConfigOption<?> o, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    "--" + o.key() + " must lie in " + min + ".." + max + ", not " + value);
        }
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
            String file = get(KAFKA_CONFIG);
            kafka =
                    KafkaConnection.configure(
                            get(BOOTSTRAP_SERVERS),
                            file == null ? null : java.nio.file.Path.of(file),
                            kafkaProperties,
                            null);
        }
        return kafka;
    }

    /** The limits on input records and dead letters that these options set. */
    public RecordLimits limits() {
        return new RecordLimits(
                (int) get(MAX_RECORD_BYTES).getBytes(),
                (int) get(MAX_SPEC_BYTES).getBytes(),
                get(MAX_ID_LENGTH),
                get(MAX_MODEL_NAME_LENGTH),
                (int) get(DEADLETTER_MAX_PAYLOAD_BYTES).getBytes());
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
