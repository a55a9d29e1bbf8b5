package perpetua.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;
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
    private static final String HOST = "127.0.0.1";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** The ports of a cluster: Kafka's client and controller, Flink's REST and RPC. */
    public record Ports(int kafka, int kafkaController, int rest, int rpc) {
        /** The ports of {@code ./perpetua cluster start}. */
        public static Ports standard() {
            return new Ports(9092, 9093, 8081, 6123);
        }
    }

    private final Path dir;
    private final Path home;
    private final Ports ports;
    private final int slots;
    private final String taskManagerMemory;
    private final Map<String, String> flinkSettings;
    private final List<ClusterMember> members = new ArrayList<>();
    private int lastTaskManager;

    private LocalCluster(
            Path dir,
            Path home,
            Ports ports,
            int slots,
            String taskManagerMemory,
            Map<String, String> flinkSettings) {
        this.dir = dir.toAbsolutePath();
        this.home = home.toAbsolutePath();
        this.ports = ports;
        this.slots = slots;
        this.taskManagerMemory = taskManagerMemory;
        this.flinkSettings = Map.copyOf(flinkSettings);
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
        if (Files.exists(dir.resolve("members.properties"))) {
            LocalCluster old = open(dir);
            if (old.members().stream().anyMatch(ClusterMember::alive)) {
                throw new IllegalStateException(
                        "a cluster already runs in "
                                + dir
                                + " ("
                                + old.describeAlive()
                                + "); stop it first with `perpetua cluster stop`");
            }
        }
        LocalCluster c =
                new LocalCluster(dir, home, ports, slots, taskManagerMemory, flinkSettings);
        Files.createDirectories(c.dir.resolve("log"));
        c.save();
        return c;
    }

    /** The cluster whose registry is in {@code dir}. */
    public static LocalCluster open(Path dir) throws IOException {
        Path file = dir.resolve("members.properties");
        if (!Files.exists(file)) {
            throw new IllegalStateException(
                    "no cluster in " + dir + "; start one with `perpetua cluster start`");
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        Map<String, String> flink = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("flink.")) {
                flink.put(key.substring("flink.".length()), p.getProperty(key));
            }
        }
        LocalCluster c =
                new LocalCluster(
                        dir,
                        Path.of(p.getProperty("home")),
                        new Ports(
                                Integer.parseInt(p.getProperty("port.kafka")),
                                Integer.parseInt(p.getProperty("port.kafka-controller")),
                                Integer.parseInt(p.getProperty("port.rest")),
                                Integer.parseInt(p.getProperty("port.rpc"))),
                        Integer.parseInt(p.getProperty("slots")),
                        p.getProperty("taskmanager-memory"),
                        flink);
        c.lastTaskManager = Integer.parseInt(p.getProperty("last-taskmanager", "0"));
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("member.")) {
                String[] name = key.substring("member.".length()).split("\\.");
                String[] v = p.getProperty(key).split(" ", 3);
                c.members.add(
                        new ClusterMember(
                                Role.of(name[0]),
                                Integer.parseInt(name[1]),
                                Long.parseLong(v[0]),
                                Instant.ofEpochMilli(Long.parseLong(v[1])),
                                Path.of(v[2])));
            }
        }
        c.members.sort(
                Comparator.comparing(ClusterMember::role).thenComparing(ClusterMember::index));
        return c;
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
        return HOST + ":" + ports.kafka();
    }

    /** The JobManager's REST address (and web UI), {@code 127.0.0.1:PORT}. */
    public String restAddress() {
        return HOST + ":" + ports.rest();
    }

    /** A client of the JobManager's REST API. */
    public FlinkRest rest() {
        return new FlinkRest(restAddress());
    }

    /** The directory where the cluster keeps everything. */
    public Path dir() {
        return dir;
    }

    /** The durable checkpoint directory, as a URI. */
    public String checkpointDir() {
        return dir.resolve("checkpoints").toUri().toString();
    }

    /** The default savepoint directory, as a URI. */
    public String savepointDir() {
        return dir.resolve("savepoints").toUri().toString();
    }

    public int slots() {
        return slots;
    }

    /** Every member ever started and not stopped, alive or not, by role and number. */
    public List<ClusterMember> members() {
        return List.copyOf(members);
    }

    /** The members of {@code role} whose process runs. */
    public List<ClusterMember> alive(Role role) {
        return members.stream().filter(m -> m.role() == role && m.alive()).toList();
    }

    /** The member {@code role-index}, if the registry has it. */
    public Optional<ClusterMember> member(Role role, int index) {
        return members.stream().filter(m -> m.role() == role && m.index() == index).findFirst();
    }

    // ------------------------------------------------------------------ starting members

    /** Starts the broker on its data directory (kept across restarts) and waits until it serves. */
    public ClusterMember startBroker() throws IOException, InterruptedException {
        requireNotRunning(Role.BROKER, 0);
        Path out = dir.resolve("log/broker.out");
        Files.deleteIfExists(out);
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(List.of("-Xmx1g", "-XX:+UseG1GC"));
        cmd.add(
                "-Dlog4j2.configurationFile="
                        + home.resolve("src/main/resources/log4j2.properties"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        cmd.add("perpetua.runtime.KafkaBroker");
        cmd.addAll(
                List.of(
                        "--dir",
                        dir.resolve("kafka").toString(),
                        "--port",
                        String.valueOf(ports.kafka()),
                        "--controller-port",
                        String.valueOf(ports.kafkaController()),
                        "--no-stdin-watch"));
        ClusterMember m = launch(Role.BROKER, 0, cmd, out);
        awaitReady(
                m,
                () -> Files.exists(out) && Files.readString(out).contains("READY"),
                "the Kafka broker to accept clients at " + bootstrapServers());
        return m;
    }

    /** Starts the JobManager and waits until its REST API answers. */
    public ClusterMember startJobManager() throws IOException, InterruptedException {
        requireNotRunning(Role.JOBMANAGER, 0);
        Configuration conf = configuration(Role.JOBMANAGER, 0);
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(split(JobManagerProcessUtils.generateJvmParametersStr(spec, conf)));
        cmd.addAll(jvmOptions(conf, CoreOptions.FLINK_JM_JVM_OPTIONS));
        cmd.addAll(logOptions(Role.JOBMANAGER, 0));
        cmd.addAll(List.of("-cp", ClusterClasspath.resolve(home)));
        cmd.add("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
        cmd.addAll(List.of("--configDir", confDir().toString()));
        cmd.addAll(dynamicProperties(Role.JOBMANAGER, 0));
        cmd.addAll(split(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
        ClusterMember m = launch(Role.JOBMANAGER, 0, cmd, null);
        awaitReady(m, () -> rest().reachable(), "the JobManager's REST API at " + restAddress());
        return m;
    }

    /** Starts one more TaskManager (the next number) and waits until it has registered. */
    public ClusterMember startTaskManager() throws IOException, InterruptedException {
        // Never a number used before: the JobManager may still hold a killed TaskManager's id.
        int index =
                Math.max(
                                lastTaskManager,
                                members.stream()
                                        .filter(m -> m.role() == Role.TASKMANAGER)
                                        .mapToInt(ClusterMember::index)
                                        .max()
                                        .orElse(0))
                        + 1;
        lastTaskManager = index;
        Configuration conf = configuration(Role.TASKMANAGER, index);
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
        Files.createDirectories(dir.resolve("tmp/taskmanager-" + index));
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(split(ProcessMemoryUtils.generateJvmParametersStr(spec)));
        cmd.addAll(jvmOptions(conf, CoreOptions.FLINK_TM_JVM_OPTIONS));
        cmd.addAll(logOptions(Role.TASKMANAGER, index));
        cmd.addAll(List.of("-cp", ClusterClasspath.resolve(home)));
        cmd.add("org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
        cmd.addAll(List.of("--configDir", confDir().toString()));
        cmd.addAll(dynamicProperties(Role.TASKMANAGER, index));
        cmd.addAll(split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
        ClusterMember m = launch(Role.TASKMANAGER, index, cmd, null);
        String id = resourceId(index);
        awaitReady(
                m,
                () ->
                        rest().taskManagers().stream()
                                .anyMatch(t -> id.equals(t.path("id").asText())),
                "TaskManager " + id + " to register with the JobManager");
        return m;
    }

    // ------------------------------------------------------------------ stopping members

    /** kill -9 of one member, as a crashed machine would go; waits until it is gone. */
    public void kill(ClusterMember m) throws IOException, InterruptedException {
        Optional<ProcessHandle> p = m.process();
        if (p.isPresent()) {
            p.get().destroyForcibly();
            awaitExit(p.get());
        }
        members.remove(m);
        save();
    }

    /** Stops one member gracefully (SIGTERM), or kills it after {@link #STOP_TIMEOUT}. */
    public void stop(ClusterMember m) throws IOException, InterruptedException {
        Optional<ProcessHandle> p = m.process();
        if (p.isPresent()) {
            ProcessHandle h = p.get();
            h.destroy();
            try {
                h.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException
                    | java.util.concurrent.ExecutionException e) {
                h.destroyForcibly();
                awaitExit(h);
            }
        }
        members.remove(m);
        save();
    }

    /**
     * Stops every member, TaskManagers first and the broker last, so that running jobs fail over
     * nowhere and the broker sees its clients go.
     */
    public void stop() throws IOException, InterruptedException {
        List<ClusterMember> order = new ArrayList<>(members);
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

    // ------------------------------------------------------------------ internals

    private Path confDir() {
        return dir.resolve("conf");
    }

    /**
     * The configuration a member reads: the shared file, copied into the cluster's conf directory,
     * with this machine's settings on top.
     */
    private Configuration configuration(Role role, int index) throws IOException {
        Path shared = home.resolve("deploy/flink/config.yaml");
        if (!Files.exists(shared)) {
            throw new IllegalStateException(shared + " is missing");
        }
        Files.createDirectories(confDir());
        Files.copy(shared, confDir().resolve("config.yaml"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(
                home.resolve("deploy/flink/log4j-cluster.properties"),
                confDir().resolve("log4j.properties"),
                StandardCopyOption.REPLACE_EXISTING);
        Configuration conf = GlobalConfiguration.loadConfiguration(confDir().toString());
        Map<String, String> dynamic = settings(role, index);
        dynamic.forEach(conf::setString);
        return conf;
    }

    /** Addresses, ports, directories and sizes of this machine, for one member. */
    private Map<String, String> settings(Role role, int index) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("jobmanager.rpc.address", HOST);
        s.put("jobmanager.rpc.port", String.valueOf(ports.rpc()));
        s.put("jobmanager.bind-host", HOST);
        s.put("rest.address", HOST);
        s.put("rest.bind-address", HOST);
        s.put("rest.port", String.valueOf(ports.rest()));
        s.put("execution.checkpointing.dir", checkpointDir());
        s.put("execution.checkpointing.savepoint-dir", savepointDir());
        s.put("web.upload.dir", dir.resolve("uploads").toString());
        s.put("web.tmpdir", dir.resolve("tmp/web").toString());
        s.put("blob.storage.directory", dir.resolve("tmp/blobs").toString());
        s.put("jobmanager.memory.process.size", "1024m");
        if (role == Role.TASKMANAGER) {
            s.put("taskmanager.host", HOST);
            s.put("taskmanager.bind-host", HOST);
            s.put("taskmanager.resource-id", resourceId(index));
            s.put("taskmanager.numberOfTaskSlots", String.valueOf(slots));
            s.put("taskmanager.memory.process.size", taskManagerMemory);
            s.put("io.tmp.dirs", dir.resolve("tmp/taskmanager-" + index).toString());
        }
        // A port range: every process of the machine takes the next free port for its reporter.
        s.put("metrics.reporter.prom.port", "9249-9299");
        s.putAll(flinkSettings);
        return s;
    }

    private List<String> dynamicProperties(Role role, int index) {
        List<String> out = new ArrayList<>();
        settings(role, index).forEach((k, v) -> out.addAll(List.of("-D", k + "=" + v)));
        return out;
    }

    private static List<String> jvmOptions(
            Configuration conf, org.apache.flink.configuration.ConfigOption<String> roleOptions) {
        List<String> out = new ArrayList<>();
        out.addAll(split(conf.get(CoreOptions.FLINK_DEFAULT_JVM_OPTIONS)));
        out.addAll(split(conf.get(CoreOptions.FLINK_JVM_OPTIONS)));
        out.addAll(split(conf.get(roleOptions)));
        return out;
    }

    private List<String> logOptions(Role role, int index) {
        String log = dir.resolve("log/" + role.word() + "-" + index + ".log").toString();
        String config = confDir().resolve("log4j.properties").toUri().toString();
        return List.of(
                "-Dlog.file=" + log,
                "-Dlog4j.configuration=" + config,
                "-Dlog4j.configurationFile=" + config);
    }

    private static String resourceId(int index) {
        return "taskmanager-" + index;
    }

    private ClusterMember launch(Role role, int index, List<String> cmd, Path stdout)
            throws IOException {
        Path log = dir.resolve("log/" + role.word() + "-" + index + ".err");
        Files.createDirectories(log.getParent());
        List<String> full = new ArrayList<>();
        // Its own session: the member must not get the terminal's Ctrl-C or hang-up.
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            full.add("/usr/bin/setsid");
        }
        full.addAll(cmd);
        Files.writeString(
                dir.resolve("log/" + role.word() + "-" + index + ".cmd"), String.join(" ", full));
        Process p =
                new ProcessBuilder(full)
                        .directory(dir.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .redirectOutput(
                                stdout == null
                                        ? ProcessBuilder.Redirect.appendTo(log.toFile())
                                        : ProcessBuilder.Redirect.to(stdout.toFile()))
                        .start();
        Instant started = p.toHandle().info().startInstant().orElse(Instant.now());
        ClusterMember m = new ClusterMember(role, index, p.pid(), started, log);
        members.removeIf(x -> x.role() == role && x.index() == index);
        members.add(m);
        members.sort(Comparator.comparing(ClusterMember::role).thenComparing(ClusterMember::index));
        save();
        return m;
    }

    /** A check that may throw while the member starts up. */
    private interface Check {
        boolean ok() throws IOException;
    }

    private void awaitReady(ClusterMember m, Check ready, String what)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!m.alive()) {
                throw new IllegalStateException(
                        m.name() + " exited while waiting for " + what + "; its log:\n" + tail(m));
            }
            try {
                if (ready.ok()) {
                    return;
                }
            } catch (IOException notYet) {
                // not answering yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(
                "timed out after " + READY_TIMEOUT + " waiting for " + what + "; see " + m.log());
    }

    /** The last lines of a member's logs, to say why it died. */
    public String tail(ClusterMember m) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Path p :
                List.of(
                        m.log(),
                        dir.resolve("log/" + m.role().word() + "-" + m.index() + ".log"))) {
            if (Files.exists(p)) {
                List<String> all = Files.readAllLines(p, StandardCharsets.UTF_8);
                lines.addAll(all.subList(Math.max(0, all.size() - 20), all.size()));
            }
        }
        return String.join("\n", lines);
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

    private String describeAlive() {
        List<String> out = new ArrayList<>();
        for (ClusterMember m : members) {
            if (m.alive()) {
                out.add(m.name() + " pid " + m.pid());
            }
        }
        return String.join(", ", out);
    }

    private void save() throws IOException {
        Properties p = new Properties();
        p.setProperty("home", home.toString());
        p.setProperty("port.kafka", String.valueOf(ports.kafka()));
        p.setProperty("port.kafka-controller", String.valueOf(ports.kafkaController()));
        p.setProperty("port.rest", String.valueOf(ports.rest()));
        p.setProperty("port.rpc", String.valueOf(ports.rpc()));
        p.setProperty("slots", String.valueOf(slots));
        p.setProperty("taskmanager-memory", taskManagerMemory);
        p.setProperty("last-taskmanager", String.valueOf(lastTaskManager));
        flinkSettings.forEach((k, v) -> p.setProperty("flink." + k, v));
        for (ClusterMember m : members) {
            p.setProperty(
                    "member." + m.role().word() + "." + m.index(),
                    m.pid() + " " + m.startedAt().toEpochMilli() + " " + m.log());
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve("members.properties.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "Perpetua local cluster: the processes it started");
        }
        Files.move(
                tmp,
                dir.resolve("members.properties"),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private static void awaitExit(ProcessHandle h) throws InterruptedException {
        try {
            h.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException
                | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("process " + h.pid() + " does not end", e);
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> split(String options) {
        List<String> out = new ArrayList<>();
        if (options == null) {
            return out;
        }
        for (String s : options.trim().split("\\s+")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }
}
