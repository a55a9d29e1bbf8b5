package perpetua.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import perpetua.cluster.ClusterMember.Role;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;

/**
 * Learning under failure, proven by an oracle: a chaos drill on a {@link LocalCluster}.
 *
 * <p>A producer publishes {@code events} events with unique sequence ids over {@code models} models
 * at a steady rate, plus one malformed record per hundred events, while the drill kill -9s a
 * TaskManager that runs the job {@code kills} times (starting a new one each time), kill -9s the
 * broker once and starts it again, and, when asked, stops the job with a savepoint and resumes it
 * at another parallelism. A {@link ChaosOracle} reads the output topics with {@code read_committed}
 * all along. At the end the job is stopped with a savepoint, which commits its last transactions,
 * and the drill checks that every valid event was predicted exactly once, every malformed record is
 * exactly one dead letter, no model's version went backwards, and no transaction is left open on
 * the broker; it measures each recovery (kill to the next committed prediction).
 *
 * <p>Every process it starts is stopped by its pid when it ends, also when it fails.
 */
public final class ChaosDrill {

    /** What the drill does. */
    public record Settings(
            Path home,
            Path dir,
            Path jar,
            long events,
            int models,
            int kills,
            boolean brokerRestart,
            Duration brokerDown,
            Integer rescaleTo,
            double rate,
            int parallelism,
            int taskManagers,
            int slots,
            String taskManagerMemory,
            Duration checkpointInterval,
            long seed) {

        /** The bench defaults: 200,000 events over 10 models, 3 kills, one broker restart. */
        public static Settings defaults(Path home, Path dir, Path jar) {
            return new Settings(
                    home,
                    dir,
                    jar,
                    200_000,
                    10,
                    3,
                    true,
                    Duration.ofSeconds(10),
                    null,
                    1_000,
                    2,
                    3,
                    2,
                    "1600m",
                    Duration.ofSeconds(2),
                    42);
        }

        public Settings withEvents(long n) {
            return new Settings(
                    home,
                    dir,
                    jar,
                    n,
                    models,
                    kills,
                    brokerRestart,
                    brokerDown,
                    rescaleTo,
                    rate,
                    parallelism,
                    taskManagers,
                    slots,
                    taskManagerMemory,
                    checkpointInterval,
                    seed);
        }

        public Settings withModels(int m) {
            return new Settings(
                    home,
                    dir,
                    jar,
                    events,
                    m,
                    kills,
                    brokerRestart,
                    brokerDown,
                    rescaleTo,
                    rate,
                    parallelism,
                    taskManagers,
                    slots,
                    taskManagerMemory,
                    checkpointInterval,
                    seed);
        }

        public Settings withKills(int k) {
            return new Settings(
                    home,
                    dir,
                    jar,
                    events,
                    models,
                    k,
                    brokerRestart,
                    brokerDown,
                    rescaleTo,
                    rate,
                    parallelism,
                    taskManagers,
                    slots,
                    taskManagerMemory,
                    checkpointInterval,
                    seed);
        }

        public Settings withRate(double r) {
            return new Settings(
                    home,
                    dir,
                    jar,
                    events,
                    models,
                    kills,
                    brokerRestart,
                    brokerDown,
                    rescaleTo,
                    r,
                    parallelism,
                    taskManagers,
                    slots,
                    taskManagerMemory,
                    checkpointInterval,
                    seed);
        }

        public Settings withRescaleTo(Integer p) {
            return new Settings(
                    home,
                    dir,
                    jar,
                    events,
                    models,
                    kills,
                    brokerRestart,
                    brokerDown,
                    p,
                    rate,
                    parallelism,
                    taskManagers,
                    slots,
                    taskManagerMemory,
                    checkpointInterval,
                    seed);
        }

        public Settings withBrokerRestart(boolean restart) {
            return new Settings(
                    home,
                    dir,
                    jar,
                    events,
                    models,
                    kills,
                    restart,
                    brokerDown,
                    rescaleTo,
                    rate,
                    parallelism,
                    taskManagers,
                    slots,
                    taskManagerMemory,
                    checkpointInterval,
                    seed);
        }
    }

    /** {@code ./perpetua bench chaos}: the drill with the bench defaults; exit 0 only when ok. */
    @picocli.CommandLine.Command(
            name = "chaos",
            mixinStandardHelpOptions = true,
            description = "A chaos drill with an exactly-once oracle on a local cluster.")
    static final class Command implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.Option(names = "--events", defaultValue = "200000")
        long events;

        @picocli.CommandLine.Option(names = "--models", defaultValue = "10")
        int models;

        @picocli.CommandLine.Option(names = "--kills", defaultValue = "3")
        int kills;

        @picocli.CommandLine.Option(
                names = "--rate",
                defaultValue = "1000",
                description = "Events per second (default: ${DEFAULT-VALUE}).")
        double rate;

        @picocli.CommandLine.Option(
                names = "--rescale-to",
                description = "Also stop with a savepoint and resume at this parallelism.")
        Integer rescaleTo;

        @picocli.CommandLine.Option(
                names = "--no-broker-restart",
                description = "Leave the broker alone.")
        boolean noBrokerRestart;

        @picocli.CommandLine.Option(names = "--dir", description = "Working folder.")
        Path dir;

        @picocli.CommandLine.Option(names = "--jar", description = "The job jar.")
        Path jar;

        @Override
        public Integer call() throws Exception {
            Path home = Path.of(System.getProperty("perpetua.home", ".")).toAbsolutePath();
            Path work = dir != null ? dir : home.resolve("target/bench/chaos");
            deleteRecursively(work);
            Settings settings =
                    Settings.defaults(home, work, jar != null ? jar : jobJar(home))
                            .withEvents(events)
                            .withModels(models)
                            .withKills(kills)
                            .withRate(rate)
                            .withRescaleTo(rescaleTo)
                            .withBrokerRestart(!noBrokerRestart);
            ChaosOracle.Verdict v = new ChaosDrill(settings, System.err).run();
            v.problems().forEach(p -> System.out.println("problem: " + p));
            System.out.println("recoveries_ms=" + v.recoveries());
            System.out.println(v.line());
            return v.ok() ? 0 : 1;
        }
    }

    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new Command()).execute(args));
    }

    /** The shaded job jar of the project at {@code home}. */
    public static Path jobJar(Path home) throws IOException {
        try (java.util.stream.Stream<Path> files =
                java.nio.file.Files.list(home.resolve("target"))) {
            return files.filter(
                            p -> {
                                String n = p.getFileName().toString();
                                return n.startsWith("perpetua-")
                                        && n.endsWith(".jar")
                                        && !n.endsWith("-tests.jar");
                            })
                    .findFirst()
                    .orElseThrow(
                            () ->
                                    new IllegalStateException(
                                            "no job jar in target/: mvn -DskipTests package"));
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!java.nio.file.Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        }
    }

    private final Settings s;
    private final PrintStream log;
    private final List<Instant> kills = new CopyOnWriteArrayList<>();
    private int brokerRestarts;
    private LocalCluster cluster;
    private String jobId;
    private String jarId;
    private String prefix;

    public ChaosDrill(Settings settings, PrintStream log) {
        this.s = settings;
        this.log = log;
    }

    /** Runs the drill; the cluster is stopped before it returns, whatever happened. */
    public ChaosOracle.Verdict run() throws Exception {
        long t0 = System.currentTimeMillis();
        prefix = "chaos-" + t0;
        LocalCluster.Ports ports =
                new LocalCluster.Ports(freePort(), freePort(), freePort(), freePort());
        cluster =
                LocalCluster.create(
                        s.dir(), s.home(), ports, s.slots(), s.taskManagerMemory(), Map.of());
        // Also when this JVM is told to stop (Ctrl-C, a test runner's timeout).
        Thread hook =
                new Thread(
                        () -> {
                            try {
                                cluster.stop();
                            } catch (Exception e) {
                                log.println("stopping the cluster failed: " + e);
                            }
                        },
                        "chaos-cluster-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return drill();
        } finally {
            say("stopping the cluster's processes");
            cluster.stop();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs already
            }
        }
    }

    private ChaosOracle.Verdict drill() throws Exception {
        say("starting a broker, a JobManager and %d TaskManagers in %s", s.taskManagers(), s.dir());
        cluster.start(s.taskManagers());
        JobOptions options = JobOptions.fromArgs(jobArgs().toArray(String[]::new));
        KafkaIo.createTopics(options, 4);

        jarId = cluster.rest().uploadJar(s.jar());
        jobId = deploy(s.parallelism(), null);
        awaitRunning(Duration.ofMinutes(3));
        say("job %s runs at parallelism %d", jobId, s.parallelism());

        ChaosOracle oracle = new ChaosOracle(cluster.bootstrapServers(), s.events());
        ChaosProducer producer =
                new ChaosProducer(
                        cluster.bootstrapServers(), s.events(), s.models(), s.rate(), s.seed());
        Thread reader = new Thread(oracle, "chaos-oracle");
        Thread writer = new Thread(producer, "chaos-producer");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
        try {
            faults(producer);
            writer.join(TimeUnit.HOURS.toMillis(2));
            if (producer.failure() != null) {
                throw new IllegalStateException("the producer failed", producer.failure());
            }
            say(
                    "published %,d events and %,d malformed records; waiting for their"
                            + " predictions",
                    producer.published(), producer.malformed().size());
            oracle.awaitPredicted(s.events(), Duration.ofMinutes(5), this::say);
            // Stopping with a savepoint commits the job's last transactions and leaves none open.
            stopWithSavepoint();
        } finally {
            oracle.stop();
            reader.join(TimeUnit.MINUTES.toMillis(1));
        }
        return oracle.verdict(
                producer.malformed(), kills, brokerRestarts, openTransactions(), s.events());
    }

    /** The kills, the broker restart and the rescale, spread over the producer's run. */
    private void faults(ChaosProducer producer) throws Exception {
        List<Runnable> steps = new ArrayList<>();
        for (int k = 0; k < s.kills(); k++) {
            steps.add(this::killTaskManager);
        }
        if (s.brokerRestart()) {
            steps.add(steps.size() / 2, this::restartBroker);
        }
        if (s.rescaleTo() != null) {
            steps.add(this::rescale);
        }
        int n = steps.size();
        for (int i = 0; i < n; i++) {
            long due = (long) ((i + 1) * (double) s.events() / (n + 1));
            while (producer.published() < due && producer.running()) {
                Thread.sleep(100);
            }
            steps.get(i).run();
        }
    }

    private void killTaskManager() {
        try {
            ClusterMember victim = taskManagerRunningTheJob();
            Instant at = Instant.now();
            cluster.kill(victim);
            kills.add(at);
            say("kill -9 %s (pid %d)", victim.name(), victim.pid());
            ClusterMember fresh = cluster.startTaskManager();
            say("started %s (pid %d)", fresh.name(), fresh.pid());
        } catch (Exception e) {
            throw new IllegalStateException("the TaskManager kill failed", e);
        }
    }

    private void restartBroker() {
        try {
            say("kill -9 the broker; it stays down %d s", s.brokerDown().toSeconds());
            cluster.restartBroker(true, s.brokerDown());
            brokerRestarts++;
            say("broker restarted on its data");
        } catch (Exception e) {
            throw new IllegalStateException("the broker restart failed", e);
        }
    }

    private void rescale() {
        try {
            String savepoint = stopWithSavepoint();
            jobId = deploy(s.rescaleTo(), savepoint);
            awaitRunning(Duration.ofMinutes(3));
            say("job %s resumed from it at parallelism %d", jobId, s.rescaleTo());
        } catch (Exception e) {
            throw new IllegalStateException("the savepoint rescale failed", e);
        }
    }

    /**
     * Stops the job with a savepoint. A job that has just recovered may refuse the checkpoint (its
     * tasks are still restoring): the drill tries again, as an operator would.
     */
    private String stopWithSavepoint() throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 1; attempt <= 10; attempt++) {
            awaitRunning(Duration.ofMinutes(3));
            try {
                String savepoint =
                        cluster.rest().savepoint(jobId, true, null, Duration.ofMinutes(5));
                say("job stopped with savepoint %s", savepoint);
                return savepoint;
            } catch (IOException e) {
                last = e;
                say("savepoint attempt %d refused: %s", attempt, e.getMessage());
                Thread.sleep(3_000);
            }
        }
        throw last;
    }

    /** A TaskManager that runs at least one of the job's tasks. */
    private ClusterMember taskManagerRunningTheJob() throws IOException, InterruptedException {
        awaitRunning(Duration.ofMinutes(3));
        List<String> used = new ArrayList<>();
        for (JsonNode v : cluster.rest().job(jobId).path("vertices")) {
            JsonNode detail = cluster.rest().vertexTaskManagers(jobId, v.path("id").asText());
            for (JsonNode tm : detail.path("taskmanagers")) {
                used.add(tm.path("taskmanager-id").asText());
            }
        }
        List<ClusterMember> alive = new ArrayList<>(cluster.alive(Role.TASKMANAGER));
        Collections.shuffle(alive, new Random(s.seed() + kills.size()));
        for (ClusterMember m : alive) {
            if (used.contains("taskmanager-" + m.index())) {
                return m;
            }
        }
        throw new IllegalStateException("no TaskManager runs the job; running: " + used);
    }

    private String deploy(int parallelism, String savepoint) throws IOException {
        return cluster.rest()
                .runJar(
                        jarId,
                        new FlinkRest.Run(
                                "perpetua.job.OnlineLearningJob",
                                jobArgs(),
                                parallelism,
                                savepoint,
                                false));
    }

    private List<String> jobArgs() {
        return List.of(
                "--bootstrap-servers",
                cluster.bootstrapServers(),
                "--spec",
                ChaosProducer.specs(s.models()),
                "--checkpoint-interval",
                s.checkpointInterval().toMillis() + "ms",
                "--transactional-id-prefix",
                prefix,
                "--group-id",
                prefix,
                "--state-backend",
                "rocksdb");
    }

    /** Waits until the job and every one of its tasks run. */
    private void awaitRunning(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode job = cluster.rest().job(jobId);
            boolean running = "RUNNING".equals(job.path("state").asText());
            for (JsonNode v : job.path("vertices")) {
                running &= "RUNNING".equals(v.path("status").asText());
            }
            if (running) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "job "
                                + jobId
                                + " not running after "
                                + timeout
                                + ": "
                                + job.path("state"));
            }
            Thread.sleep(250);
        }
    }

    /** Transactions of the job's sinks that the broker still holds open. */
    private List<String> openTransactions() throws Exception {
        return ChaosOracle.openTransactions(cluster.bootstrapServers(), prefix);
    }

    private void say(String format, Object... args) {
        log.printf("%tT chaos: %s%n", System.currentTimeMillis(), String.format(format, args));
        log.flush();
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
