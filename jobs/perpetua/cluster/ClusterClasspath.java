package perpetua.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The class path of a local Flink cluster's processes, resolved by Maven from {@code
 * deploy/cluster/pom.xml}: Flink's runtime, web UI, RocksDB backend and Prometheus reporter, log4j,
 * and ND4J.
 *
 * <p>Resolved once into {@code target/cluster-classpath.txt} and again only when the pom is newer
 * than that file. It needs Maven on the path ({@code mvn}, or {@code $MAVEN_CMD}) the first time.
 */
public final class ClusterClasspath {
    private static final long RESOLVE_TIMEOUT_MINUTES = 10;

    private ClusterClasspath() {}

    /** The class path for the project at {@code home}, resolving it when missing or stale. */
    public static String resolve(Path home) throws IOException, InterruptedException {
        Path pom = home.resolve("deploy/cluster/pom.xml");
        if (!Files.exists(pom)) {
            throw new IllegalStateException(pom + " is missing: is " + home + " Perpetua's home?");
        }
        Path out = home.resolve("target/cluster-classpath.txt");
        if (!Files.exists(out)
                || Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(pom)) < 0) {
            Files.createDirectories(out.getParent());
            Path log = home.resolve("target/cluster-classpath.log");
            List<String> command = new ArrayList<>();
            command.add(System.getenv().getOrDefault("MAVEN_CMD", "mvn"));
            command.addAll(
                    List.of(
                            "-B",
                            "-q",
                            "-f",
                            pom.toString(),
                            "dependency:build-classpath",
                            "-Dmdep.outputFile=" + out));
            Process p =
                    new ProcessBuilder(command)
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            if (!p.waitFor(RESOLVE_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(
                        "resolving the cluster class path took over "
                                + RESOLVE_TIMEOUT_MINUTES
                                + " minutes; see "
                                + log);
            }
            if (p.exitValue() != 0 || !Files.exists(out)) {
                throw new IllegalStateException(
                        "resolving the cluster class path failed (exit "
                                + p.exitValue()
                                + "): "
                                + Files.readString(log, StandardCharsets.UTF_8).strip());
            }
            // build-classpath leaves an unchanged file untouched: mark it fresh against the pom.
            Files.setLastModifiedTime(
                    out, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
        }
        return Files.readString(out, StandardCharsets.UTF_8).strip();
    }
}
