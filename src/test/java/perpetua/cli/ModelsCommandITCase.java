package perpetua.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static perpetua.testing.Cli.perpetua;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.features.OnlineStandardizer;
import perpetua.model.NeuralModel;
import perpetua.model.ScoringModel;
import perpetua.model.Tensors;
import perpetua.runtime.ModelRegistry;
import perpetua.runtime.Topics;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.SpecAction;
import perpetua.schemas.Tensor;
import perpetua.scoring.Scorer;
import perpetua.testing.KafkaBrokerExtension;
import perpetua.testing.Streams;
import perpetua.wire.WireFormat;

/** The models commands and the Scorer against a real KRaft broker. */
class ModelsCommandITCase {
    private static final String MODEL = "m";

    @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir static Path kafkaDir;

    /** Trains a model two steps, returning the snapshots at version 1 and 2. */
    private static List<ModelSnapshot> trainedSnapshots(ModelSpec spec, List<Event> events) {
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        List<ModelSnapshot> out = new ArrayList<>();
        for (int step = 0; step < 2; step++) {
            MicroBatch batch = encoder.newBatch();
            for (Event e : events.subList(step * 10, step * 10 + 10)) {
                encoder.encode(e, batch);
            }
            encoder.commitMoments();
            model.learn(batch);
            OnlineStandardizer std = encoder.standardizer();
            int n = std.size();
            float[] count = new float[n];
            float[] mean = new float[n];
            float[] m2 = new float[n];
            for (int i = 0; i < n; i++) {
                count[i] = std.counts()[i];
                mean[i] = (float) std.means()[i];
                m2[i] = (float) std.m2s()[i];
            }
            List<Tensor> features =
                    List.of(
                            Tensors.toTensor("featureCount", new int[] {n}, count),
                            Tensors.toTensor("featureMean", new int[] {n}, mean),
                            Tensors.toTensor("featureM2", new int[] {n}, m2));
            out.add(
                    ModelSnapshot.newBuilder()
                            .setModel(spec.getModel())
                            .setVersion(model.steps())
                            .setTime(1000L + step)
                            .setSpec(spec)
                            .setExamplesSeen(10L * (step + 1))
                            .setTensors(model.parameterTensors())
                            .setOptimizerState(model.optimizerTensors())
                            .setFeatureState(features)
                            .setMetrics(Map.of("accuracy", 0.75, "auc", 0.8, "logLoss", 0.5))
                            .build());
        }
        return out;
    }

    private static void send(String bootstrap, String topic, String key, byte[] value)
            throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    /** The last control record of {@code model}. */
    private static ModelSpec lastSpec(String bootstrap, String control, String model) {
        return ModelRegistry.read(bootstrap, control, null).spec(model).orElseThrow();
    }

    @Test
    void listCreateRetireAndScore() throws Exception {
        String bootstrap = KAFKA.bootstrapServers();
        String run = UUID.randomUUID().toString().substring(0, 8);
        String control = "control-" + run;
        String models = "models-" + run;
        String history = "history-" + run;
        Topics.create(bootstrap, 1, control, models, history);
        ModelSpec spec = Streams.binarySpec(MODEL, 10, 20);
        List<Event> events = Streams.binaryEvents(MODEL, 30, 11);
        List<ModelSnapshot> snapshots = trainedSnapshots(spec, events);
        var snapshotCodec = WireFormat.codec(ModelSnapshot.class);
        for (ModelSnapshot s : snapshots) {
            send(bootstrap, models, MODEL, snapshotCodec.encode(s));
            send(bootstrap, history, MODEL, snapshotCodec.encode(s));
        }
        send(bootstrap, control, MODEL, WireFormat.codec(ModelSpec.class).encode(spec));
        String[] topics = {
            "--bootstrap-servers", bootstrap,
            "--control-topic", control,
            "--models-topic", models,
            "--history-topic", history
        };

        perpetua.testing.Cli.Run list = perpetua(concat(new String[] {"models", "list"}, topics));
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains("MODEL").contains("STATE").contains("VERSION");
        assertThat(list.out().lines().filter(l -> l.startsWith(MODEL + " ")).toList())
                .singleElement()
                .satisfies(
                        l ->
                                assertThat(l.split("\\s+"))
                                        .containsSequence("m", "learning", "2", "20"))
                .satisfies(l -> assertThat(l).contains("accuracy=0.7500"));
        perpetua.testing.Cli.Run listJson =
                perpetua(concat(new String[] {"models", "list", "--json"}, topics));
        assertThat(listJson.out().strip())
                .startsWith("{\"model\":\"m\",\"state\":\"learning\",\"version\":2,");

        String x2 =
                "{\"model\":\"x2\",\"task\":\"BINARY\",\"denseSize\":4,"
                        + "\"numericFeatures\":[\"x\"],\"hashBits\":10,\"optimizer\":\"ADAM\"}";
        perpetua.testing.Cli.Run create =
                perpetua(
                        concat(
                                new String[] {
                                    "models", "create", "--spec", x2, "--init-from", MODEL + "@1"
                                },
                                topics));
        assertThat(create.exitCode()).isZero();
        ModelSpec created = lastSpec(bootstrap, control, "x2");
        assertThat(created.getAction()).isEqualTo(SpecAction.UPSERT);
        assertThat(created.getInitFrom()).isEqualTo("m@1");
        byte[] init = new byte[created.getInitSnapshot().remaining()];
        created.getInitSnapshot().duplicate().get(init);
        assertThat(snapshotCodec.decode(init)).isEqualTo(snapshots.get(0));

        perpetua.testing.Cli.Run missing =
                perpetua(
                        concat(
                                new String[] {
                                    "models",
                                    "create",
                                    "--spec",
                                    x2.replace("x2", "x3"),
                                    "--init-from",
                                    MODEL + "@7"
                                },
                                topics));
        assertThat(missing.exitCode()).isNotZero();

        String again = "{\"model\":\"m\",\"task\":\"BINARY\",\"denseSize\":4}";
        perpetua.testing.Cli.Run exists =
                perpetua(concat(new String[] {"models", "create", "--spec", again}, topics));
        assertThat(exists.exitCode()).isNotZero();
        assertThat(lastSpec(bootstrap, control, MODEL).getAction()).isEqualTo(SpecAction.UPSERT);

        perpetua.testing.Cli.Run update =
                perpetua(
                        concat(
                                new String[] {
                                    "models",
                                    "update",
                                    "--spec",
                                    "{\"model\":\"nope\",\"task\":\"BINARY\"}"
                                },
                                topics));
        assertThat(update.exitCode()).isNotZero();

        perpetua.testing.Cli.Run retire =
                perpetua(concat(new String[] {"models", "retire", "--model", MODEL}, topics));
        assertThat(retire.exitCode()).isZero();
        ModelSpec retired = lastSpec(bootstrap, control, MODEL);
        assertThat(retired.getAction()).isEqualTo(SpecAction.RETIRE);
        assertThat(retired.getHashBits()).isEqualTo(10);

        perpetua.testing.Cli.Run after = perpetua(concat(new String[] {"models", "list"}, topics));
        assertThat(after.out().lines().filter(l -> l.startsWith("m ")).toList())
                .singleElement()
                .satisfies(l -> assertThat(l).contains("retired"));
        assertThat(after.out().lines().filter(l -> l.startsWith("x2 ")).toList())
                .singleElement()
                .satisfies(l -> assertThat(l).contains("pending"));

        Path csv = kafkaDir.resolve("score-" + run + ".csv");
        StringBuilder rows = new StringBuilder("id,d0,d1,d2,d3,x,c\n");
        for (Event e : events.subList(20, 23)) {
            rows.append(e.getId());
            e.getDense().forEach(d -> rows.append(',').append(d));
            rows.append(',').append(e.getNumeric().get("x"));
            rows.append(',').append(e.getCategorical().get("c")).append('\n');
        }
        java.nio.file.Files.writeString(csv, rows);
        perpetua.testing.Cli.Run score =
                perpetua(
                        "score",
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic.models",
                        models,
                        "--csv",
                        csv.toString(),
                        "--model",
                        MODEL,
                        "--id",
                        "id",
                        "--dense",
                        "d0,d1,d2,d3",
                        "--numeric",
                        "x",
                        "--categorical",
                        "c");
        assertThat(score.exitCode()).isZero();
        List<Prediction> expected =
                ScoringModel.of(snapshots.get(1)).score(events.subList(20, 23), 0L);
        List<String> lines = score.out().lines().toList();
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(lines.get(i))
                    .startsWith("{\"eventId\":\"" + events.get(20 + i).getId() + "\"")
                    .contains("\"modelVersion\":2")
                    .contains("\"label\":" + expected.get(i).getLabel());
        }
        perpetua.testing.Cli.Run noModel =
                perpetua(
                        "score",
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic.models",
                        models,
                        "--csv",
                        csv.toString(),
                        "--model",
                        "absent");
        assertThat(noModel.exitCode()).isNotZero();

        try (Scorer scorer = Scorer.follow(bootstrap, models)) {
            assertThat(scorer.awaitVersion(MODEL, 2, Duration.ofSeconds(60))).isTrue();
            assertThat(scorer.version(MODEL)).hasValue(2);
            Event event = events.get(25);
            Prediction p = scorer.score(event);
            assertThat(p.getModelVersion()).isEqualTo(2);
            assertThat(p.getEventId()).isEqualTo(event.getId());
            Prediction direct = ScoringModel.of(snapshots.get(1)).score(List.of(event), 0L).get(0);
            assertThat(p.getScores()).isEqualTo(direct.getScores());
            Event other = Event.newBuilder(event).setModel("unknown").build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> scorer.score(other))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
