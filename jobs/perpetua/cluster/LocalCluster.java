package perpetua.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import perpetua.cluster.ClusterMember.Role;

/**
 * A Flink standalone session cluster and a Kafka broker on this machine, each process its own JVM
 * bound to 127.0.0.1: what {@code ./perpetua cluster} starts, and what the chaos drill kills.
 *
 * <p>The processes are a KRaft broker ({@code perpetua.runtime.KafkaBroker}), one JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and TaskManagers ({@code TaskManagerRunner}), on the
 * class path of {@code deploy/cluster/pom.xml} (Flink's runtime, web UI, RocksDB, Prometheus
 * reporter and ND4J, which every TaskManager loads once for all its jobs). They read {@code
 * deploy/flink/config.yaml}, the same file the compose deployment mounts, with the addresses, ports
 * and directories of this machine given as dynamic properties; a TaskManager's memory and CPU
 * settings are computed from it the way Flink's own start script computes them.
 *
 * <p>Everything lives under one directory: the configuration, the logs, the broker's data, the
 * checkpoints and savepoints, and {@code members.properties}, the registry of the processes (role,
 * number, pid, start time), so that later commands find, kill and stop exactly these processes and
 * never a process that reused a pid. The processes outlive the command that started them; {@link
 * #stop()} stops every one of them.
 */
public final class LocalCluster {
    private static final String HOST = ClusterLayout.HOST;

    /** The ports of a cluster: Kafka's client and controller, Flink's REST and RPC. */
    public record Ports(int kafka, int kafkaController, int rest, int rpc) {
        /** The ports of {@code ./perpetua cluster start}. */
        public static Ports standard() {
            return new Ports(9092, 9093, 8081, 6123);
        }

        /** Four free ports, for a cluster beside any other (drills, tests). */
        public static Ports free() throws IOException {
            return new Ports(freePort(), freePort(), freePort(), freePort());
        }
    }

    /** A port free on 127.0.0.1 now. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket socket =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    private final ClusterRegistry registry;
    private final ClusterLayout layout;
    private final MemberProcesses processes;

    private LocalCluster(ClusterRegistry registry) {
        this.registry = registry;
        this.layout = new ClusterLayout(registry);
        this.processes = new MemberProcesses(registry.dir(), layout);
    }

    /**
     * A new cluster in {@code dir}, not yet started.
     *
     * @param dir where the cluster keeps everything
     * @param home the project's home: {@code deploy/} and {@code target/} are read from there
     * @param slots task slots per TaskManager
     * @param taskManagerMemory each TaskManager's process size, such as {@code 1600m}
     * @param flinkSettings more Flink settings for every process (dynamic properties)
     * @throws IllegalStateException when a cluster of {@code dir} still runs
     */
    public static LocalCluster create(
            Path dir,
            Path home,
            Ports ports,
            int slots,
            String taskManagerMemory,
            Map<String, String> flinkSettings)
            throws IOException {
        if (ClusterRegistry.exists(dir)) {
            ClusterRegistry old = ClusterRegistry.read(dir);
            if (old.members().stream().anyMatch(ClusterMember::alive)) {
                throw new IllegalStateException(
                        "a cluster already runs in "
                                + dir
                                + " ("
                                + old.describeAlive()
                                + "); stop it first with `perpetua cluster stop`");
            }
        }
        ClusterRegistry registry =
                new ClusterRegistry(dir, home, ports, slots, taskManagerMemory, flinkSettings);
        Files.createDirectories(registry.dir().resolve("log"));
        registry.save();
        return new LocalCluster(registry);
    }

    /** The cluster whose registry is in {@code dir}. */
    public static LocalCluster open(Path dir) throws IOException {
        return new LocalCluster(ClusterRegistry.read(dir));
    }

    /** Starts the broker, the JobManager and {@code taskManagers} TaskManagers; waits for each. */
    public void start(int taskManagers) throws IOException, InterruptedException {
        startBroker();
        startJobManager();
        for (int i = 0; i < taskManagers; i++) {
            startTaskManager();
        }
    }

    /** Kafka's bootstrap servers. */
    public String bootstrapServers() {
        return HOST + ":" + registry.ports().kafka();
    }

    /** The JobManager's REST address (and web UI), {@code 127.0.0.1:PORT}. */
    public String restAddress() {
        return HOST + ":" + registry.ports().rest();
    }

    /** A client of the JobManager's REST API. */
    public FlinkRest rest() {
        return new FlinkRest(restAddress());
    }

    /** The directory where the cluster keeps everything. */
    public Path dir() {
        return registry.dir();
    }

    /** The durable checkpoint directory, as a URI. */
    public String checkpointDir() {
        return layout.checkpointDir();
    }

    /** The default savepoint directory, as a URI. */
    public String savepointDir() {
        return layout.savepointDir();
    }

    public int slots() {
        return registry.slots();
    }

    /** Every member ever started and not stopped, alive or not, by role and number. */
    public List<ClusterMember> members() {
        return registry.members();
    }

    /** The members of {@code role} whose process runs. */
    public List<ClusterMember> alive(Role role) {
        return registry.members().stream().filter(m -> m.role() == role && m.alive()).toList();
    }

    /** The member {@code role-index}, if the registry has it. */
    public Optional<ClusterMember> member(Role role, int index) {
        return registry.member(role, index);
    }

    // ------------------------------------------------------------------ starting members

    /** Starts the broker on its data directory (kept across restarts) and waits until it serves. */
    public ClusterMember startBroker() throws IOException, InterruptedException {
        requireNotRunning(Role.BROKER, 0);
        Path out = layout.brokerOut();
        Files.deleteIfExists(out);
        ClusterMember m = launch(Role.BROKER, 0, layout.brokerCommand(), out);
        processes.awaitReady(
                m,
                () -> Files.exists(out) && Files.readString(out).contains("READY"),
                "the Kafka broker to accept clients at " + bootstrapServers());
        return m;
    }

    /** Starts the JobManager and waits until its REST API answers. */
    public ClusterMember startJobManager() throws IOException, InterruptedException {
        requireNotRunning(Role.JOBMANAGER, 0);
        ClusterMember m = launch(Role.JOBMANAGER, 0, layout.jobManagerCommand(), null);
        processes.awaitReady(
                m, () -> rest().reachable(), "the JobManager's REST API at " + restAddress());
        return m;
    }

    /** Starts one more TaskManager (the next number) and waits until it has registered. */
    public ClusterMember startTaskManager() throws IOException, InterruptedException {
        int index = registry.nextTaskManager();
        ClusterMember m = launch(Role.TASKMANAGER, index, layout.taskManagerCommand(index), null);
        String id = ClusterLayout.resourceId(index);
        processes.awaitReady(
                m,
                () ->
                        rest().taskManagers().stream()
                                .anyMatch(t -> id.equals(t.path("id").asText())),
                "TaskManager " + id + " to register with the JobManager");
        return m;
    }

    private ClusterMember launch(Role role, int index, List<String> cmd, Path stdout)
            throws IOException {
        ClusterMember m = processes.launch(role, index, cmd, stdout);
        registry.put(m);
        return m;
    }

    // ------------------------------------------------------------------ stopping members

    /** kill -9 of one member, as a crashed machine would go; waits until it is gone. */
    public void kill(ClusterMember m) throws IOException, InterruptedException {
        MemberProcesses.kill(m);
        registry.remove(m);
    }

    /** Stops one member gracefully (SIGTERM), or kills it when it has not ended after 30 s. */
    public void stop(ClusterMember m) throws IOException, InterruptedException {
        MemberProcesses.stop(m);
        registry.remove(m);
    }

    /**
     * Stops every member, TaskManagers first and the broker last, so that running jobs fail over
     * nowhere and the broker sees its clients go.
     */
    public void stop() throws IOException, InterruptedException {
        List<ClusterMember> order = new ArrayList<>(registry.members());
        order.sort(Comparator.comparing((ClusterMember m) -> m.role()).reversed());
        for (ClusterMember m : order) {
            stop(m);
        }
    }

    /** The broker's data survives: kill -9 or stop it, wait, and start it again on its data. */
    public void restartBroker(boolean kill, Duration down)
            throws IOException, InterruptedException {
        Optional<ClusterMember> broker = member(Role.BROKER, 0);
        if (broker.isPresent()) {
            if (kill) {
                kill(broker.get());
            } else {
                stop(broker.get());
            }
        }
        Thread.sleep(down.toMillis());
        startBroker();
    }

    /** The last lines of a member's logs, to say why it died. */
    public String tail(ClusterMember m) throws IOException {
        return processes.tail(m);
    }

    private void requireNotRunning(Role role, int index) {
        member(role, index)
                .filter(ClusterMember::alive)
                .ifPresent(
                        m -> {
                            throw new IllegalStateException(
                                    m.name() + " runs already (pid " + m.pid() + ")");
                        });
    }
}
