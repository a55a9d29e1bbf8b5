package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetainedCheckpointsTest {

    private static Path checkpoint(Path dir, String job, int n, long writtenAt, boolean complete)
            throws Exception {
        Path chk = Files.createDirectories(dir.resolve(job).resolve("chk-" + n));
        if (complete) {
            Path metadata = Files.writeString(chk.resolve("_metadata"), "x");
            Files.setLastModifiedTime(metadata, FileTime.fromMillis(writtenAt));
        }
        return chk;
    }

    @Test
    void theNewestCompleteCheckpointOfAnyEarlierJobIsTheOneToResumeFrom(@TempDir Path dir)
            throws Exception {
        checkpoint(dir, "job-a", 7, 1_000, true);
        Path newest = checkpoint(dir, "job-b", 3, 3_000, true);
        checkpoint(dir, "job-b", 2, 2_000, true);
        // Started after the newest but never finished: no _metadata.
        checkpoint(dir, "job-b", 4, 4_000, false);
        Files.createDirectories(dir.resolve("job-b/shared"));

        assertThat(RetainedCheckpoints.latest(dir.toUri().toString())).contains(newest);
        assertThat(RetainedCheckpoints.latest(dir.toString())).contains(newest);
    }

    @Test
    void nothingToResumeFromAnEmptyMissingOrRemoteDirectory(@TempDir Path dir) throws Exception {
        assertThat(RetainedCheckpoints.latest(dir.toUri().toString())).isEmpty();
        checkpoint(dir, "job-a", 1, 1_000, false);
        assertThat(RetainedCheckpoints.latest(dir.toUri().toString())).isEmpty();
        assertThat(RetainedCheckpoints.latest(dir.resolve("missing").toString())).isEmpty();
        assertThat(RetainedCheckpoints.latest("s3://bucket/checkpoints")).isEmpty();
        assertThat(RetainedCheckpoints.latest(null)).isEmpty();
    }
}
