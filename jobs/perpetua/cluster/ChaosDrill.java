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

    /** Parallelism of the job before any rescale. */
    static final int PARALLELISM = 2;

    /** TaskManagers of the drill's cluster, two slots each. */
    static final int TASK_MANAGERS = 3;

    static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(2);
    static final long SEED = 42;

    /**
     * What the drill does.
     *
     * @param home the project (its deploy/ folder and its class path)
     * @param dir the drill's working folder
     * @param jar the job jar to deploy
     * @param events valid events to publish, each with a unique id
     * @param models models the events are spread over
     * @param kills TaskManager kill -9s, each followed by a new TaskManager
     * @param brokerDown how long the broker stays down after its kill -9, or null for no broker
     *     restart
     * @param rescaleTo the parallelism to stop with a savepoint and resume at, or null for none
     * @param rate events per second
     */
    public record Settings(
            Path home,
            Path dir,
            Path jar,
            long events,
            int models,
            int kills,
            Duration brokerDown,
            Integer rescaleTo,
            double rate) {}

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

        @picocli.CommandLine.Option(
                names = "--broker-down",
                defaultValue = "10",
                description = "Seconds the broker stays down (default: ${DEFAULT-VALUE}).")
        long brokerDown;

        @picocli.CommandLine.Option(names = "--dir", description = "Working folder.")
        Path dir;

        @picocli.CommandLine.Option(names = "--jar", description = "The job jar.")
        Path jar;

        @Override
        public Integer call() throws Exception {
            Path home = BenchDir.home();
            Path work = BenchDir.fresh(dir, "chaos");
            Settings settings =
                    new Settings(
                            home,
                            work,
                            jar != null ? jar : JobJar.in(home),
                            events,
                            models,
                            kills,
                            noBrokerRestart ? null : Duration.ofSeconds(brokerDown),
                            rescaleTo,
                            rate);
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

    private final Settings s;
    private final PrintStream log;
    private final List<Instant> kills = new CopyOnWriteArrayList<>();
    private int brokerRestarts;
    private LocalCluster cluster;
    private String jobId;
    private String jarId;
    private ChaosOracle oracle;
    private ChaosProducer producer;
    private String prefix;

    public ChaosDrill(Settings settings, PrintStream log) {
        this.s = settings;
        this.log = log;
    }

    /** Runs the drill; the cluster is stopped before it returns, whatever happened. */
    public ChaosOracle.Verdict run() throws Exception {
        long t0 = System.currentTimeMillis();
        prefix = "chaos-" + t0;
        LocalCluster.Ports ports = LocalCluster.Ports.free();
        cluster = LocalCluster.create(s.dir(), s.home(), ports, 2, "1600m", Map.of());
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
        say("starting a broker, a JobManager and %d TaskManagers in %s", TASK_MANAGERS, s.dir());
        cluster.start(TASK_MANAGERS);
        JobOptions options = JobOptions.fromArgs(jobArgs().toArray(String[]::new));
        KafkaIo.createTopics(options, 4);

        jarId = cluster.rest().uploadJar(s.jar());
        jobId = deploy(PARALLELISM, null);
        say("job %s runs at parallelism %d", jobId, PARALLELISM);

        oracle = new ChaosOracle(cluster.bootstrapServers(), s.events());
        producer =
                new ChaosProducer(
                        cluster.bootstrapServers(), s.events(), s.models(), s.rate(), SEED);
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
            say(
                    "the job failed and restarted %d times",
                    cluster.rest()
                            .exceptions(jobId)
                            .path("exceptionHistory")
                            .path("entries")
                            .size());
            // Stopping with a savepoint commits the job's last transactions and leaves none open.
            say("job stopped with savepoint %s", cluster.rest().stopWithSavepoint(jobId, 10));
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
        if (s.brokerDown() != null) {
            steps.add(steps.size() / 2, this::restartBroker);
        }
        if (s.rescaleTo() != null) {
            steps.add(this::rescale);
        }
        producer.spreadOver(steps);
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
            awaitRecovery(at);
        } catch (Exception e) {
            throw new IllegalStateException("the TaskManager kill failed", e);
        }
    }

    private void restartBroker() {
        try {
            // A backlog, so that the job has outputs in flight when the broker goes.
            producer.burst(2_000);
            say("kill -9 the broker; it stays down %d s", s.brokerDown().toSeconds());
            cluster.restartBroker(true, s.brokerDown());
            brokerRestarts++;
            say("broker restarted on its data");
            awaitRecovery(Instant.now());
        } catch (Exception e) {
            throw new IllegalStateException("the broker restart failed", e);
        }
    }

    /** Waits until a prediction made after {@code fault} is committed, so faults do not overlap. */
    private void awaitRecovery(Instant fault) throws InterruptedException {
        if (!oracle.awaitPredictionAfter(fault, Duration.ofMinutes(5))) {
            throw new IllegalStateException("the job committed no prediction within 5 min");
        }
        say(
                "predictions committed again %d ms after the fault",
                System.currentTimeMillis() - fault.toEpochMilli());
    }

    private void rescale() {
        try {
            String savepoint = cluster.rest().stopWithSavepoint(jobId, 10);
            say("job stopped with savepoint %s", savepoint);
            jobId = deploy(s.rescaleTo(), savepoint);
            say("job %s resumed from it at parallelism %d", jobId, s.rescaleTo());
        } catch (Exception e) {
            throw new IllegalStateException("the savepoint rescale failed", e);
        }
    }

    /** A TaskManager that runs at least one of the job's tasks. */
    private ClusterMember taskManagerRunningTheJob() throws IOException, InterruptedException {
        cluster.rest().awaitRunning(jobId, Duration.ofMinutes(3));
        List<String> used = new ArrayList<>();
        for (JsonNode v : cluster.rest().job(jobId).path("vertices")) {
            JsonNode detail = cluster.rest().vertexTaskManagers(jobId, v.path("id").asText());
            for (JsonNode tm : detail.path("taskmanagers")) {
                used.add(tm.path("taskmanager-id").asText());
            }
        }
        List<ClusterMember> alive = new ArrayList<>(cluster.alive(Role.TASKMANAGER));
        Collections.shuffle(alive, new Random(SEED + kills.size()));
        for (ClusterMember m : alive) {
            if (used.contains("taskmanager-" + m.index())) {
                return m;
            }
        }
        throw new IllegalStateException("no TaskManager runs the job; running: " + used);
    }

    /** Runs the job at {@code parallelism}, from {@code savepoint} if not null; waits for it. */
    private String deploy(int parallelism, String savepoint)
            throws IOException, InterruptedException {
        String id =
                cluster.rest()
                        .runJar(
                                jarId,
                                new FlinkRest.Run(
                                        "perpetua.job.OnlineLearningJob",
                                        jobArgs(),
                                        parallelism,
                                        savepoint,
                                        false));
        cluster.rest().awaitRunning(id, Duration.ofMinutes(3));
        Map<String, Integer> vertices = cluster.rest().parallelism(id);
        if (vertices.values().stream().anyMatch(p -> p != parallelism)) {
            throw new IllegalStateException(
                    "job " + id + " runs at " + vertices + ", not at parallelism " + parallelism);
        }
        return id;
    }

    private List<String> jobArgs() {
        return ChaosProducer.jobArgs(
                cluster.bootstrapServers(),
                s.models(),
                CHECKPOINT_INTERVAL.toMillis() + "ms",
                prefix,
                "--state-backend",
                "rocksdb");
    }

    /** Transactions of the job's sinks that the broker still holds open. */
    private List<String> openTransactions() throws Exception {
        return ChaosOracle.openTransactions(cluster.bootstrapServers(), prefix);
    }

    private void say(String format, Object... args) {
        log.printf("%tT chaos: %s%n", System.currentTimeMillis(), String.format(format, args));
        log.flush();
    }
}
