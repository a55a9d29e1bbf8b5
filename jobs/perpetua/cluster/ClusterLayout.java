package perpetua.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;
import perpetua.cluster.ClusterMember.Role;
import perpetua.cluster.LocalCluster.Ports;

/**
 * Where the members of a local cluster find their class path and configuration and put their logs
 * and state, and the command line that starts each of them.
 *
 * <p>The Flink members read {@code deploy/flink/config.yaml}, the same file the compose deployment
 * mounts, copied into the cluster's {@code conf} directory, with the addresses, ports and
 * directories of this machine given as dynamic properties; a member's memory and CPU settings are
 * computed from it the way Flink's own start script computes them.
 */
final class ClusterLayout {
    static final String HOST = "127.0.0.1";

    private final ClusterRegistry cluster;

    ClusterLayout(ClusterRegistry cluster) {
        this.cluster = cluster;
    }

    /** The durable checkpoint directory, as a URI. */
    String checkpointDir() {
        return cluster.dir().resolve("checkpoints").toUri().toString();
    }

    /** The default savepoint directory, as a URI. */
    String savepointDir() {
        return cluster.dir().resolve("savepoints").toUri().toString();
    }

    /** Where the broker writes its standard output, which says when it serves. */
    Path brokerOut() {
        return cluster.dir().resolve("log/broker.out");
    }

    /** The file a member's standard error goes to. */
    Path errorLog(Role role, int index) {
        return cluster.dir().resolve("log/" + role.word() + "-" + index + ".err");
    }

    /** The file a Flink member logs to. */
    Path memberLog(Role role, int index) {
        return cluster.dir().resolve("log/" + role.word() + "-" + index + ".log");
    }

    /** The file that keeps the command line a member was started with. */
    Path commandFile(Role role, int index) {
        return cluster.dir().resolve("log/" + role.word() + "-" + index + ".cmd");
    }

    /** The TaskManager's id with the JobManager. */
    static String resourceId(int index) {
        return "taskmanager-" + index;
    }

    /** The broker's command line, on its data directory, which survives restarts. */
    List<String> brokerCommand() {
        Ports ports = cluster.ports();
        List<String> cmd = new ArrayList<>();
        cmd.add(MemberProcesses.java());
        cmd.addAll(List.of("-Xmx1g", "-XX:+UseG1GC"));
        cmd.add(
                "-Dlog4j2.configurationFile="
                        + cluster.home().resolve("src/main/resources/log4j2.properties"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        cmd.add("perpetua.runtime.KafkaBroker");
        cmd.addAll(
                List.of(
                        "--dir",
                        cluster.dir().resolve("kafka").toString(),
                        "--port",
                        String.valueOf(ports.kafka()),
                        "--controller-port",
                        String.valueOf(ports.kafkaController()),
                        "--no-stdin-watch"));
        return cmd;
    }

    /** The JobManager's command line, with its memory computed from the configuration. */
    List<String> jobManagerCommand() throws IOException, InterruptedException {
        Configuration conf = configuration(Role.JOBMANAGER, 0);
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
        List<String> cmd = new ArrayList<>();
        cmd.add(MemberProcesses.java());
        cmd.addAll(split(JobManagerProcessUtils.generateJvmParametersStr(spec, conf)));
        cmd.addAll(jvmOptions(conf, CoreOptions.FLINK_JM_JVM_OPTIONS));
        cmd.addAll(logOptions(Role.JOBMANAGER, 0));
        cmd.addAll(List.of("-cp", ClusterClasspath.resolve(cluster.home())));
        cmd.add("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
        cmd.addAll(List.of("--configDir", confDir().toString()));
        cmd.addAll(dynamicProperties(Role.JOBMANAGER, 0));
        cmd.addAll(split(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
        return cmd;
    }

    /**
     * The command line of TaskManager {@code index}, with its memory and CPU computed from the
     * configuration; creates its temporary directory.
     */
    List<String> taskManagerCommand(int index) throws IOException, InterruptedException {
        Configuration conf = configuration(Role.TASKMANAGER, index);
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
        Files.createDirectories(cluster.dir().resolve("tmp/taskmanager-" + index));
        List<String> cmd = new ArrayList<>();
        cmd.add(MemberProcesses.java());
        cmd.addAll(split(ProcessMemoryUtils.generateJvmParametersStr(spec)));
        cmd.addAll(jvmOptions(conf, CoreOptions.FLINK_TM_JVM_OPTIONS));
        cmd.addAll(logOptions(Role.TASKMANAGER, index));
        cmd.addAll(List.of("-cp", ClusterClasspath.resolve(cluster.home())));
        cmd.add("org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
        cmd.addAll(List.of("--configDir", confDir().toString()));
        cmd.addAll(dynamicProperties(Role.TASKMANAGER, index));
        cmd.addAll(split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
        return cmd;
    }

    private Path confDir() {
        return cluster.dir().resolve("conf");
    }

    /**
     * The configuration a member reads: the shared file, copied into the cluster's conf directory,
     * with this machine's settings on top.
     */
    private Configuration configuration(Role role, int index) throws IOException {
        Path home = cluster.home();
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
        Path dir = cluster.dir();
        Ports ports = cluster.ports();
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
            s.put("taskmanager.numberOfTaskSlots", String.valueOf(cluster.slots()));
            s.put("taskmanager.memory.process.size", cluster.taskManagerMemory());
            s.put("io.tmp.dirs", dir.resolve("tmp/taskmanager-" + index).toString());
        }
        // A port range: every process of the machine takes the next free port for its reporter.
        s.put("metrics.reporter.prom.port", "9249-9299");
        s.putAll(cluster.flinkSettings());
        return s;
    }

    private List<String> dynamicProperties(Role role, int index) {
        List<String> out = new ArrayList<>();
        settings(role, index).forEach((k, v) -> out.addAll(List.of("-D", k + "=" + v)));
        return out;
    }

    private static List<String> jvmOptions(Configuration conf, ConfigOption<String> roleOptions) {
        List<String> out = new ArrayList<>();
        out.addAll(split(conf.get(CoreOptions.FLINK_DEFAULT_JVM_OPTIONS)));
        out.addAll(split(conf.get(CoreOptions.FLINK_JVM_OPTIONS)));
        out.addAll(split(conf.get(roleOptions)));
        return out;
    }

    private List<String> logOptions(Role role, int index) {
        String log = memberLog(role, index).toString();
        String config = confDir().resolve("log4j.properties").toUri().toString();
        return List.of(
                "-Dlog.file=" + log,
                "-Dlog4j.configuration=" + config,
                "-Dlog4j.configurationFile=" + config);
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
