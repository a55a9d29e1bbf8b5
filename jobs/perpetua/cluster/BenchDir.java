package perpetua.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.util.FileUtils;

/** Where a drill runs: the project it belongs to, and a working folder emptied before each run. */
final class BenchDir {
    private BenchDir() {}

    /** The project's home, as the {@code perpetua} script passes it ({@code perpetua.home}). */
    static Path home() {
        return Path.of(System.getProperty("perpetua.home", ".")).toAbsolutePath();
    }

    /** {@code given}, or {@code target/bench/NAME} in the project, emptied and created. */
    static Path fresh(Path given, String name) throws IOException {
        Path dir = given != null ? given : home().resolve("target/bench").resolve(name);
        FileUtils.deleteDirectory(dir.toFile());
        Files.createDirectories(dir);
        return dir;
    }
}
