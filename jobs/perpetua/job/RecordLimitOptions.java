package perpetua.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import perpetua.ingest.RecordLimits;

/**
 * The job's options that bound the size of the records it accepts and of the dead letters it
 * writes.
 *
 * <p>Part of {@link JobOptions}, which parses them; {@link #validate} and {@link #limits} read them
 * from the job's configuration.
 */
public final class RecordLimitOptions {

    /**
     * The largest values of the length limits and the dead-letter copy: with them every prediction
     * and dead letter stays under 1 MiB, the limit of the output topics.
     */
    static final int MAX_ID_LENGTH_CEILING = 65_536;

    static final int MAX_MODEL_NAME_LENGTH_CEILING = 4_096;
    static final long DEADLETTER_MAX_PAYLOAD_CEILING = 512 << 10;

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

    /**
     * Refuses a limit outside the range the job can honour.
     *
     * @throws IllegalArgumentException naming the option, its range and the value given
     */
    static void validate(Configuration config) {
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
    }

    /** The limits on input records and dead letters that {@code config} sets. */
    static RecordLimits limits(Configuration config) {
        return new RecordLimits(
                (int) config.get(MAX_RECORD_BYTES).getBytes(),
                (int) config.get(MAX_SPEC_BYTES).getBytes(),
                config.get(MAX_ID_LENGTH),
                config.get(MAX_MODEL_NAME_LENGTH),
                (int) config.get(DEADLETTER_MAX_PAYLOAD_BYTES).getBytes());
    }

    private static void requireWithin(ConfigOption<?> o, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    "--" + o.key() + " must lie in " + min + ".." + max + ", not " + value);
        }
    }

    private RecordLimitOptions() {}
}
