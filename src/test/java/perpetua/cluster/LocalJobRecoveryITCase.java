package perpetua.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local runner under failure, on real processes: {@code perpetua job} in its own JVM is killed
 * with SIGKILL and started again with the same command, and the broker, its own JVM too, is killed
 * and restarted. The restarted job resumes from the checkpoint the dead one left, so no model
 * version goes backwards, and every event is predicted exactly once.
 */
class LocalJobRecoveryITCase {

    @Test
    void aKilledJobResumesFromItsCheckpointAndLosesNothing(@TempDir Path dir) throws Exception {
        LocalDrill drill =
                new LocalDrill(
                        new LocalDrill.Settings(
                                dir, 8_000, 2, 300, 1, List.of(Duration.ofSeconds(8)), 7),
                        System.err);

        ChaosOracle.Verdict verdict = drill.run();
        System.err.println(verdict.line() + " recoveries_ms=" + verdict.recoveries());

        assertThat(verdict.problems()).isEmpty();
        assertThat(verdict.missing()).isZero();
        assertThat(verdict.duplicated()).isZero();
        assertThat(verdict.predicted()).isEqualTo(8_000);
        assertThat(verdict.deadLetters()).isEqualTo(80);
        assertThat(verdict.kills()).isEqualTo(1);
        assertThat(verdict.brokerRestarts()).isEqualTo(1);
        assertThat(drill.resumedEveryTime()).isTrue();
    }
}
