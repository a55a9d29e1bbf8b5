package perpetua.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos drill, shortened, on real processes: a KRaft broker, a JobManager and three
 * TaskManagers, each its own JVM. 20,000 events over four models and 1% malformed records go
 * through a TaskManager kill -9, a broker kill -9 and restart, and a stop with a savepoint resumed
 * at another parallelism; the oracle reads every output topic with read_committed.
 */
class ChaosITCase {

    @Test
    void everyEventIsPredictedOnceThroughAKillABrokerRestartAndARescale(@TempDir Path dir)
            throws Exception {
        Path home = Path.of("").toAbsolutePath();
        ChaosDrill.Settings settings =
                ChaosDrill.Settings.defaults(home, dir, ChaosDrill.jobJar(home))
                        .withEvents(20_000)
                        .withModels(4)
                        .withKills(1)
                        .withRate(400)
                        .withRescaleTo(3);

        ChaosOracle.Verdict verdict = new ChaosDrill(settings, System.err).run();
        System.err.println(verdict.line() + " recoveries_ms=" + verdict.recoveries());

        assertThat(verdict.problems()).isEmpty();
        assertThat(verdict.missing()).isZero();
        assertThat(verdict.duplicated()).isZero();
        assertThat(verdict.predicted()).isEqualTo(20_000);
        assertThat(verdict.deadLetters()).isEqualTo(200);
        assertThat(verdict.kills()).isEqualTo(1);
        assertThat(verdict.brokerRestarts()).isEqualTo(1);
        assertThat(verdict.recoveries()).hasSize(1);
        assertThat(verdict.ok()).isTrue();
    }
}
