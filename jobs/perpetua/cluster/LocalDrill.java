package perpetua.cluster;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;

/**
 * Failure drills of the local runner, {@code ./perpetua job}, each part its own process: a KRaft
 * broker and the job's JVM, with the chaos drill's producer and oracle.
 *
 * <p>A job kill is a kill -9 of the job's JVM followed by the same command again, which must resume
 * from the newest checkpoint the dead job left (so that no model loses a step it had committed: the
 * oracle sees no version go backwards). A broker outage is a kill -9 of the broker, a wait, and a
 * start on the same data and ports; an outage longer than the sinks' delivery timeout fails the
 * job's tasks, and the job must come back by itself once the broker does. At the end the job
 * process is stopped and the oracle checks every event once, every malformed record one dead
 * letter, and no transaction left open.
 */
public final class LocalDrill {

    /** What the drill does. */
    public record Settings(
            Path dir,
            long events,
            int models,
            double rate,
            int jobKills,
            List<Duration> brokerOutages,
            long seed) {}

    /** {@code ./perpetua bench outage}'s local half; exit 0 only when the verdict is ok. */
    @picocli.CommandLine.Command(
            name = "local-drill",
            mixinStandardHelpOptions = true,
            description = "Job kills and broker outages of ./perpetua job, with the oracle.")
    static final class Command implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.Option(names = "--events", defaultValue = "60000")
        long events;

        @picocli.CommandLine.Option(names = "--models", defaultValue = "4")
        int models;

        @picocli.CommandLine.Option(names = "--rate", defaultValue = "200")
        double rate;

        @picocli.CommandLine.Option(names = "--job-kills", defaultValue = "0")
        int jobKills;

        @picocli.CommandLine.Option(
                names = "--outage",
                description = "A broker outage of this many seconds (repeatable).")
        List<Long> outages = new ArrayList<>();

        @picocli.CommandLine.Option(names = "--dir", description = "Working folder.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            Path home = BenchDir.home();
            Path work = BenchDir.fresh(dir, "local-drill");
            LocalDrill drill =
                    new LocalDrill(
                            new Settings(
                                    work,
                                    events,
                                    models,
                                    rate,
                                    jobKills,
                                    outages.stream().map(Duration::ofSeconds).toList(),
                                    42),
                            System.err);
            ChaosOracle.Verdict v = drill.run();
            v.problems().forEach(p -> System.out.println("problem: " + p));
            System.out.println("resumed_from_checkpoint=" + drill.resumedEveryTime());
            System.out.println(drill.sinkFailures());
            System.out.println("recoveries_ms=" + v.recoveries());
            System.out.println(v.line().replace("chaos ", "local "));
            return v.ok() && drill.resumedEveryTime() ? 0 : 1;
        }
    }

    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new Command()).execute(args));
    }

    private final Settings s;
    private final PrintStream log;
    private final List<Instant> kills = new CopyOnWriteArrayList<>();
    private final List<Process> started = new ArrayList<>();
    private int brokerRestarts;
    private int kafkaPort;
    private int controllerPort;
    private Process broker;
    private Process job;
    private ChaosOracle oracle;
    private ChaosProducer producer;

    /** Events sent at once before a broker outage. */
    private static final long BURST = 2_000;

    private int jobStarts;
    private String prefix;

    public LocalDrill(Settings settings, PrintStream log) {
        this.s = settings;
        this.log = log;
    }

    /** Runs the drill; every process it started is stopped before it returns. */
    public ChaosOracle.Verdict run() throws Exception {
        Thread hook = new Thread(this::stopAll, "local-drill-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return drill();
        } finally {
            say("stopping the drill's processes");
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs already
            }
        }
    }

    private ChaosOracle.Verdict drill() throws Exception {
        prefix = "local-drill-" + System.currentTimeMillis();
        kafkaPort = LocalCluster.freePort();
        controllerPort = LocalCluster.freePort();
        Files.createDirectories(s.dir());
        startBroker();
        KafkaIo.createTopics(JobOptions.fromArgs(jobArgs().toArray(String[]::new)), 2);
        startJob();

        awaitCheckpoint();
        oracle = new ChaosOracle(bootstrap(), s.events());
        producer = new ChaosProducer(bootstrap(), s.events(), s.models(), s.rate(), s.seed());
        Thread reader = new Thread(oracle, "local-drill-oracle");
        Thread writer = new Thread(producer, "local-drill-producer");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
        try {
            List<Runnable> steps = new ArrayList<>();
            for (int k = 0; k < s.jobKills(); k++) {
                steps.add(this::killJob);
            }
            for (Duration outage : s.brokerOutages()) {
                steps.add(() -> outage(outage));
            }
            producer.spreadOver(steps);
            writer.join(TimeUnit.HOURS.toMillis(2));
            if (producer.failure() != null) {
                throw new IllegalStateException("the producer failed", producer.failure());
            }
            say(
                    "published %,d events and %,d malformed records; waiting for their"
                            + " predictions",
                    producer.published(), producer.malformed().size());
            oracle.awaitPredicted(s.events(), Duration.ofMinutes(10), (f, a) -> say(f, a));
            stopJob();
        } finally {
            oracle.stop();
            reader.join(TimeUnit.MINUTES.toMillis(1));
        }
        return oracle.verdict(
                producer.malformed(),
                kills,
                brokerRestarts,
                ChaosOracle.openTransactions(bootstrap(), prefix),
                s.events());
    }

    private void killJob() {
        try {
            Instant at = Instant.now();
            job.destroyForcibly();
            job.waitFor();
            kills.add(at);
            say("kill -9 the job (pid %d)", job.pid());
            startJob();
            awaitRecovery(at, "the restarted job");
        } catch (Exception e) {
            throw new IllegalStateException("the job kill failed", e);
        }
    }

    /** Waits until the job has completed a checkpoint: before it, a kill has nothing to resume. */
    private void awaitCheckpoint() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (perpetua.job.RetainedCheckpoints.latest(checkpointDir()).isEmpty()) {
            if (!job.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the job completed no checkpoint; see " + jobLog(jobStarts));
            }
            Thread.sleep(200);
        }
    }

    /** Waits until a prediction made after {@code fault} is committed, so faults do not overlap. */
    private void awaitRecovery(Instant fault, String who) throws InterruptedException {
        if (!oracle.awaitPredictionAfter(fault, Duration.ofMinutes(5))) {
            throw new IllegalStateException(
                    who + " committed no prediction within 5 min; see " + jobLog(jobStarts));
        }
        say(
                "%s committed predictions again %d ms after the fault",
                who, System.currentTimeMillis() - fault.toEpochMilli());
    }

    private void outage(Duration down) {
        try {
            // A backlog, so that the job has outputs in flight when the broker goes.
            producer.burst(BURST);
            say("kill -9 the broker; it stays down %d s", down.toSeconds());
            broker.destroyForcibly();
            broker.waitFor();
            long deadline = System.nanoTime() + down.toNanos();
            while (System.nanoTime() < deadline) {
                if (!job.isAlive()) {
                    throw new IllegalStateException(
                            "the job died during the outage; see " + jobLog(jobStarts));
                }
                Thread.sleep(1_000);
            }
            say("the job is alive after %d s without a broker", down.toSeconds());
            Instant back = Instant.now();
            startBroker();
            brokerRestarts++;
            awaitRecovery(back, "the job after the outage");
        } catch (Exception e) {
            throw new IllegalStateException("the broker outage failed", e);
        }
    }

    private void startBroker() throws IOException, InterruptedException {
        Path out = s.dir().resolve("broker.out");
        Files.deleteIfExists(out);
        broker =
                launch(
                        List.of(
                                MemberProcesses.java(),
                                "-Xmx1g",
                                "-cp",
                                System.getProperty("java.class.path"),
                                "perpetua.runtime.KafkaBroker",
                                "--dir",
                                s.dir().resolve("kafka").toString(),
                                "--port",
                                String.valueOf(kafkaPort),
                                "--controller-port",
                                String.valueOf(controllerPort),
                                "--no-stdin-watch"),
                        out,
                        s.dir().resolve("broker.log"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!(Files.exists(out) && Files.readString(out).contains("READY"))) {
            if (!broker.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the broker did not start; see " + s.dir().resolve("broker.log"));
            }
            Thread.sleep(100);
        }
        say("broker (pid %d) at %s", broker.pid(), bootstrap());
    }

    /** The job, as {@code ./perpetua job} runs it, in a JVM of its own. */
    private void startJob() throws IOException {
        jobStarts++;
        List<String> cmd = new ArrayList<>();
        cmd.addAll(
                List.of(
                        MemberProcesses.java(),
                        "-Xmx2g",
                        "--add-modules",
                        "jdk.incubator.vector",
                        "--add-opens",
                        "java.base/java.lang=ALL-UNNAMED",
                        "--add-opens",
                        "java.base/java.util=ALL-UNNAMED",
                        "--add-opens",
                        "java.base/java.nio=ALL-UNNAMED",
                        "--add-opens",
                        "java.base/sun.nio.ch=ALL-UNNAMED",
                        "-Dperpetua.home=" + s.dir(),
                        // The job logs as the command line does, so its warnings are evidence.
                        "-Dlog4j2.configurationFile="
                                + System.getProperty("log4j2.configurationFile", ""),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "perpetua.cli.Perpetua",
                        "job",
                        "--web-port",
                        "0"));
        cmd.addAll(jobArgs());
        job = launch(cmd, jobLog(jobStarts), jobLog(jobStarts));
        say("job started (pid %d), log %s", job.pid(), jobLog(jobStarts));
    }

    /** Stops the job as Ctrl-C would (SIGTERM: the job is cancelled), and waits for its end. */
    private void stopJob() throws InterruptedException {
        job.destroy();
        if (!job.waitFor(60, TimeUnit.SECONDS)) {
            job.destroyForcibly();
            job.waitFor();
        }
        say("job stopped");
    }

    /**
     * How often the job's logs say that a sink's send failed ({@code Kafka request failed}) and
     * that a writer could not close cleanly after it: evidence that an outage outlasted the
     * delivery timeout and that the job restarted instead of dying.
     */
    public String sinkFailures() throws IOException {
        long sends = 0;
        long closes = 0;
        for (int i = 1; i <= jobStarts; i++) {
            for (String line : Files.readAllLines(jobLog(i), StandardCharsets.UTF_8)) {
                sends += line.contains("Kafka request failed") ? 1 : 0;
                closes += line.contains("Closing the Kafka writer failed") ? 1 : 0;
            }
        }
        return "failed_sends=" + sends + " writer_close_failures=" + closes;
    }

    /** Whether the restarted job said it resumed from a checkpoint. */
    public boolean resumedEveryTime() throws IOException {
        for (int i = 2; i <= jobStarts; i++) {
            if (!Files.readString(jobLog(i), StandardCharsets.UTF_8).contains("resuming from")) {
                return false;
            }
        }
        return true;
    }

    private Path jobLog(int start) {
        return s.dir().resolve("job-" + start + ".log");
    }

    private List<String> jobArgs() {
        return ChaosProducer.jobArgs(
                bootstrap(), s.models(), "2s", prefix, "--checkpoint-dir", checkpointDir());
    }

    private String checkpointDir() {
        return s.dir().resolve("checkpoints").toUri().toString();
    }

    private String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    private Process launch(List<String> cmd, Path out, Path err) throws IOException {
        Process p =
                new ProcessBuilder(cmd)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                        .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()))
                        .start();
        started.add(p);
        return p;
    }

    private void stopAll() {
        for (Process p : started) {
            p.destroy();
        }
        for (Process p : started) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private void say(String format, Object... args) {
        log.printf("%tT drill: %s%n", System.currentTimeMillis(), String.format(format, args));
        log.flush();
    }
}
