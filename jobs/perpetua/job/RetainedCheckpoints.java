package perpetua.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the latest complete checkpoint that earlier runs of a job left in a checkpoint directory.
 *
 * <p>Flink writes each job's checkpoints to {@code DIR/JOB-ID/chk-N/}, and a checkpoint is complete
 * once its {@code _metadata} file exists. A job that crashed, or was cancelled with retention on,
 * leaves its latest complete checkpoints there; resuming from the newest keeps every step the
 * models had committed. Only local directories ({@code file:} URIs or paths) are searched.
 */
public final class RetainedCheckpoints {
    private RetainedCheckpoints() {}

    /** The newest complete checkpoint under {@code checkpointDir}, as a path to resume from. */
    public static Optional<Path> latest(String checkpointDir) {
        Path dir = localPath(checkpointDir);
        if (dir == null || !Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> jobs = Files.list(dir)) {
            return jobs.filter(Files::isDirectory)
                    .flatMap(RetainedCheckpoints::complete)
                    .max(Comparator.comparing(RetainedCheckpoints::writtenAt));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint directory " + dir, e);
        }
    }

    private static Stream<Path> complete(Path jobDir) {
        try (Stream<Path> checkpoints = Files.list(jobDir)) {
            return checkpoints
                    .filter(p -> p.getFileName().toString().startsWith("chk-"))
                    .filter(p -> Files.isRegularFile(p.resolve("_metadata")))
                    .toList()
                    .stream();
        } catch (IOException e) {
            return Stream.empty();
        }
    }

    private static FileTime writtenAt(Path checkpoint) {
        try {
            return Files.getLastModifiedTime(checkpoint.resolve("_metadata"));
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static Path localPath(String dir) {
        if (dir == null) {
            return null;
        }
        if (dir.startsWith("file:")) {
            return Path.of(URI.create(dir));
        }
        return dir.contains("://") ? null : Path.of(dir);
    }
}
