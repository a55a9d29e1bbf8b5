package perpetua.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import perpetua.job.KafkaIo;
import perpetua.job.ModelSpecs;
import perpetua.runtime.KafkaBroker;
import perpetua.runtime.ModelRegistry;
import perpetua.runtime.Topics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.SpecAction;
import perpetua.wire.WireFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code perpetua models}: create, update, retire and list models through the control topic. */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "Create, update, retire and list models through the control topic.",
        subcommands = {
            Models.Create.class,
            Models.Update.class,
            Models.Retire.class,
            Models.ListModels.class
        })
final class Models implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** The topics every models subcommand reads or writes. */
    static final class TopicOptions {
        @Mixin KafkaAddress kafka;

        @Option(
                names = "--control-topic",
                defaultValue = "models.control",
                description = "Control topic (default: ${DEFAULT-VALUE}).")
        String control;

        @Option(
                names = "--models-topic",
                defaultValue = "models",
                description = "Latest snapshot per model (default: ${DEFAULT-VALUE}).")
        String models;

        @Option(
                names = "--history-topic",
                defaultValue = "models.history",
                description = "Every snapshot (default: ${DEFAULT-VALUE}).")
        String history;

        ModelRegistry registry() {
            return ModelRegistry.read(kafka.connection(), control, models);
        }

        /**
         * Publishes {@code spec} to the control topic, keyed by its model, and waits for it.
         *
         * @param compression as {@link Compression#apply} takes it
         */
        void publish(ModelSpec spec, String compression) throws Exception {
            if (!Topics.exists(kafka.connection(), control)) {
                Topics.create(
                        kafka.connection(),
                        1,
                        Map.of(
                                "cleanup.policy",
                                "compact",
                                "max.message.bytes",
                                String.valueOf(KafkaIo.CONTROL_TOPIC_MAX_BYTES)),
                        control);
            }
            Properties p = kafka.connection().producerProperties();
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                    String.valueOf(KafkaBroker.MAX_MESSAGE_BYTES));
            Compression.apply(p, compression);
            byte[] value = WireFormat.codec(ModelSpec.class).encode(spec);
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(control, spec.getModel(), value)).get();
            }
        }
    }

    /** The spec that create and update publish. */
    static final class SpecOption {
        @Option(
                names = "--spec",
                required = true,
                description = "Spec file, or inline JSON (starts with '{' or '[').")
        String fileOrJson;

        Collection<ModelSpec> specs() throws Exception {
            return Models.specs(fileOrJson);
        }
    }

    /** A value starting with '{' or '[' is inline JSON, anything else a file. */
    static Collection<ModelSpec> specs(String fileOrJson) throws Exception {
        String s = fileOrJson.strip();
        String json =
                s.startsWith("{") || s.startsWith("[") ? s : Files.readString(Path.of(fileOrJson));
        return ModelSpecs.parse(json).values();
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = "Publish the spec of a new model, optionally starting from a snapshot.")
    static final class Create implements Callable<Integer> {
        @Mixin TopicOptions topics;

        @Mixin SpecOption spec;

        @Mixin Compression compression;

        @Option(
                names = "--init-from",
                description =
                        "NAME (its latest snapshot) or NAME@VERSION (from the history topic) to"
                                + " start from; overrides the spec's initFrom.")
        String initFrom;

        @Override
        public Integer call() throws Exception {
            Collection<ModelSpec> specs = spec.specs();
            ModelRegistry registry = topics.registry();
            List<ModelSpec> out = new ArrayList<>();
            for (ModelSpec s : specs) {
                if (registry.exists(s.getModel())) {
                    System.err.println("model '" + s.getModel() + "' exists; use update");
                    return 1;
                }
                String from = initFrom != null ? initFrom : s.getInitFrom();
                ModelSpec.Builder b = ModelSpec.newBuilder(s).setAction(SpecAction.UPSERT);
                if (from != null) {
                    Optional<ModelSnapshot> init = resolve(registry, from);
                    if (init.isEmpty()) {
                        System.err.println(
                                "model '"
                                        + s.getModel()
                                        + "': no snapshot "
                                        + from
                                        + (from.contains("@")
                                                ? " on topic '" + topics.history + "'"
                                                : " on topic '" + topics.models + "'"));
                        return 1;
                    }
                    String mismatch =
                            perpetua.spec.SpecRules.incompatibility(init.get().getSpec(), s);
                    if (mismatch != null) {
                        System.err.println(
                                "model '"
                                        + s.getModel()
                                        + "' cannot start from "
                                        + from
                                        + ": "
                                        + mismatch);
                        return 1;
                    }
                    b.setInitFrom(from)
                            .setInitSnapshot(
                                    ByteBuffer.wrap(
                                            WireFormat.codec(ModelSnapshot.class)
                                                    .encode(init.get())));
                }
                out.add(b.build());
            }
            for (ModelSpec s : out) {
                topics.publish(s, compression.kind());
                System.err.println(
                        "created model '"
                                + s.getModel()
                                + "'"
                                + (s.getInitFrom() == null ? "" : " from " + s.getInitFrom())
                                + " on "
                                + topics.control);
            }
            return 0;
        }

        private Optional<ModelSnapshot> resolve(ModelRegistry registry, String from) {
            int at = from.lastIndexOf('@');
            if (at < 0) {
                return registry.snapshot(from);
            }
            String name = from.substring(0, at);
            long version;
            try {
                version = Long.parseLong(from.substring(at + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "initFrom must be NAME or NAME@VERSION: " + from);
            }
            return ModelRegistry.findVersion(
                    topics.kafka.connection(), topics.history, name, version);
        }
    }

    @Command(
            name = "update",
            mixinStandardHelpOptions = true,
            description = "Publish a new spec of an existing model.")
    static final class Update implements Callable<Integer> {
        @Mixin TopicOptions topics;

        @Mixin SpecOption spec;

        @Mixin Compression compression;

        @Override
        public Integer call() throws Exception {
            Collection<ModelSpec> specs = spec.specs();
            ModelRegistry registry = topics.registry();
            for (ModelSpec s : specs) {
                if (!registry.exists(s.getModel())) {
                    System.err.println("model '" + s.getModel() + "' does not exist; use create");
                    return 1;
                }
                if (s.getInitFrom() != null) {
                    System.err.println(
                            "model '" + s.getModel() + "': initFrom applies to create only");
                    return 1;
                }
            }
            for (ModelSpec s : specs) {
                topics.publish(
                        ModelSpec.newBuilder(s).setAction(SpecAction.UPSERT).build(),
                        compression.kind());
                System.err.println("updated model '" + s.getModel() + "' on " + topics.control);
            }
            return 0;
        }
    }

    @Command(
            name = "retire",
            mixinStandardHelpOptions = true,
            description = "Retire a model: the job publishes its final snapshot and drops it.")
    static final class Retire implements Callable<Integer> {
        @Mixin TopicOptions topics;

        @Mixin Compression compression;

        @Option(names = "--model", required = true, description = "Model name.")
        String model;

        @Override
        public Integer call() throws Exception {
            ModelRegistry registry = topics.registry();
            Optional<ModelSpec> spec = registry.currentSpec(model);
            if (spec.isEmpty()) {
                System.err.println("model '" + model + "' is unknown");
                return 1;
            }
            if (!registry.exists(model)) {
                System.err.println("model '" + model + "' is already retired");
                return 1;
            }
            topics.publish(
                    ModelSpec.newBuilder(spec.get())
                            .setAction(SpecAction.RETIRE)
                            .setInitFrom(null)
                            .setInitSnapshot(null)
                            .build(),
                    compression.kind());
            System.err.println("retired model '" + model + "' on " + topics.control);
            return 0;
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List the models: state, version, examples seen, last metrics.")
    static final class ListModels implements Callable<Integer> {
        private static final List<String> METRICS =
                List.of("accuracy", "auc", "logLoss", "mae", "rmse");

        @Mixin TopicOptions topics;

        @Option(names = "--json", description = "JSON lines instead of a table.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ModelRegistry registry = topics.registry();
            ObjectMapper mapper = new ObjectMapper();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"MODEL", "STATE", "VERSION", "EXAMPLES", "METRICS"});
            for (String name : registry.names()) {
                String state = registry.state(name).orElseThrow();
                ModelSnapshot snap = registry.snapshot(name).orElse(null);
                Map<String, Double> metrics = snap == null ? Map.of() : snap.getMetrics();
                if (json) {
                    ObjectNode o = mapper.createObjectNode();
                    o.put("model", name);
                    o.put("state", state);
                    if (snap == null) {
                        o.putNull("version");
                        o.putNull("examplesSeen");
                    } else {
                        o.put("version", snap.getVersion());
                        o.put("examplesSeen", snap.getExamplesSeen());
                    }
                    ObjectNode m = o.putObject("metrics");
                    for (String k : METRICS) {
                        Double v = metrics.get(k);
                        if (v != null && Double.isFinite(v)) {
                            m.put(k, v);
                        }
                    }
                    System.out.println(mapper.writeValueAsString(o));
                } else {
                    StringBuilder m = new StringBuilder();
                    for (String k : METRICS) {
                        Double v = metrics.get(k);
                        if (v != null) {
                            m.append(m.length() == 0 ? "" : " ")
                                    .append(k)
                                    .append('=')
                                    .append(String.format("%.4f", v));
                        }
                    }
                    rows.add(
                            new String[] {
                                name,
                                state,
                                snap == null ? "-" : String.valueOf(snap.getVersion()),
                                snap == null ? "-" : String.valueOf(snap.getExamplesSeen()),
                                m.length() == 0 ? "-" : m.toString()
                            });
                }
            }
            if (!json) {
                print(rows);
            }
            System.out.flush();
            return 0;
        }

        private static void print(List<String[]> rows) {
            int[] width = new int[rows.get(0).length];
            for (String[] r : rows) {
                for (int i = 0; i < r.length; i++) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            }
            for (String[] r : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < r.length; i++) {
                    boolean numeric = i == 2 || i == 3;
                    String cell =
                            numeric
                                    ? " ".repeat(width[i] - r[i].length()) + r[i]
                                    : r[i] + " ".repeat(width[i] - r[i].length());
                    line.append(i == 0 ? "" : "  ").append(cell);
                }
                System.out.println(line.toString().stripTrailing());
            }
        }
    }
}
