package perpetua.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.avro.specific.SpecificRecord;
import perpetua.job.JobOptions;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.KafkaConnection;
import perpetua.runtime.Progress;
import perpetua.runtime.TopicReader;
import perpetua.wire.WireFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code perpetua} command line: demo, publish, consume, score, recommend, explain, evaluate,
 * models, job, dashboard, cluster, deploy, savepoint, options, schemas, doctor.
 */
@Command(
        name = "perpetua",
        mixinStandardHelpOptions = true,
        version = "perpetua 0.1.0",
        description = "Streaming online learning on Kafka, Flink and ND4J.",
        subcommands = {
            Demo.class,
            Perpetua.Publish.class,
            Perpetua.Consume.class,
            Score.class,
            Recommend.class,
            Explain.class,
            EvaluateCommand.class,
            Models.class,
            LocalJob.class,
            DashboardCommand.class,
            ClusterCommand.class,
            Deploy.class,
            Deploy.Savepoint.class,
            Perpetua.Options.class,
            Perpetua.Schemas.class,
            Doctor.class,
            CommandLine.HelpCommand.class
        })
public final class Perpetua implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line, whose commands fail with a one-line message (exit code 1) when Kafka, a
     * file or an argument is the problem, and with the stack trace otherwise.
     */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Perpetua());
        cli.setExecutionExceptionHandler(
                (e, line, parsed) -> {
                    if (e instanceof IllegalArgumentException
                            || e instanceof IllegalStateException
                            || e instanceof java.io.IOException
                            || e instanceof org.apache.kafka.common.KafkaException) {
                        line.getErr()
                                .println(
                                        "perpetua "
                                                + line.getCommandName()
                                                + ": "
                                                + e.getMessage());
                        return 1;
                    }
                    throw e;
                });
        return cli;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Column roles of a CSV file, shared by the commands that read one. */
    public static final class CsvRoles {
        @Option(names = "--id", description = "Id column (default: MODEL-ROW).")
        String id;

        @Option(
                names = "--time",
                description =
                        "Time column: epoch ms, YYYY-MM-DD HH:MM:SS or ISO-8601, with an optional"
                                + " zone (Z, +02:00, Europe/Paris; UTC if none).")
        String time;

        @Option(
                names = "--time-features",
                split = ",",
                description = "Categoricals derived from the time column: hour, dow.")
        List<String> timeFeatures = new java.util.ArrayList<>();

        @Option(names = "--label", description = "Label column.")
        String label;

        @Option(names = "--label-above", description = "Binary label: 1 when the label column > X.")
        Double labelAbove;

        @Option(
                names = "--label-log",
                description = "Regression label: the natural log of the label column.")
        boolean labelLog;

        @Option(
                names = "--label-classes",
                split = ",",
                description = "Multiclass label: the class values in index order.")
        List<String> labelClasses = new java.util.ArrayList<>();

        @Option(names = "--numeric", split = ",", description = "Numeric feature columns.")
        List<String> numeric = new java.util.ArrayList<>();

        @Option(names = "--categorical", split = ",", description = "Categorical feature columns.")
        List<String> categorical = new java.util.ArrayList<>();

        @Option(
                names = "--dense",
                split = ",",
                description = "Dense float columns, in order; PREFIX* takes all with the prefix.")
        List<String> dense = new java.util.ArrayList<>();

        @Option(names = "--text", description = "Text column.")
        String text;

        /** The roles, for events of {@code model}. */
        public CsvEvents.Roles roles(String model) {
            CsvEvents.Roles r = new CsvEvents.Roles();
            r.model = model;
            r.id = id;
            r.time = time;
            r.timeFeatures = timeFeatures;
            r.label = label;
            r.labelAbove = labelAbove;
            r.labelLog = labelLog;
            r.labelClasses = labelClasses;
            r.numeric = numeric;
            r.categorical = categorical;
            r.dense = dense;
            r.text = text;
            return r;
        }
    }

    @Command(
            name = "publish",
            mixinStandardHelpOptions = true,
            description = "Publish the rows of a CSV file (plain or .gz) as Avro Event records.")
    static final class Publish implements Callable<Integer> {
        @Mixin KafkaAddress kafka;

        @Option(
                names = "--topic",
                defaultValue = "events",
                description = "Target topic (default: ${DEFAULT-VALUE}).")
        String topic;

        @Option(names = "--csv", required = true, description = "CSV file with a header line.")
        Path csv;

        @Option(names = "--model", required = true, description = "Model name the events are for.")
        String model;

        @Option(
                names = "--limit",
                defaultValue = "0",
                description = "Publish at most N rows (0: all).")
        long limit;

        @Option(
                names = "--rate",
                defaultValue = "0",
                description = "Events per second (0: as fast as possible).")
        double rate;

        @Option(
                names = "--create",
                description =
                        "Create the topic when it does not exist, with --partitions partitions.")
        boolean create;

        @Option(
                names = "--partitions",
                defaultValue = "1",
                description = "Partitions of a created topic (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Mixin Compression compression;

        @CommandLine.ArgGroup(exclusive = false, multiplicity = "0..1")
        CsvRoles roles = new CsvRoles();

        @Option(
                names = "--recommend",
                paramLabel = "COLUMN",
                description =
                        "Request column of a recommender: a row whose value is k > 0 asks for its"
                                + " user's top k on the recommendations topic; 0 or empty: an"
                                + " ordinary event.")
        String recommend;

        @Override
        public Integer call() throws Exception {
            KafkaConnection connection = kafka.connection();
            if (!perpetua.runtime.Topics.exists(connection, topic)) {
                if (!create) {
                    System.err.println(
                            "topic '"
                                    + topic
                                    + "' does not exist at "
                                    + connection
                                    + "; create it, or add --create");
                    return 2;
                }
                perpetua.runtime.Topics.create(connection, partitions, Map.of(), topic);
            }
            long start = System.nanoTime();
            CsvEvents.Roles columns = roles.roles(model);
            columns.recommend = recommend;
            try (CsvEvents events = new CsvEvents(csv, columns);
                    EventPublisher publisher =
                            new EventPublisher(connection, topic, compression.kind())) {
                Progress progress = Progress.onStandardError();
                long n =
                        publisher.publish(
                                events,
                                limit,
                                rate,
                                1_000,
                                sent ->
                                        progress.update(
                                                "publish",
                                                sent,
                                                limit > 0
                                                        ? Math.max(
                                                                (double) sent / limit,
                                                                events.fractionRead())
                                                        : events.fractionRead()));
                progress.clear();
                double s = (System.nanoTime() - start) / 1e9;
                System.err.printf(
                        "published %,d events to %s in %.1f s (%.0f events/s)%n",
                        n, topic, s, n / s);
            }
            return 0;
        }
    }

    @Command(
            name = "consume",
            mixinStandardHelpOptions = true,
            description =
                    "Print the records of any Perpetua topic as JSON lines (read_committed,"
                            + " from the"
                            + " beginning).")
    static final class Consume implements Callable<Integer> {
        @Mixin KafkaAddress kafka;

        @Option(names = "--topic", required = true, description = "Topic to read.")
        String topic;

        @Option(
                names = "--max",
                defaultValue = "0",
                description = "Stop after N records (0: no limit).")
        long max;

        @Option(
                names = "--idle-timeout",
                description = "Stop when no record came for this many seconds (default: never).")
        Long idleSeconds;

        @Option(names = "--latest", description = "Start at the end instead of the beginning.")
        boolean latest;

        @Option(
                names = "--max-bytes",
                defaultValue = "64",
                description =
                        "Print bytes fields up to this size as base64 (default: ${DEFAULT-VALUE}).")
        int maxBytes;

        @Override
        public Integer call() {
            long[] printed = {0};
            try (TopicReader reader = new TopicReader(kafka.connection(), topic, !latest)) {
                reader.read(
                        idleSeconds == null ? null : Duration.ofSeconds(idleSeconds),
                        r -> {
                            System.out.println(render(r.value(), maxBytes));
                            printed[0]++;
                            return max <= 0 || printed[0] < max;
                        });
            }
            System.out.flush();
            return 0;
        }

        static String render(byte[] value, int maxBytes) {
            try {
                SpecificRecord rec = WireFormat.decodeAny(value);
                String json =
                        JsonRecords.line((org.apache.avro.generic.IndexedRecord) rec, maxBytes);
                return "{\"type\":\""
                        + rec.getClass().getSimpleName()
                        + "\",\"record\":"
                        + json
                        + "}";
            } catch (Exception e) {
                return "{\"type\":null,\"error\":\""
                        + e.getMessage().replace("\"", "'")
                        + "\",\"bytes\":"
                        + (value == null ? 0 : value.length)
                        + "}";
            }
        }
    }

    @Command(
            name = "schemas",
            mixinStandardHelpOptions = true,
            description =
                    "Write a self-contained schema of every record type (each with the types it"
                            + " uses inline) for clients in other languages.")
    static final class Schemas implements Callable<Integer> {
        @Option(
                names = "--out",
                description = "Folder to write them to (default: schemas/standalone).")
        Path out;

        @Override
        public Integer call() throws Exception {
            Path dir =
                    out != null
                            ? out
                            : Path.of(System.getProperty("perpetua.home", "."))
                                    .resolve("schemas/standalone");
            java.nio.file.Files.createDirectories(dir);
            for (var type : WireFormat.TYPES) {
                Path file = dir.resolve(type.getSimpleName() + ".avsc");
                java.nio.file.Files.writeString(file, WireFormat.standaloneSchema(type));
                System.out.println(file);
            }
            return 0;
        }
    }

    @Command(
            name = "options",
            mixinStandardHelpOptions = true,
            description = "Print the options of the learning job as a Markdown table.")
    static final class Options implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.print(JobOptions.markdownTable());
            return 0;
        }
    }
}
