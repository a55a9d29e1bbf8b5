package perpetua.cli;

import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Option;

/**
 * The compression of the record batches a command publishes: one {@code --compression} option with
 * one default for every command that produces.
 *
 * <p>The default is gzip because every Kafka client reads it without a plug-in; kafkajs, for one,
 * reads snappy, lz4 and zstd only with a codec package. The job's own sinks publish uncompressed.
 */
public final class Compression {
    /** What a command publishes with when neither the option nor the Kafka settings say. */
    public static final String DEFAULT = "gzip";

    static final List<String> KINDS = List.of("none", "gzip", "snappy", "lz4", "zstd");

    @Option(
            names = "--compression",
            description =
                    "Compression of the published records: none, gzip, snappy, lz4 or zstd"
                            + " (default: "
                            + DEFAULT
                            + ", which every Kafka client reads; or compression.type from"
                            + " --kafka-config).")
    String kind;

    /** The chosen compression, or null for the Kafka settings' or the default. */
    String kind() {
        return kind;
    }

    /**
     * Sets {@code compression.type} on producer settings {@code p}: {@code kind} when given, else
     * what {@code p} has already, else {@link #DEFAULT}.
     *
     * @throws IllegalArgumentException for a compression Kafka does not have
     */
    static void apply(Properties p, String kind) {
        String chosen =
                kind != null
                        ? kind
                        : p.getProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, DEFAULT);
        check(chosen);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, chosen);
    }

    /**
     * Refuses a compression Kafka does not have.
     *
     * @throws IllegalArgumentException for one that is not among {@link #KINDS}
     */
    static void check(String kind) {
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException(
                    "compression is one of " + String.join(", ", KINDS) + ", not " + kind);
        }
    }
}
