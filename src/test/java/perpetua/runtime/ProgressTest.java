package perpetua.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress of long runs: rate and time left, in place on a terminal, sparse elsewhere. */
class ProgressTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void aLineSaysRowsRateShareAndTimeLeft() {
        assertThat(Progress.line("publish", 250_000, 10, 0.25))
                .isEqualTo("publish: 250,000 rows, 25,000 rows/s, 25%, 0:30 left");
        assertThat(Progress.line("replay", 3_000_000, 100, 1.0 / 40)).endsWith("1:05:00 left");
        assertThat(Progress.line("publish", 1_000, 2, Double.NaN))
                .isEqualTo("publish: 1,000 rows, 500 rows/s");
    }

    @Test
    void aTerminalLineIsRedrawnInPlaceTwiceASecondAndErasedAtTheEnd() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        Progress p = new Progress(new PrintStream(bytes, true), true, now::get);
        now.set(SECOND / 4);
        p.update("publish", 10, 0.1);
        assertThat(bytes.size()).isZero();
        now.set(SECOND);
        p.update("publish", 40, 0.5);
        p.clear();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out)
                .isEqualTo("\rpublish: 40 rows, 40 rows/s, 50%, 0:01 left\033[K\r\033[K")
                .doesNotContain("\n");
    }

    @Test
    void elsewhereAPlainLineComesEveryTenSeconds() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        Progress p = new Progress(new PrintStream(bytes, true), false, now::get);
        for (int s = 1; s <= 25; s++) {
            now.set(s * SECOND);
            p.update("replay", s * 100L, Double.NaN);
        }
        p.clear();
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
                .containsExactly(
                        "replay: 1,000 rows, 100 rows/s", "replay: 2,000 rows, 100 rows/s");
    }
}
