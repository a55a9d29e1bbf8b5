package perpetua.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.util.FileUtils;

/**
 * The demo's Kafka broker: a KRaft broker in a child JVM on a fresh data directory and a free port.
 *
 * <p>The broker watches its standard input and exits when it closes, so it also ends when the
 * demo's process dies without stopping it.
 */
final class DemoBroker {
    /**
     * The environment variable whose JVM options (split at white space) the broker's JVM also gets,
     * after its own ({@code -Xmx1g -XX:TieredStopAtLevel=1}), so that a later one wins: {@code
     * ./perpetua bench profile pipeline} samples the broker with it.
     */
    static final String JAVA_OPTS = "PERPETUA_BROKER_JAVA_OPTS";

    private final Process process;
    private final Path dir;
    private final Path dataDir;

    private DemoBroker(Process process, Path dir, Path dataDir) {
        this.process = process;
        this.dir = dir;
        this.dataDir = dataDir;
    }

    /**
     * Starts a broker on {@code dir/kafka}, wiping the data of an earlier run, with its log in
     * {@code dir/broker.log}; {@link #awaitReady()} waits until it serves.
     */
    static DemoBroker launch(Path dir) throws IOException {
        Path kafkaDir = dir.resolve("kafka");
        FileUtils.deleteDirectory(kafkaDir.toFile());
        Files.createDirectories(dir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // C1 alone: the broker's hot work is copying, checksums and system calls, which C1's code
        // does about as fast as C2's, and C2's compiling took close to half the broker's CPU in
        // a run of the demo, on the same cores as the job.
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g", "-XX:TieredStopAtLevel=1"));
        String extra = System.getenv(JAVA_OPTS);
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        command.addAll(
                List.of(
                        "-cp",
                        System.getProperty("java.class.path"),
                        "perpetua.runtime.KafkaBroker",
                        "--dir",
                        kafkaDir.toString(),
                        "--port",
                        "0"));
        Process process =
                new ProcessBuilder(command)
                        .redirectError(dir.resolve("broker.log").toFile())
                        .start();
        return new DemoBroker(process, dir, kafkaDir);
    }

    /** Waits until the broker serves, and returns its bootstrap servers. */
    String awaitReady() throws IOException {
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("READY ")) {
                return line.substring("READY ".length()).trim();
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        throw new IllegalStateException(
                "the Kafka broker did not start; see " + dir.resolve("broker.log"));
    }

    /** The broker's process, for its CPU time. */
    ProcessHandle handle() {
        return process.toHandle();
    }

    long pid() {
        return process.pid();
    }

    /** Where the broker keeps its data. */
    Path dataDir() {
        return dataDir;
    }

    /**
     * Stops the broker by closing its standard input, which it watches, and forces it after a grace
     * period.
     */
    void stop() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
