package perpetua.job;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * The job's options that say which Kafka cluster it talks to, how, and through which topics.
 *
 * <p>Part of {@link JobOptions}, which parses and validates them.
 */
public final class KafkaTopicOptions {

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

    private KafkaTopicOptions() {}
}
