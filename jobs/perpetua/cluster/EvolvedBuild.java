package perpetua.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.wire.WireFormat;

/**
 * The next release of Perpetua as the upgrade drill needs it: this build's sources, with a field
 * added to the {@code ModelSpec} and {@code ModelSnapshot} schemas the way the project evolves its
 * wire contract (a new optional field with a default, the previous schemas kept in {@code
 * schemas/past/} and listed in its {@code INDEX}), built into a job jar of its own.
 */
final class EvolvedBuild {
    /** The field the next release adds to both records. */
    static final String FIELD = "releaseNote";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    private EvolvedBuild(Path dir) {
        this.dir = dir;
    }

    /** Copies the sources of {@code home} into {@code dir}, evolves the schemas, and builds. */
    static EvolvedBuild make(Path home, Path dir) throws IOException, InterruptedException {
        org.apache.flink.util.FileUtils.deleteDirectory(dir.toFile());
        for (String part : List.of("pom.xml", "schemas", "operators", "jobs", "src/main")) {
            copy(home.resolve(part), dir.resolve(part));
        }
        EvolvedBuild b = new EvolvedBuild(dir);
        b.keepPast(ModelSpec.class);
        b.keepPast(ModelSnapshot.class);
        b.addField("ModelSpec.avsc", "A note of the release that wrote this spec.");
        b.addField("ModelSnapshot.avsc", "A note of the release that wrote this snapshot.");
        b.build();
        return b;
    }

    /** The evolved job jar. */
    Path jar() throws IOException {
        return JobJar.in(dir);
    }

    /** The evolved schemas of the two records, as the new build writes them. */
    List<Schema> schemas() throws IOException {
        Schema.Parser parser = new Schema.Parser();
        parser.parse(dir.resolve("schemas/Tensor.avsc").toFile());
        Schema spec = parser.parse(dir.resolve("schemas/ModelSpec.avsc").toFile());
        Schema snapshot = parser.parse(dir.resolve("schemas/ModelSnapshot.avsc").toFile());
        return List.of(spec, snapshot);
    }

    /** The schema this build ships goes to schemas/past, as the next release must keep it. */
    private void keepPast(Class<? extends SpecificRecord> type) throws IOException {
        Path past = dir.resolve("schemas/past");
        String name = type.getSimpleName();
        int n;
        try (Stream<Path> files = Files.list(past)) {
            n =
                    (int)
                                    files.filter(
                                                    p ->
                                                            p.getFileName()
                                                                    .toString()
                                                                    .startsWith(name + "-v"))
                                            .count()
                            + 1;
        }
        String file = name + "-v" + n + ".avsc";
        Files.writeString(past.resolve(file), WireFormat.schemaOf(type).toString(true) + "\n");
        Files.writeString(past.resolve("INDEX"), file + "\n", StandardOpenOption.APPEND);
    }

    private void addField(String file, String doc) throws IOException {
        Path p = dir.resolve("schemas").resolve(file);
        ObjectNode schema = (ObjectNode) JSON.readTree(p.toFile());
        ObjectNode field = JSON.createObjectNode();
        field.put("name", FIELD);
        ArrayNode type = field.putArray("type");
        type.add("null");
        type.add("string");
        field.putNull("default");
        field.put("doc", doc);
        ((ArrayNode) schema.get("fields")).add(field);
        Files.writeString(
                p, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(schema) + "\n");
    }

    private void build() throws IOException, InterruptedException {
        Path log = dir.resolve("build.log");
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getenv().getOrDefault("MAVEN_CMD", "mvn"));
        cmd.addAll(
                List.of(
                        "-B",
                        "-q",
                        "-f",
                        dir.resolve("pom.xml").toString(),
                        "-DskipTests",
                        "-Dspotless.check.skip=true",
                        "package"));
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "the evolved build failed: "
                            + Files.readString(log, StandardCharsets.UTF_8).strip());
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        if (Files.isRegularFile(from)) {
            Files.createDirectories(to.getParent());
            Files.copy(from, to);
            return;
        }
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
