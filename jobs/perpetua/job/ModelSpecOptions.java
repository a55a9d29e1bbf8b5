package perpetua.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * The job's options that say which models it starts with and where their state comes from.
 *
 * <p>Part of {@link JobOptions}, which parses and validates them.
 */
public final class ModelSpecOptions {

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

    private ModelSpecOptions() {}
}
