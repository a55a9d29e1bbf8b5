package perpetua.runtime;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * How to reach a Kafka cluster: its bootstrap servers and the standard Kafka client configuration
 * that goes with them (TLS, SASL, mTLS, timeouts...), shared by every producer, consumer and admin
 * client that Perpetua opens against that cluster.
 *
 * <p>The settings come from a Java properties file in Kafka's own client format (what {@code
 * kafka-console-producer --producer.config} reads) and from {@code KEY=VALUE} overrides, which win
 * over the file. A setting that only one kind of client knows ({@code compression.type}, {@code
 * isolation.level}...) goes only to that kind, so that no client warns about another's settings.
 *
 * <p>Settings may hold secrets (a JAAS config with a password, key store passwords). Nothing here
 * prints them: {@link #toString()} names the servers, the security protocol and the SASL mechanism
 * alone, and no error message repeats a value.
 */
public final class KafkaConnection {
    /** Kafka's own default listener on this machine. */
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";

    private static final Set<String> CONSUMER = ConsumerConfig.configNames();
    private static final Set<String> PRODUCER = ProducerConfig.configNames();
    private static final Set<String> ADMIN = AdminClientConfig.configNames();

    private final String bootstrapServers;
    private final Map<String, String> settings;

    private KafkaConnection(String bootstrapServers, Map<String, String> settings) {
        this.bootstrapServers = bootstrapServers;
        this.settings = Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    /** A plain connection to {@code bootstrapServers}, with Kafka's default client settings. */
    public static KafkaConnection to(String bootstrapServers) {
        return new KafkaConnection(requireServers(bootstrapServers), Map.of());
    }

    /**
     * The connection that a command line describes.
     *
     * @param bootstrapServers {@code HOST:PORT[,...]} as given, or null: then the file's {@code
     *     bootstrap.servers}, else {@link #DEFAULT_BOOTSTRAP_SERVERS}
     * @param configFile a Kafka client properties file, or null
     * @param overrides {@code KEY=VALUE} settings that win over the file's
     * @throws IllegalArgumentException for a file that cannot be read or an override without a key
     */
    public static KafkaConnection configure(
            String bootstrapServers, Path configFile, List<String> overrides) {
        return configure(bootstrapServers, configFile, overrides, DEFAULT_BOOTSTRAP_SERVERS);
    }

    /**
     * As {@link #configure(String, Path, List)}, with {@code fallback} as the servers when neither
     * the argument nor the settings name them; a null {@code fallback} makes them required.
     */
    public static KafkaConnection configure(
            String bootstrapServers, Path configFile, List<String> overrides, String fallback) {
        Map<String, String> settings = new HashMap<>();
        if (configFile != null) {
            settings.putAll(load(configFile));
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                // The value may be a secret: only its shape is named.
                throw new IllegalArgumentException(
                        "a Kafka setting is KEY=VALUE; one of them has "
                                + (eq == 0 ? "no key" : "no '='"));
            }
            settings.put(o.substring(0, eq).trim(), o.substring(eq + 1));
        }
        String fromSettings = settings.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        String servers =
                bootstrapServers != null
                        ? bootstrapServers
                        : fromSettings != null ? fromSettings : fallback;
        return new KafkaConnection(requireServers(servers), settings);
    }

    private static Map<String, String> load(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no Kafka client configuration file " + file);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "cannot read the Kafka client configuration " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new HashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k.trim(), p.getProperty(k).trim()));
        return out;
    }

    private static String requireServers(String servers) {
        if (servers == null || servers.isBlank()) {
            throw new IllegalArgumentException(
                    "no Kafka bootstrap servers: give --bootstrap-servers, or bootstrap.servers in"
                            + " the Kafka client configuration");
        }
        return servers.trim();
    }

    /** The {@code HOST:PORT[,HOST:PORT...]} list. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Every setting besides the bootstrap servers, by key; may hold secrets. */
    public Map<String, String> settings() {
        return settings;
    }

    /** Whether the connection has settings of its own besides the servers. */
    public boolean configured() {
        return !settings.isEmpty();
    }

    /** The settings a consumer takes, with the bootstrap servers: a fresh copy to add to. */
    public Properties consumerProperties() {
        return properties(CONSUMER);
    }

    /** The settings a producer takes, with the bootstrap servers: a fresh copy to add to. */
    public Properties producerProperties() {
        return properties(PRODUCER);
    }

    /** The settings an admin client takes, with the bootstrap servers: a fresh copy to add to. */
    public Map<String, Object> adminConfig() {
        Map<String, Object> out = new HashMap<>();
        properties(ADMIN).forEach((k, v) -> out.put((String) k, v));
        return out;
    }

    /**
     * The settings for {@code known}'s kind of client: those it knows, and those no kind knows (a
     * plug-in's own settings), which Kafka hands to the plug-in.
     */
    private Properties properties(Set<String> known) {
        Properties p = new Properties();
        settings.forEach(
                (k, v) -> {
                    boolean anyKind =
                            CONSUMER.contains(k) || PRODUCER.contains(k) || ADMIN.contains(k);
                    if (known.contains(k) || !anyKind) {
                        p.setProperty(k, v);
                    }
                });
        p.setProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return p;
    }

    /**
     * The servers with the security protocol and SASL mechanism when set, e.g. {@code kafka:9093
     * (SASL_SSL, SCRAM-SHA-512)}: never a secret.
     */
    @Override
    public String toString() {
        String protocol = settings.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG);
        String mechanism = settings.get("sasl.mechanism");
        if (protocol == null && mechanism == null) {
            return bootstrapServers;
        }
        return bootstrapServers
                + " ("
                + (protocol == null ? "PLAINTEXT" : protocol)
                + (mechanism == null ? "" : ", " + mechanism)
                + ")";
    }
}
