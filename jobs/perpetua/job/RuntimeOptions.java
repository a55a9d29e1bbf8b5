package perpetua.job;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * The job's options that say how it runs: where its source starts, its exactly-once delivery and
 * checkpoints, its parallelism and the topics it creates.
 *
 * <p>Part of {@link JobOptions}, which parses and validates them.
 */
public final class RuntimeOptions {

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

    private RuntimeOptions() {}
}
