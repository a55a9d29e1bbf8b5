package perpetua.cluster;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;
import perpetua.model.ScoringModel;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.Prediction;
import perpetua.wire.WireFormat;
import picocli.CommandLine;

/**
 * The upgrade drill: the job runs at parallelism 1 with this build, stops with a savepoint, and
 * starts again from it at parallelism 3 with the next release, whose {@code ModelSpec} and {@code
 * ModelSnapshot} schemas gained a field ({@link EvolvedBuild}).
 *
 * <p>It checks what an operator upgrading Perpetua counts on: every event is predicted exactly once
 * across the upgrade (the chaos drill's oracle); every model goes on with its version line (the
 * first version served after the upgrade is the version it had at the savepoint, and the {@code
 * restored} snapshot, written by the new release, says so); and the first predictions after the
 * resume equal those of a {@link ScoringModel} built from that snapshot.
 */
public final class UpgradeDrill {
    private static final double SCORE_TOLERANCE = 1e-5;

    /** What the drill does. */
    public record Settings(Path home, Path dir, long events, int models, double rate, long seed) {}

    /** How one model went through the upgrade. */
    public record ModelLine(
            String model,
            long lastBefore,
            long restoredVersion,
            long firstAfter,
            boolean writtenByNewRelease,
            int compared,
            double maxScoreDifference) {}

    /** The drill's outcome: the oracle's verdict, each model's line, and what went wrong. */
    public record Result(
            ChaosOracle.Verdict verdict, List<ModelLine> lines, List<String> problems) {
        public boolean ok() {
            return verdict.ok() && problems.isEmpty();
        }
    }

    private final Settings s;
    private final PrintStream log;

    public UpgradeDrill(Settings settings, PrintStream log) {
        this.s = settings;
        this.log = log;
    }

    public Result run() throws Exception {
        say("building the next release (schemas with a new field) in %s", s.dir().resolve("next"));
        EvolvedBuild next = EvolvedBuild.make(s.home(), s.dir().resolve("next"));
        List<Schema> newer = next.schemas();
        LocalCluster cluster =
                LocalCluster.create(
                        s.dir().resolve("cluster"),
                        s.home(),
                        LocalCluster.Ports.free(),
                        2,
                        "1600m",
                        Map.of());
        try {
            return drill(cluster, next, newer);
        } finally {
            say("stopping the cluster's processes");
            cluster.stop();
        }
    }

    private Result drill(LocalCluster cluster, EvolvedBuild next, List<Schema> newer)
            throws Exception {
        cluster.start(2);
        String prefix = "upgrade-" + System.currentTimeMillis();
        List<String> args = jobArgs(cluster, prefix);
        KafkaIo.createTopics(JobOptions.fromArgs(args.toArray(String[]::new)), 4);
        FlinkRest rest = cluster.rest();

        String oldJar = rest.uploadJar(JobJar.in(s.home()));
        String job = run(rest, oldJar, args, 1, null);
        say("this release runs job %s at parallelism 1", job);

        ChaosOracle oracle = new ChaosOracle(cluster.bootstrapServers(), s.events(), newer);
        Thread reader = new Thread(oracle, "upgrade-oracle");
        reader.setDaemon(true);
        reader.start();
        long half = s.events() / 2;
        List<ChaosProducer.Position> malformed = new ArrayList<>();
        long upgradedAt;
        try {
            malformed.addAll(produce(cluster, 0, half));
            oracle.awaitPredicted(half, Duration.ofMinutes(5), (f, a) -> say(f, a));
            String savepoint = rest.stopWithSavepoint(job, 10);
            say("job %s stopped with savepoint %s", job, savepoint);
            upgradedAt = System.currentTimeMillis();
            String newJar = rest.uploadJar(next.jar());
            job = run(rest, newJar, args, 3, savepoint);
            say("the next release runs job %s from %s at parallelism 3", job, savepoint);
            malformed.addAll(produce(cluster, half, s.events() - half));
            oracle.awaitPredicted(s.events(), Duration.ofMinutes(5), (f, a) -> say(f, a));
            say("job %s stopped with savepoint %s", job, rest.stopWithSavepoint(job, 10));
        } finally {
            oracle.stop();
            reader.join(TimeUnit.MINUTES.toMillis(1));
        }
        ChaosOracle.Verdict verdict =
                oracle.verdict(
                        malformed,
                        List.of(),
                        0,
                        ChaosOracle.openTransactions(cluster.bootstrapServers(), prefix),
                        s.events());
        List<String> problems = new ArrayList<>();
        List<ModelLine> lines = lines(cluster.bootstrapServers(), newer, upgradedAt, problems);
        return new Result(verdict, lines, problems);
    }

    /** Each model's version line across the upgrade, and its first predictions against a scorer. */
    private List<ModelLine> lines(
            String bootstrap, List<Schema> newer, long upgradedAt, List<String> problems)
            throws IOException {
        Map<String, Event> events = new HashMap<>();
        WireFormat.Codec<Event> eventCodec = WireFormat.codec(Event.class);
        readAll(
                bootstrap,
                "events",
                bytes -> {
                    try {
                        Event e = eventCodec.decode(bytes);
                        events.put(e.getId(), e);
                    } catch (IOException | RuntimeException malformed) {
                        // the drill's own malformed records
                    }
                });
        List<Prediction> predictions = new ArrayList<>();
        WireFormat.Codec<Prediction> predictionCodec = WireFormat.codec(Prediction.class, newer);
        readAll(bootstrap, "predictions", b -> predictions.add(decode(predictionCodec, b)));
        Map<String, ModelSnapshot> restored = new HashMap<>();
        Map<String, Boolean> byNewRelease = new HashMap<>();
        WireFormat.Codec<ModelSnapshot> snapshotCodec =
                WireFormat.codec(ModelSnapshot.class, newer);
        Schema evolvedSnapshot =
                newer.stream()
                        .filter(x -> x.getName().equals("ModelSnapshot"))
                        .findFirst()
                        .orElseThrow();
        long evolved = SchemaNormalization.parsingFingerprint64(evolvedSnapshot);
        readAll(
                bootstrap,
                "models.history",
                b -> {
                    ModelSnapshot snap = decode(snapshotCodec, b);
                    if ("restored".equals(snap.getEvent())
                            && snap.getTime() >= upgradedAt
                            && !restored.containsKey(snap.getModel())) {
                        restored.put(snap.getModel(), snap);
                        byNewRelease.put(
                                snap.getModel(), WireFormat.fingerprint(b).orElse(0) == evolved);
                    }
                });

        List<ModelLine> out = new ArrayList<>();
        for (int m = 0; m < s.models(); m++) {
            String model = ChaosProducer.model(m);
            long lastBefore = -1;
            long firstAfter = Long.MAX_VALUE;
            for (Prediction p : predictions) {
                if (!p.getModel().equals(model)) {
                    continue;
                }
                if (p.getPredictedAt() < upgradedAt) {
                    lastBefore = Math.max(lastBefore, p.getModelVersion());
                } else {
                    firstAfter = Math.min(firstAfter, p.getModelVersion());
                }
            }
            ModelSnapshot snap = restored.get(model);
            if (snap == null) {
                problems.add(model + ": no restored snapshot after the upgrade");
                continue;
            }
            int compared = 0;
            double worst = 0;
            ScoringModel scorer = ScoringModel.of(snap);
            for (Prediction p : predictions) {
                if (p.getModel().equals(model)
                        && p.getPredictedAt() >= upgradedAt
                        && p.getModelVersion() == snap.getVersion()) {
                    Event e = events.get(p.getEventId());
                    Prediction outside = scorer.score(List.of(e), 0).get(0);
                    for (int k = 0; k < p.getScores().size(); k++) {
                        worst =
                                Math.max(
                                        worst,
                                        Math.abs(
                                                p.getScores().get(k) - outside.getScores().get(k)));
                    }
                    compared++;
                }
            }
            ModelLine line =
                    new ModelLine(
                            model,
                            lastBefore,
                            snap.getVersion(),
                            firstAfter,
                            byNewRelease.get(model),
                            compared,
                            worst);
            out.add(line);
            if (snap.getVersion() < lastBefore || firstAfter != snap.getVersion()) {
                problems.add(model + ": the version line does not go on: " + line);
            }
            if (!line.writtenByNewRelease()) {
                problems.add(model + ": the restored snapshot is not in the new schema");
            }
            if (compared == 0 || worst > SCORE_TOLERANCE) {
                problems.add(model + ": the first predictions differ from a scorer's: " + line);
            }
        }
        return out;
    }

    private List<ChaosProducer.Position> produce(LocalCluster cluster, long first, long n)
            throws InterruptedException {
        ChaosProducer producer =
                new ChaosProducer(
                        cluster.bootstrapServers(),
                        first,
                        n,
                        s.models(),
                        s.rate(),
                        s.seed() + first);
        producer.run();
        if (producer.failure() != null) {
            throw new IllegalStateException("the producer failed", producer.failure());
        }
        say("published events e-%d to e-%d", first, first + n - 1);
        return producer.malformed();
    }

    private String run(FlinkRest rest, String jar, List<String> args, int parallelism, String sp)
            throws IOException, InterruptedException {
        String job =
                rest.runJar(
                        jar,
                        new FlinkRest.Run(
                                "perpetua.job.OnlineLearningJob", args, parallelism, sp, false));
        rest.awaitRunning(job, Duration.ofMinutes(3));
        if (rest.parallelism(job).values().stream().anyMatch(p -> p != parallelism)) {
            throw new IllegalStateException(
                    "job " + job + " runs at " + rest.parallelism(job) + ", not " + parallelism);
        }
        return job;
    }

    private List<String> jobArgs(LocalCluster cluster, String prefix) {
        return ChaosProducer.jobArgs(
                cluster.bootstrapServers(), s.models(), "2s", prefix, "--state-backend", "rocksdb");
    }

    private static <T extends SpecificRecord> T decode(WireFormat.Codec<T> codec, byte[] b) {
        try {
            return codec.decode(b);
        } catch (IOException e) {
            throw new IllegalStateException("an unreadable record on an output topic", e);
        }
    }

    /** Every committed record of a topic, from the beginning to its end of now. */
    private static void readAll(String bootstrap, String topic, Consumer<byte[]> each) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 70 * 1024 * 1024);
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(topic, Duration.ofMinutes(1))
                    .forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    each.accept(r.value());
                }
            }
        }
    }

    private void say(String format, Object... args) {
        log.printf("%tT upgrade: %s%n", System.currentTimeMillis(), String.format(format, args));
        log.flush();
    }

    /** {@code ./perpetua bench upgrade}; exit 0 only when every check holds. */
    @CommandLine.Command(
            name = "upgrade",
            mixinStandardHelpOptions = true,
            description =
                    "Savepoint upgrade to a release with evolved schemas, at parallelism 1 to 3.")
    static final class Command implements Callable<Integer> {
        @CommandLine.Option(names = "--events", defaultValue = "40000")
        long events;

        @CommandLine.Option(names = "--models", defaultValue = "6")
        int models;

        @CommandLine.Option(names = "--rate", defaultValue = "2000")
        double rate;

        @CommandLine.Option(names = "--dir", description = "Working folder.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            Path home = BenchDir.home();
            Path work = BenchDir.fresh(dir, "upgrade");
            Result r =
                    new UpgradeDrill(new Settings(home, work, events, models, rate, 42), System.err)
                            .run();
            System.out.printf(
                    "%-10s %12s %16s %12s %12s %9s %14s%n",
                    "model",
                    "last before",
                    "restored (new)",
                    "first after",
                    "new schema",
                    "compared",
                    "max |diff|");
            for (ModelLine l : r.lines()) {
                System.out.printf(
                        "%-10s %12d %16d %12d %12s %9d %14.2e%n",
                        l.model(),
                        l.lastBefore(),
                        l.restoredVersion(),
                        l.firstAfter(),
                        l.writtenByNewRelease(),
                        l.compared(),
                        l.maxScoreDifference());
            }
            r.verdict().problems().forEach(p -> System.out.println("problem: " + p));
            r.problems().forEach(p -> System.out.println("problem: " + p));
            ChaosOracle.Verdict v = r.verdict();
            System.out.printf(
                    "upgrade events=%d predicted=%d missing=%d duplicated=%d deadletters=%d"
                            + " models=%d result=%s%n",
                    v.events(),
                    v.predicted(),
                    v.missing(),
                    v.duplicated(),
                    v.deadLetters(),
                    r.lines().size(),
                    r.ok() ? "ok" : "failed");
            return r.ok() ? 0 : 1;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Command()).execute(args));
    }
}
