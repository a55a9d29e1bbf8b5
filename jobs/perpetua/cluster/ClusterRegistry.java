package perpetua.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import perpetua.cluster.ClusterMember.Role;
import perpetua.cluster.LocalCluster.Ports;

/**
 * The registry of a local cluster, {@code members.properties} in its directory: how the cluster was
 * created and which processes (role, number, pid, start time) it runs.
 *
 * <p>Later commands read it to find, kill and stop exactly these processes and never a process that
 * reused a pid. Every change is written at once, by an atomic rename, so that a command that dies
 * halfway leaves the last complete registry behind.
 */
final class ClusterRegistry {
    private static final String FILE = "members.properties";

    private final Path dir;
    private final Path home;
    private final Ports ports;
    private final int slots;
    private final String taskManagerMemory;
    private final Map<String, String> flinkSettings;
    private final List<ClusterMember> members = new ArrayList<>();
    private int lastTaskManager;

    ClusterRegistry(
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

    /** Whether {@code dir} holds a registry. */
    static boolean exists(Path dir) {
        return Files.exists(dir.resolve(FILE));
    }

    /** The registry in {@code dir}, as the last command wrote it. */
    static ClusterRegistry read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
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
        ClusterRegistry r =
                new ClusterRegistry(
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
        r.lastTaskManager = Integer.parseInt(p.getProperty("last-taskmanager", "0"));
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("member.")) {
                String[] name = key.substring("member.".length()).split("\\.");
                String[] v = p.getProperty(key).split(" ", 3);
                r.members.add(
                        new ClusterMember(
                                Role.of(name[0]),
                                Integer.parseInt(name[1]),
                                Long.parseLong(v[0]),
                                Instant.ofEpochMilli(Long.parseLong(v[1])),
                                Path.of(v[2])));
            }
        }
        r.members.sort(
                Comparator.comparing(ClusterMember::role).thenComparing(ClusterMember::index));
        return r;
    }

    Path dir() {
        return dir;
    }

    Path home() {
        return home;
    }

    Ports ports() {
        return ports;
    }

    int slots() {
        return slots;
    }

    String taskManagerMemory() {
        return taskManagerMemory;
    }

    Map<String, String> flinkSettings() {
        return flinkSettings;
    }

    /** Every member ever started and not stopped, alive or not, by role and number. */
    List<ClusterMember> members() {
        return List.copyOf(members);
    }

    /** The member {@code role-index}, if the registry has it. */
    Optional<ClusterMember> member(Role role, int index) {
        return members.stream().filter(m -> m.role() == role && m.index() == index).findFirst();
    }

    /**
     * The number of the next TaskManager, taken for good: never a number used before, because the
     * JobManager may still hold a killed TaskManager's id.
     */
    int nextTaskManager() {
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
        return index;
    }

    /** Records {@code m} in place of any earlier member of its role and number, and saves. */
    void put(ClusterMember m) throws IOException {
        members.removeIf(x -> x.role() == m.role() && x.index() == m.index());
        members.add(m);
        members.sort(Comparator.comparing(ClusterMember::role).thenComparing(ClusterMember::index));
        save();
    }

    /** Forgets {@code m}, which no longer runs, and saves. */
    void remove(ClusterMember m) throws IOException {
        members.remove(m);
        save();
    }

    /** The members whose process runs, as {@code name pid N}, for an error message. */
    String describeAlive() {
        List<String> out = new ArrayList<>();
        for (ClusterMember m : members) {
            if (m.alive()) {
                out.add(m.name() + " pid " + m.pid());
            }
        }
        return String.join(", ", out);
    }

    void save() throws IOException {
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
        Path tmp = dir.resolve(FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "Perpetua local cluster: the processes it started");
        }
        Files.move(
                tmp,
                dir.resolve(FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }
}
