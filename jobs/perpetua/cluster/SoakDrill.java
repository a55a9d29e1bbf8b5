package perpetua.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import perpetua.cluster.ClusterMember.Role;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;
import picocli.CommandLine;

/**
 * The soak test: the job on a local cluster at a fixed event rate for a long time, sampled each
 * minute, to show that nothing grows that should not.
 *
 * <p>Each sample holds, per TaskManager, the heap in use right after a full collection ({@code jcmd
 * GC.run}, then {@code GC.heap_info}) and the resident set ({@code /proc/PID/status}); the off-heap
 * bytes JavaCPP holds for ND4J (the Learner's {@code offHeapBytes} gauge); the size and duration of
 * the latest checkpoint; the producer transactions the broker holds open; and the consumer lag of
 * the job's group. Flat means that, after the warm-up, the after-GC heap and the resident set of
 * every TaskManager grow by less than 1% per 10 minutes (the slope of a least-squares line).
 */
public final class SoakDrill {
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    /** One minute's figures. */
    public record Sample(
            int minute,
            List<Long> heapAfterGc,
            List<Long> rss,
            long offHeap,
            long checkpointBytes,
            long checkpointMs,
            int openTransactions,
            long lag,
            long predicted) {}

    private final Path home;
    private final Path dir;
    private final int minutes;
    private final int warmup;
    private final double rate;
    private final PrintStream log;

    public SoakDrill(Path home, Path dir, int minutes, int warmup, double rate, PrintStream log) {
        this.home = home;
        this.dir = dir;
        this.minutes = minutes;
        this.warmup = warmup;
        this.rate = rate;
        this.log = log;
    }

    /** Runs the soak; returns the samples. Every process it started is stopped. */
    public List<Sample> run() throws Exception {
        LocalCluster cluster =
                LocalCluster.create(
                        dir.resolve("cluster"),
                        home,
                        LocalCluster.Ports.free(),
                        2,
                        "1600m",
                        Map.of());
        try {
            return soak(cluster);
        } finally {
            say("stopping the cluster's processes");
            cluster.stop();
        }
    }

    private List<Sample> soak(LocalCluster cluster) throws Exception {
        cluster.start(2);
        String prefix = "soak-" + System.currentTimeMillis();
        List<String> args =
                ChaosProducer.jobArgs(
                        cluster.bootstrapServers(), 4, "10s", prefix, "--state-backend", "rocksdb");
        KafkaIo.createTopics(JobOptions.fromArgs(args.toArray(String[]::new)), 4);
        FlinkRest rest = cluster.rest();
        String jar = rest.uploadJar(JobJar.in(home));
        String job =
                rest.runJar(
                        jar,
                        new FlinkRest.Run("perpetua.job.OnlineLearningJob", args, 2, null, false));
        say("job %s runs; %d minutes at %.0f events/s", job, minutes, rate);

        long events = (long) (rate * 60 * (minutes + 1));
        ChaosProducer producer = new ChaosProducer(cluster.bootstrapServers(), events, 4, rate, 7);
        Thread writer = new Thread(producer, "soak-producer");
        writer.setDaemon(true);
        writer.start();
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        for (int minute = 1; minute <= minutes; minute++) {
            long due = start + TimeUnit.MINUTES.toNanos(minute);
            while (System.nanoTime() < due) {
                Thread.sleep(500);
            }
            if (producer.failure() != null) {
                throw new IllegalStateException("the producer failed", producer.failure());
            }
            Sample s = sample(cluster, rest, job, prefix, minute, producer.published());
            samples.add(s);
            say(
                    "minute %d: heap after GC %s, RSS %s, off-heap %s, checkpoint %s in %d ms,"
                            + " open transactions %d, lag %d",
                    minute,
                    mb(s.heapAfterGc()),
                    mb(s.rss()),
                    mb(List.of(s.offHeap())),
                    mb(List.of(s.checkpointBytes())),
                    s.checkpointMs(),
                    s.openTransactions(),
                    s.lag());
        }
        rest.cancel(job);
        return samples;
    }

    private Sample sample(
            LocalCluster cluster, FlinkRest rest, String job, String prefix, int minute, long sent)
            throws Exception {
        List<Long> heap = new ArrayList<>();
        List<Long> rss = new ArrayList<>();
        for (ClusterMember tm : cluster.alive(Role.TASKMANAGER)) {
            jcmd(tm.pid(), "GC.run");
            Matcher m = HEAP_USED.matcher(jcmd(tm.pid(), "GC.heap_info"));
            heap.add(m.find() ? Long.parseLong(m.group(1)) * 1024 : -1);
            rss.add(rss(tm.pid()));
        }
        long offHeap = -1;
        for (JsonNode v : rest.job(job).path("vertices")) {
            if (v.path("name").asText().startsWith("learner")) {
                String vid = v.path("id").asText();
                for (JsonNode id : rest.vertexMetricNames(job, vid)) {
                    String name = id.path("id").asText();
                    if (name.endsWith(".offHeapBytes")) {
                        JsonNode values = rest.vertexMetrics(job, vid, name);
                        offHeap = values.path(0).path("sum").asLong(-1);
                    }
                }
            }
        }
        JsonNode latest = rest.checkpoints(job).path("latest").path("completed");
        return new Sample(
                minute,
                heap,
                rss,
                offHeap,
                latest.path("checkpointed_size").asLong(-1),
                latest.path("end_to_end_duration").asLong(-1),
                ChaosOracle.openTransactions(cluster.bootstrapServers(), prefix).size(),
                lag(cluster.bootstrapServers(), prefix),
                sent);
    }

    /** Events on the events topic that the job's group has not committed yet. */
    private static long lag(String bootstrap, String group) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata()
                            .get(1, TimeUnit.MINUTES);
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            for (TopicPartition tp : committed.keySet()) {
                if (tp.topic().equals("events")) {
                    latest.put(tp, OffsetSpec.latest());
                }
            }
            long lag = 0;
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e :
                    admin.listOffsets(latest).all().get(1, TimeUnit.MINUTES).entrySet()) {
                lag += e.getValue().offset() - committed.get(e.getKey()).offset();
            }
            return lag;
        }
    }

    /** The growth of each TaskManager's figure per 10 minutes after the warm-up, in percent. */
    public static List<Double> growthPer10Minutes(
            List<Sample> samples, int warmup, java.util.function.Function<Sample, List<Long>> f) {
        List<Sample> steady = samples.stream().filter(s -> s.minute() > warmup).toList();
        List<Double> out = new ArrayList<>();
        if (steady.size() < 3) {
            return out;
        }
        int members = f.apply(steady.get(0)).size();
        for (int k = 0; k < members; k++) {
            double n = steady.size();
            double sx = 0;
            double sy = 0;
            double sxx = 0;
            double sxy = 0;
            for (Sample s : steady) {
                double x = s.minute();
                double y = f.apply(s).get(k);
                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
            }
            double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
            out.add(100 * slope * 10 / (sy / n));
        }
        return out;
    }

    private static String jcmd(long pid, String what) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p =
                new ProcessBuilder(jcmd.toString(), String.valueOf(pid), what)
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(2, TimeUnit.MINUTES);
        return out;
    }

    private static long rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    private static String mb(List<Long> bytes) {
        List<String> out = new ArrayList<>();
        for (long b : bytes) {
            out.add(String.format("%.1f MB", b / 1e6));
        }
        return String.join(" / ", out);
    }

    private void say(String format, Object... args) {
        log.printf("%tT soak: %s%n", System.currentTimeMillis(), String.format(format, args));
        log.flush();
    }

    /** {@code ./perpetua bench soak}: the table, and exit 0 only when the memory stays flat. */
    @CommandLine.Command(
            name = "soak",
            mixinStandardHelpOptions = true,
            description = "The job at a fixed rate for a long time, sampled each minute.")
    static final class Command implements Callable<Integer> {
        @CommandLine.Option(names = "--minutes", defaultValue = "30")
        int minutes;

        @CommandLine.Option(
                names = "--warmup",
                defaultValue = "5",
                description = "Minutes left out of the growth figures (default: ${DEFAULT-VALUE}).")
        int warmup;

        @CommandLine.Option(names = "--rate", defaultValue = "500")
        double rate;

        @CommandLine.Option(names = "--dir", description = "Working folder.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            Path home = BenchDir.home();
            Path work = BenchDir.fresh(dir, "soak");
            List<Sample> samples =
                    new SoakDrill(home, work, minutes, warmup, rate, System.err).run();
            StringBuilder table =
                    new StringBuilder(
                            "| minute | heap after GC (MB, per TaskManager) | RSS (MB) | JavaCPP"
                                    + " off-heap (MB) | checkpoint (MB) | checkpoint (ms) | open"
                                    + " transactions | consumer lag | events sent |\n"
                                    + "|---|---|---|---|---|---|---|---|---|\n");
            for (Sample s : samples) {
                table.append(
                        String.format(
                                "| %d | %s | %s | %.1f | %.2f | %d | %d | %d | %d |%n",
                                s.minute(),
                                s.heapAfterGc().stream()
                                        .map(b -> String.format("%.1f", b / 1e6))
                                        .toList(),
                                s.rss().stream().map(b -> String.format("%.1f", b / 1e6)).toList(),
                                s.offHeap() / 1e6,
                                s.checkpointBytes() / 1e6,
                                s.checkpointMs(),
                                s.openTransactions(),
                                s.lag(),
                                s.predicted()));
            }
            List<Double> heap = growthPer10Minutes(samples, warmup, Sample::heapAfterGc);
            List<Double> rss = growthPer10Minutes(samples, warmup, Sample::rss);
            boolean flat =
                    !heap.isEmpty()
                            && heap.stream().allMatch(g -> g < 1.0)
                            && rss.stream().allMatch(g -> g < 1.0);
            table.append(
                    String.format(
                            "%nGrowth per 10 minutes after a %d-minute warm-up: heap after GC %s,"
                                    + " RSS %s (percent, per TaskManager): %s%n",
                            warmup, pct(heap), pct(rss), flat ? "flat" : "NOT flat"));
            Files.writeString(work.resolve("soak.md"), table.toString());
            System.out.print(table);
            System.out.printf(
                    "soak minutes=%d heap_growth_pct_per_10min=%s rss_growth_pct_per_10min=%s"
                            + " result=%s%n",
                    minutes, pct(heap), pct(rss), flat ? "flat" : "growing");
            return flat ? 0 : 1;
        }

        private static String pct(List<Double> values) {
            return values.stream().map(v -> String.format("%.2f", v)).toList().toString();
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Command()).execute(args));
    }
}
