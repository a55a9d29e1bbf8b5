package perpetua.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka KRaft broker (combined broker and controller) bound to 127.0.0.1.
 *
 * <p>It serves the demo and the integration tests. {@link #start(Path, int)} runs it inside the
 * current JVM; {@link #main(String[])} runs it as a separate process that a parent can launch and
 * that exits on SIGTERM or when its standard input reaches end of file.
 *
 * <p>The configuration is tuned for one node: every internal topic has one replica, so that
 * transactions and consumer groups work, and messages up to {@link #MAX_MESSAGE_BYTES} fit so that
 * 64 MiB model snapshots can travel through a topic.
 */
public final class KafkaBroker implements AutoCloseable {

    /**
     * The largest record batch the broker accepts: 64 MiB of payload plus 1 MiB of headroom for the
     * record and batch framing.
     */
    public static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024 + 1024 * 1024;

    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int BIND_ATTEMPTS = 3;

    /**
     * A listener besides the broker's own PLAINTEXT one, for clients that must authenticate: its
     * name, security protocol and the broker settings it needs, typically prefixed {@code
     * listener.name.<name lower-cased>.} (key store, SASL mechanisms and their JAAS configs, {@code
     * ssl.client.auth}).
     */
    public record Listener(String name, String securityProtocol, Map<String, String> config) {}

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Map<String, String> listenerAddresses;
    private boolean closed;

    private KafkaBroker(
            KafkaRaftServer server, String bootstrapServers, Map<String, String> listeners) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.listenerAddresses = Map.copyOf(listeners);
    }

    /**
     * Starts a broker in this JVM and returns once it accepts client requests.
     *
     * <p>A directory without {@code meta.properties} is formatted with a fresh cluster id; an
     * already formatted one is reused as is, so topics and offsets survive a restart.
     *
     * @param dataDir the directory for the data and metadata logs; created when missing
     * @param port the client port on 127.0.0.1, or 0 to pick a free one
     * @return the running broker; close it to stop it
     */
    public static KafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, List.of());
    }

    /**
     * Starts a broker in this JVM with {@code listeners} besides its PLAINTEXT one, each on a free
     * port of 127.0.0.1; the PLAINTEXT listener stays the brokers' own and the controller's.
     */
    public static KafkaBroker start(Path dataDir, int port, List<Listener> listeners) {
        // An embedding JVM (tests, a Flink mini cluster) must never be killed by a fatal Kafka
        // fault handler; the fault surfaces as an exception and in the log instead.
        Exit.setExitProcedure(KafkaBroker::refuseExit);
        Exit.setHaltProcedure(KafkaBroker::refuseExit);
        return launch(dataDir, port, 0, listeners);
    }

    /** Returns the bootstrap servers string for clients, such as {@code 127.0.0.1:9092}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The {@code HOST:PORT} of the extra listener {@code name}. */
    public String bootstrapServers(String listener) {
        String address = listenerAddresses.get(listener);
        if (address == null) {
            throw new IllegalArgumentException("no listener " + listener);
        }
        return address;
    }

    /** Stops the broker and waits until it has shut down; calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Log.LOG.info("Stopping the Kafka broker at {}", bootstrapServers);
        server.shutdown();
        server.awaitShutdown();
        Log.LOG.info("Stopped the Kafka broker at {}", bootstrapServers);
    }

    /**
     * Runs the broker as a process: {@code --dir DIR --port PORT [--controller-port PORT]
     * [--no-stdin-watch]}. A broker that restarts on its data directory keeps its ports when both
     * are given.
     *
     * <p>Prints one line {@code READY <bootstrap>} to standard output once the broker accepts
     * requests; everything else goes to standard error. The process stops on SIGTERM and, unless
     * {@code --no-stdin-watch} is given, when standard input reaches end of file, so that a broker
     * started by a parent that dies does not outlive it.
     */
    public static void main(String[] args) {
        // Keep standard output for the READY line alone: a parent parses it, and log output that
        // a default console appender would write there must not get in the way.
        PrintStream readyOut = System.out;
        System.setOut(System.err);

        Path dir = null;
        int port = 0;
        int controllerPort = 0;
        boolean watchStdin = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(requireValue(args, ++i, "--dir"));
                case "--port" -> port = Integer.parseInt(requireValue(args, ++i, "--port"));
                case "--controller-port" ->
                        controllerPort =
                                Integer.parseInt(requireValue(args, ++i, "--controller-port"));
                case "--no-stdin-watch" -> watchStdin = false;
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (dir == null) {
            usage("--dir is required");
        }

        KafkaBroker broker;
        try {
            broker = launch(dir, port, controllerPort, List.of());
        } catch (RuntimeException e) {
            Log.LOG.error("The Kafka broker failed to start", e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-broker-shutdown"));
        if (watchStdin) {
            Thread watcher = new Thread(() -> closeAtEndOfInput(broker), "kafka-broker-stdin");
            watcher.setDaemon(true);
            watcher.start();
        }
        readyOut.println("READY " + broker.bootstrapServers());
        readyOut.flush();
        // The broker's own non-daemon threads keep the process alive from here on.
    }

    private static KafkaBroker launch(
            Path dataDir, int port, int fixedControllerPort, List<Listener> listeners) {
        Path dir = dataDir.toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot create the Kafka data directory " + dir, e);
        }
        // With port 0 both ports are probed before Kafka binds them, so another process may take
        // one in between; a few attempts make that race harmless.
        int attempts = port == 0 ? BIND_ATTEMPTS : 1;
        RuntimeException failure = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            int clientPort = port == 0 ? freePort() : port;
            int controllerPort = fixedControllerPort == 0 ? freePort() : fixedControllerPort;
            Map<String, Integer> extraPorts = new LinkedHashMap<>();
            listeners.forEach(l -> extraPorts.put(l.name(), freePort()));
            try {
                return launchOnce(dir, clientPort, controllerPort, listeners, extraPorts);
            } catch (RuntimeException e) {
                failure = e;
                Log.LOG.warn(
                        "Starting the Kafka broker on port {} failed (attempt {} of {})",
                        clientPort,
                        attempt,
                        attempts,
                        e);
            }
        }
        throw failure;
    }

    private static KafkaBroker launchOnce(
            Path dir,
            int clientPort,
            int controllerPort,
            List<Listener> listeners,
            Map<String, Integer> extraPorts) {
        Map<String, Object> props = brokerConfig(dir, clientPort, controllerPort);
        Map<String, String> addresses = new LinkedHashMap<>();
        for (Listener l : listeners) {
            String address = HOST + ":" + extraPorts.get(l.name());
            addresses.put(l.name(), address);
            String endpoint = l.name() + "://" + address;
            props.put("listeners", props.get("listeners") + "," + endpoint);
            props.put("advertised.listeners", props.get("advertised.listeners") + "," + endpoint);
            props.put(
                    "listener.security.protocol.map",
                    props.get("listener.security.protocol.map")
                            + ","
                            + l.name()
                            + ":"
                            + l.securityProtocol());
            props.putAll(l.config());
        }
        KafkaConfig config = new KafkaConfig(props, false);
        formatIfNeeded(dir);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        String bootstrap = HOST + ":" + clientPort;
        try {
            server.startup();
            awaitReady(bootstrap);
        } catch (RuntimeException e) {
            shutdownQuietly(server);
            throw e;
        }
        Log.LOG.info(
                "Kafka broker ready at {}{} with data in {}",
                bootstrap,
                addresses.isEmpty() ? "" : " and " + addresses,
                dir);
        return new KafkaBroker(server, bootstrap, addresses);
    }

    private static Map<String, Object> brokerConfig(Path dir, int clientPort, int controllerPort) {
        Map<String, Object> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        props.put("inter.broker.listener.name", BROKER_LISTENER);
        props.put(
                "listeners",
                BROKER_LISTENER
                        + "://"
                        + HOST
                        + ":"
                        + clientPort
                        + ","
                        + CONTROLLER_LISTENER
                        + "://"
                        + HOST
                        + ":"
                        + controllerPort);
        props.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + clientPort);
        props.put(
                "listener.security.protocol.map",
                BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("log.dirs", dir.toString());
        props.put("metadata.log.dir", dir.toString());

        // One node: every internal topic gets one replica, or transactions and groups never work.
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "4");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("default.replication.factor", "1");
        props.put("min.insync.replicas", "1");
        props.put("num.partitions", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        // Topics are created explicitly, so that a typo in a topic name fails instead of
        // silently creating a new topic.
        props.put("auto.create.topics.enable", "false");

        // Model snapshots reach 64 MiB, and every path a record takes must let them through.
        props.put("message.max.bytes", String.valueOf(MAX_MESSAGE_BYTES));
        props.put("replica.fetch.max.bytes", String.valueOf(MAX_MESSAGE_BYTES));
        props.put("replica.fetch.response.max.bytes", String.valueOf(2 * MAX_MESSAGE_BYTES));
        props.put("fetch.max.bytes", String.valueOf(2 * MAX_MESSAGE_BYTES));
        props.put("socket.request.max.bytes", String.valueOf(2 * MAX_MESSAGE_BYTES));

        // A small footprint: the host also runs Flink, and the default dedupe buffer is 128 MiB.
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "4");
        props.put("background.threads", "2");
        props.put("num.recovery.threads.per.data.dir", "1");
        props.put("log.cleaner.threads", "1");
        props.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));

        // Short timers so that start-up and shutdown take seconds rather than tens of seconds.
        props.put("broker.heartbeat.interval.ms", "500");
        props.put("broker.session.timeout.ms", "3000");
        props.put("controller.quorum.election.timeout.ms", "1000");
        props.put("controller.quorum.fetch.timeout.ms", "2000");
        props.put("log.initial.task.delay.ms", "1000");
        return props;
    }

    private static void formatIfNeeded(Path dir) {
        if (Files.exists(dir.resolve("meta.properties"))) {
            Log.LOG.debug("Reusing the formatted Kafka storage in {}", dir);
            return;
        }
        String clusterId = Uuid.randomUuid().toString();
        try {
            new Formatter()
                    // The formatter reports progress on standard output, which belongs to READY.
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(clusterId)
                    .addDirectory(dir.toString())
                    .setMetadataLogDirectory(dir.toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format the Kafka storage in " + dir, e);
        }
        Log.LOG.info("Formatted the Kafka storage in {} with cluster id {}", dir, clusterId);
    }

    /** Waits until the broker is registered and unfenced, that is, it serves metadata. */
    private static void awaitReady(String bootstrap) {
        Map<String, Object> conf =
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Exception last = null;
        try (Admin admin = Admin.create(conf)) {
            while (System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for Kafka", e);
                } catch (Exception e) {
                    last = e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
        throw new IllegalStateException(
                "Kafka broker at " + bootstrap + " not ready after " + READY_TIMEOUT, last);
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            Log.LOG.warn("Shutting down a Kafka broker that failed to start failed too", e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot find a free port on " + HOST, e);
        }
    }

    private static void refuseExit(int status, String message) {
        Log.LOG.error("Kafka asked to terminate the JVM with status {}: {}", status, message);
        throw new IllegalStateException(
                "Kafka asked to terminate the JVM with status " + status + ": " + message);
    }

    private static void closeAtEndOfInput(KafkaBroker broker) {
        try {
            while (System.in.read() != -1) {
                // Whatever the parent writes is irrelevant; only the end of the stream counts.
            }
        } catch (IOException e) {
            Log.LOG.warn("Reading standard input failed; treating it as end of input", e);
        }
        Log.LOG.info("Standard input closed; stopping the Kafka broker");
        broker.close();
        System.exit(0);
    }

    /**
     * Holds the logger, so that loading this class does not initialise logging.
     *
     * <p>{@link #main} must redirect standard output before the logging backend starts, because a
     * default console appender keeps whatever stream standard output is when it is created.
     */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);
    }

    private static String requireValue(String[] args, int index, String option) {
        if (index >= args.length) {
            usage(option + " needs a value");
        }
        return args[index];
    }

    private static void usage(String problem) {
        System.err.println("KafkaBroker: " + problem);
        System.err.println(
                "usage: KafkaBroker --dir DIR [--port PORT] [--controller-port PORT]"
                        + " [--no-stdin-watch]");
        System.exit(2);
    }
}
