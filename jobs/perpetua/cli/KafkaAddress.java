package perpetua.cli;

import picocli.CommandLine.Option;

/**
 * The Kafka cluster a command talks to: one {@code --bootstrap-servers} option with one default for
 * every command, mixed in where a command needs it.
 */
public final class KafkaAddress {
    /** Kafka's own default listener on this machine. */
    public static final String DEFAULT = "127.0.0.1:9092";

    @Option(
            names = "--bootstrap-servers",
            defaultValue = DEFAULT,
            description = "Kafka HOST:PORT (default: ${DEFAULT-VALUE}).")
    String bootstrapServers = DEFAULT;

    /** The {@code HOST:PORT[,HOST:PORT...]} list as given. */
    public String bootstrapServers() {
        return bootstrapServers;
    }
}
