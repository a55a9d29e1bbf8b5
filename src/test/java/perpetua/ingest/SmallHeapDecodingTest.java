package perpetua.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * In a JVM whose heap is far smaller than the lengths that hostile records claim, Avro's decoder
 * alone runs out of memory, and the job's decoding refuses every such record with its reason.
 */
class SmallHeapDecodingTest {
    private static final String HEAP = "-Xmx48m";

    @Test
    void recordsThatClaimGigabytesAreRefusedInA48MegabyteHeap() throws Exception {
        Map<String, String[]> lines = run();
        assertThat(lines.keySet())
                .containsExactly(
                        "event id",
                        "event dense",
                        "event dense block",
                        "event numeric",
                        "feedback event id",
                        "spec numeric features",
                        "clean event");
        // The heap is small enough that decoding without the walk fails as the job once did.
        assertThat(lines.get("event id")[1]).startsWith("OutOfMemoryError");
        assertThat(lines.get("event dense")[1]).startsWith("OutOfMemoryError");
        assertThat(lines.get("event dense block")[1]).startsWith("OutOfMemoryError");
        assertThat(lines.get("feedback event id")[1]).startsWith("OutOfMemoryError");
        assertThat(lines.get("spec numeric features")[1]).startsWith("OutOfMemoryError");

        assertThat(lines.get("event id")[2])
                .isEqualTo(
                        "malformed Avro body: field 'id' claims a string of 1500000000 bytes"
                                + " where 0 follow; truncated or corrupt");
        assertThat(lines.get("event dense")[2])
                .startsWith(
                        "malformed Avro body: field 'dense' claims an array block of 1500000000");
        assertThat(lines.get("event dense block")[2])
                .startsWith(
                        "malformed Avro body: field 'dense' claims an array block of 1500000000");
        assertThat(lines.get("event numeric")[2])
                .startsWith(
                        "malformed Avro body: field 'numeric' claims a map block of 1500000000");
        assertThat(lines.get("feedback event id")[2])
                .startsWith("malformed Avro body: field 'eventId' claims a string of 1500000000");
        assertThat(lines.get("spec numeric features")[2])
                .startsWith(
                        "malformed Avro body: field 'numericFeatures' claims an array block of"
                                + " 1500000000");
        assertThat(lines.get("clean event")).containsExactly("clean event", "decoded", "accepted");
    }

    private static Map<String, String[]> run() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p =
                new ProcessBuilder(
                                java.toString(),
                                HEAP,
                                "-cp",
                                System.getProperty("java.class.path"),
                                HostileDecoding.class.getName())
                        .redirectErrorStream(true)
                        .start();
        try {
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the decoding JVM ends").isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            Map<String, String[]> lines = new LinkedHashMap<>();
            for (String line : out.split("\n")) {
                String[] cells = line.split("\t");
                if (cells.length == 3) {
                    lines.put(cells[0], cells);
                }
            }
            return lines;
        } finally {
            p.destroyForcibly();
        }
    }
}
