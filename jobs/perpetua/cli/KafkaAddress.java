package perpetua.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import perpetua.runtime.KafkaConnection;
import picocli.CommandLine.Option;

/**
 * The Kafka cluster a command talks to: {@code --bootstrap-servers} with one default for every
 * command, and the standard Kafka client configuration ({@code --kafka-config FILE}, {@code
 * --kafka-property KEY=VALUE}) for TLS, SASL and mTLS, mixed in where a command needs Kafka.
 */
public final class KafkaAddress {
    /** Kafka's own default listener on this machine. */
    public static final String DEFAULT = KafkaConnection.DEFAULT_BOOTSTRAP_SERVERS;

    @Option(
            names = "--bootstrap-servers",
            description =
                    "Kafka HOST:PORT[,HOST:PORT...] (default: bootstrap.servers of --kafka-config,"
                            + " else "
                            + DEFAULT
                            + ").")
    String bootstrapServers;

    @Option(
            names = "--kafka-config",
            paramLabel = "FILE",
            description =
                    "Kafka client properties file (security.protocol, sasl.*, ssl.*, ...), as"
                            + " Kafka's own tools read; applies to every producer, consumer and"
                            + " admin client of the command.")
    Path kafkaConfig;

    @Option(
            names = "--kafka-property",
            paramLabel = "KEY=VALUE",
            description = "A Kafka client setting that wins over --kafka-config; repeatable.")
    List<String> kafkaProperties = new ArrayList<>();

    private KafkaConnection connection;

    /** The cluster and its client settings as given. */
    public KafkaConnection connection() {
        if (connection == null) {
            connection = KafkaConnection.configure(bootstrapServers, kafkaConfig, kafkaProperties);
        }
        return connection;
    }

    /** The {@code HOST:PORT[,HOST:PORT...]} list. */
    public String bootstrapServers() {
        return connection().bootstrapServers();
    }
}
