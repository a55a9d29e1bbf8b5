package perpetua.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import perpetua.cluster.ClusterMember;
import perpetua.cluster.ClusterMember.Role;
import perpetua.cluster.LocalCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code perpetua cluster}: a local multi-process Flink cluster and Kafka broker, no Docker. */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = {
            "A local Flink standalone cluster and a Kafka broker (KRaft), each process its own JVM"
                    + " on 127.0.0.1, started from Maven-resolved jars.",
            "Its configuration is deploy/flink/config.yaml; its logs, broker data, checkpoints and"
                    + " savepoints live under .perpetua/cluster."
        },
        subcommands = {
            ClusterCommand.Start.class,
            ClusterCommand.Status.class,
            ClusterCommand.Stop.class,
            ClusterCommand.Kill.class,
            ClusterCommand.Restart.class
        })
final class ClusterCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static Path home() {
        return Path.of(System.getProperty("perpetua.home", ".")).toAbsolutePath();
    }

    /** Where a command finds its cluster. */
    static class Where {
        @Option(
                names = "--dir",
                description = "The cluster's folder (default: .perpetua/cluster in the project).")
        Path dir;

        Path dir() {
            return dir != null ? dir : home().resolve(".perpetua/cluster");
        }
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = {
                "Start the whole cluster (broker, JobManager, TaskManagers), or with MEMBER one"
                        + " more member of a running cluster: taskmanager, broker or jobmanager.",
                "Examples: perpetua cluster start --taskmanagers 3 --slots 2;"
                        + " perpetua cluster start taskmanager"
            })
    static final class Start implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "MEMBER", description = "One member to start.")
        String member;

        @Option(
                names = "--taskmanagers",
                defaultValue = "2",
                description = "TaskManagers to start (default: ${DEFAULT-VALUE}).")
        int taskManagers;

        @Option(
                names = "--slots",
                defaultValue = "2",
                description = "Task slots per TaskManager (default: ${DEFAULT-VALUE}).")
        int slots;

        @Option(
                names = "--taskmanager-memory",
                defaultValue = "1600m",
                description = "Process size of each TaskManager (default: ${DEFAULT-VALUE}).")
        String taskManagerMemory;

        @Option(
                names = "--kafka-port",
                defaultValue = "9092",
                description = "Kafka's client port; the controller takes the next one.")
        int kafkaPort;

        @Option(
                names = "--web-port",
                defaultValue = "8081",
                description = "Flink's web UI and REST port (default: ${DEFAULT-VALUE}).")
        int webPort;

        @Option(
                names = "--rpc-port",
                defaultValue = "6123",
                description = "The JobManager's RPC port (default: ${DEFAULT-VALUE}).")
        int rpcPort;

        @picocli.CommandLine.Mixin Where where = new Where();

        @Override
        public Integer call() throws Exception {
            if (member != null) {
                LocalCluster c = LocalCluster.open(where.dir());
                ClusterMember m =
                        switch (Role.of(member)) {
                            case TASKMANAGER -> c.startTaskManager();
                            case BROKER -> c.startBroker();
                            case JOBMANAGER -> c.startJobManager();
                        };
                System.out.printf("started %s (pid %d)%n", m.name(), m.pid());
                return 0;
            }
            LocalCluster c =
                    LocalCluster.create(
                            where.dir(),
                            home(),
                            new LocalCluster.Ports(kafkaPort, kafkaPort + 1, webPort, rpcPort),
                            slots,
                            taskManagerMemory,
                            Map.of());
            System.err.println("starting a local cluster in " + c.dir() + " ...");
            try {
                c.startBroker();
                System.err.println("  broker ready at " + c.bootstrapServers());
                c.startJobManager();
                System.err.println("  JobManager ready at http://" + c.restAddress());
                for (int i = 0; i < taskManagers; i++) {
                    ClusterMember tm = c.startTaskManager();
                    System.err.println("  " + tm.name() + " registered");
                }
            } catch (RuntimeException e) {
                System.err.println("the cluster did not start: " + e.getMessage());
                System.err.println("stopping what had started");
                c.stop();
                return 1;
            }
            Status.print(c);
            System.out.printf(
                    "%nDeploy the job:  perpetua deploy --jobmanager %s --bootstrap-servers %s"
                            + " --create-topics --spec-file SPEC%n",
                    c.restAddress(), c.bootstrapServers());
            return 0;
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "List the cluster's processes, ports and jobs.")
    static final class Status implements Callable<Integer> {
        @picocli.CommandLine.Mixin Where where = new Where();

        @Override
        public Integer call() throws Exception {
            LocalCluster c = LocalCluster.open(where.dir());
            print(c);
            return c.members().stream().allMatch(ClusterMember::alive) ? 0 : 1;
        }

        static void print(LocalCluster c) {
            System.out.println("cluster in " + c.dir());
            System.out.printf("%-15s %8s  %-8s %s%n", "member", "pid", "state", "address");
            for (ClusterMember m : c.members()) {
                String address =
                        switch (m.role()) {
                            case BROKER -> c.bootstrapServers();
                            case JOBMANAGER -> "http://" + c.restAddress() + " (web UI and REST)";
                            case TASKMANAGER -> c.slots() + " slots";
                        };
                System.out.printf(
                        "%-15s %8d  %-8s %s%n",
                        m.name(), m.pid(), m.alive() ? "running" : "gone", address);
            }
            try {
                JsonNode overview = c.rest().overview();
                System.out.printf(
                        "TaskManagers registered: %d, slots: %d (%d free)%n",
                        overview.path("taskmanagers").asInt(),
                        overview.path("slots-total").asInt(),
                        overview.path("slots-available").asInt());
                List<JsonNode> jobs = c.rest().jobs();
                System.out.println(jobs.isEmpty() ? "jobs: none" : "jobs:");
                for (JsonNode j : jobs) {
                    System.out.printf(
                            "  %s  %-10s %s%n",
                            j.path("jid").asText(),
                            j.path("state").asText(),
                            j.path("name").asText());
                }
            } catch (java.io.IOException e) {
                System.out.println("the JobManager does not answer: " + e.getMessage());
            }
        }
    }

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description =
                    "Stop every process the cluster started (TaskManagers, JobManager, broker);"
                            + " data, checkpoints and savepoints stay.")
    static final class Stop implements Callable<Integer> {
        @picocli.CommandLine.Mixin Where where = new Where();

        @Override
        public Integer call() throws Exception {
            LocalCluster c = LocalCluster.open(where.dir());
            for (ClusterMember m : c.members()) {
                System.err.printf("stopping %s (pid %d)%n", m.name(), m.pid());
            }
            c.stop();
            long left = c.members().stream().filter(ClusterMember::alive).count();
            System.out.println(left == 0 ? "stopped" : left + " processes still run");
            return left == 0 ? 0 : 1;
        }
    }

    @Command(
            name = "kill",
            mixinStandardHelpOptions = true,
            description = {
                "kill -9 one member, as a crashed machine would go: a fault drill.",
                "Examples: perpetua cluster kill taskmanager 2; perpetua cluster kill broker"
            })
    static final class Kill implements Callable<Integer> {
        @Parameters(
                index = "0",
                paramLabel = "ROLE",
                description = "taskmanager, broker or jobmanager.")
        String role;

        @Parameters(
                index = "1",
                arity = "0..1",
                paramLabel = "NUMBER",
                description = "Which TaskManager (see `cluster status`); default the first.")
        Integer index;

        @picocli.CommandLine.Mixin Where where = new Where();

        @Override
        public Integer call() throws Exception {
            LocalCluster c = LocalCluster.open(where.dir());
            Role r = Role.of(role);
            List<ClusterMember> alive = c.alive(r);
            ClusterMember m =
                    index == null
                            ? alive.stream().findFirst().orElse(null)
                            : c.member(r, index).filter(ClusterMember::alive).orElse(null);
            if (m == null) {
                System.err.println("no running " + r.word() + (index == null ? "" : " " + index));
                return 1;
            }
            c.kill(m);
            System.out.printf("killed %s (pid %d) with SIGKILL%n", m.name(), m.pid());
            return 0;
        }
    }

    @Command(
            name = "restart",
            mixinStandardHelpOptions = true,
            description = {
                "Restart a member on its data: a fault drill. The broker keeps its log and ports.",
                "Example: perpetua cluster restart broker --kill --down 30"
            })
    static final class Restart implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ROLE", description = "broker.")
        String role;

        @Option(names = "--kill", description = "kill -9 instead of a graceful stop.")
        boolean kill;

        @Option(
                names = "--down",
                defaultValue = "0",
                description = "Seconds to stay down before starting again (default: 0).")
        long downSeconds;

        @picocli.CommandLine.Mixin Where where = new Where();

        @Override
        public Integer call() throws Exception {
            if (Role.of(role) != Role.BROKER) {
                System.err.println(
                        "only the broker restarts in place; kill a TaskManager and `cluster start"
                                + " taskmanager` for a new one");
                return 2;
            }
            LocalCluster c = LocalCluster.open(where.dir());
            c.restartBroker(kill, Duration.ofSeconds(downSeconds));
            System.out.println("broker restarted at " + c.bootstrapServers());
            return 0;
        }
    }
}
