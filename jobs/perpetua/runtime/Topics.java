package perpetua.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Kafka topics idempotently with the Admin client.
 *
 * <p>A topic that already exists is left as it is, with its old partition count and configs, so a
 * job or a demo can call this on every start.
 */
public final class Topics {

    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
    private static final long TIMEOUT_SECONDS = 60;

    private Topics() {}

    /**
     * Creates the named topics with the broker's default configs unless they exist.
     *
     * @param bootstrap the bootstrap servers
     * @param partitions the number of partitions of each new topic
     * @param names the topics
     */
    public static void create(String bootstrap, int partitions, String... names) {
        create(KafkaConnection.to(bootstrap), partitions, Map.of(), names);
    }

    /** {@link #create(KafkaConnection, int, Map, String...)} at a plain {@code bootstrap}. */
    public static void create(
            String bootstrap, int partitions, Map<String, String> configs, String... names) {
        create(KafkaConnection.to(bootstrap), partitions, configs, names);
    }

    /**
     * Creates the named topics with the given topic configs unless they exist.
     *
     * <p>The replication factor is the broker's default, which is 1 on {@link KafkaBroker}.
     *
     * @param kafka the cluster
     * @param partitions the number of partitions of each new topic
     * @param configs topic configs for every new topic, such as {@code max.message.bytes} or {@code
     *     cleanup.policy=compact}; may be empty
     * @param names the topics
     */
    public static void create(
            KafkaConnection kafka, int partitions, Map<String, String> configs, String... names) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be positive: " + partitions);
        }
        List<NewTopic> topics = new ArrayList<>();
        for (String name : names) {
            topics.add(
                    new NewTopic(name, Optional.of(partitions), Optional.empty())
                            .configs(Map.copyOf(configs)));
        }
        try (Admin admin = Admin.create(kafka.adminConfig())) {
            CreateTopicsResult result = admin.createTopics(topics);
            for (String name : names) {
                awaitCreated(result, name);
            }
            awaitVisible(admin, List.of(names));
        }
    }

    /**
     * Waits until every partition of the topics has a leader in the metadata the broker serves to
     * clients: a topic the controller has just created may not be there yet, and a client that
     * looks it up at once would find no partitions.
     */
    private static void awaitVisible(Admin admin, List<String> names) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                boolean led =
                        admin
                                .describeTopics(names)
                                .allTopicNames()
                                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                                .values()
                                .stream()
                                .flatMap(d -> d.partitions().stream())
                                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                if (led) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for topics " + names, e);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        throw new IllegalStateException(
                "Topics " + names + " have no leader after " + TIMEOUT_SECONDS + " s", last);
    }

    private static void awaitCreated(CreateTopicsResult result, String name) {
        try {
            result.values().get(name).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            LOG.info("Created topic {}", name);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("Cannot create topic " + name, e.getCause());
            }
            LOG.debug("Topic {} already exists", name);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Creating topic " + name + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic " + name, e);
        }
    }

    /** Whether the topic exists at a plain {@code bootstrap}. */
    public static boolean exists(String bootstrap, String name) {
        return exists(KafkaConnection.to(bootstrap), name);
    }

    /**
     * Whether the topic exists; fails within seconds, saying why, when the cluster cannot be
     * reached or refuses this client (wrong credentials, an untrusted certificate).
     */
    public static boolean exists(KafkaConnection kafka, String name) {
        Map<String, Object> conf = kafka.adminConfig();
        conf.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        conf.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        try (Admin admin = Admin.create(conf)) {
            return admin.listTopics()
                    .names()
                    .get(20, java.util.concurrent.TimeUnit.SECONDS)
                    .contains(name);
        } catch (java.util.concurrent.ExecutionException e) {
            throw unreachable(kafka, e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw unreachable(kafka, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Why a client could not use the cluster, in one sentence: a refused login or certificate is
     * said to be one, since waiting longer would not help.
     */
    public static IllegalStateException unreachable(KafkaConnection kafka, Throwable cause) {
        String why =
                cause instanceof org.apache.kafka.common.errors.SslAuthenticationException
                        ? "the TLS handshake failed (check the trust store and key store): "
                        : cause instanceof org.apache.kafka.common.errors.AuthenticationException
                                ? "it refused this client's credentials: "
                                : cause instanceof TimeoutException
                                                || cause
                                                        instanceof
                                                        org.apache.kafka.common.errors
                                                                .TimeoutException
                                        ? "no answer in time: "
                                        : "";
        return new IllegalStateException(
                "cannot use Kafka at " + kafka + ": " + why + cause.getMessage(), cause);
    }
}
