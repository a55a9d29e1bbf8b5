package perpetua.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import perpetua.runtime.CsvEvents;
import perpetua.schemas.Event;
import perpetua.wire.WireFormat;

/** Preparing a replay: order, shuffling, limit, ids, labels and one copy per model. */
class ReplayStreamTest {
    @TempDir Path dir;

    private Path csv(int rows) throws IOException {
        StringBuilder b = new StringBuilder("x,label\n");
        for (int i = 1; i <= rows; i++) {
            b.append(i).append(',').append(i * 10).append('\n');
        }
        Path file = dir.resolve("rows.csv");
        Files.writeString(file, b);
        return file;
    }

    private static CsvEvents.Roles roles() {
        CsvEvents.Roles r = new CsvEvents.Roles();
        r.numeric = List.of("x");
        r.label = "label";
        return r;
    }

    private static List<Event> read(Path file) throws IOException {
        WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
        List<Event> out = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            while (in.available() > 0) {
                byte[] bytes = new byte[in.readInt()];
                in.readFully(bytes);
                out.add(codec.decode(bytes));
            }
        }
        return out;
    }

    @Test
    void permutationIsFixedBySeedAndVisitsEveryRowOnce() {
        int[] a = ReplayStream.permutation(1000, 42);
        int[] b = ReplayStream.permutation(1000, 42);
        int[] c = ReplayStream.permutation(1000, 43);

        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
        assertThat(Arrays.stream(a).sorted().toArray())
                .isEqualTo(IntStream.range(0, 1000).toArray());
        // Collections.shuffle's algorithm with java.util.Random: the same on every JVM.
        assertThat(ReplayStream.permutation(5, 42)).containsExactly(1, 2, 3, 4, 0);
    }

    @Test
    void fileOrderWithALimitKeepsTheFirstRowsWithPositionsAsIds() throws IOException {
        ReplayStream.Prepared p =
                ReplayStream.prepare(csv(10), roles(), List.of("m"), null, 4, dir.resolve("r"));

        assertThat(p.rows()).isEqualTo(4);
        assertThat(p.labels()).containsExactly(10f, 20f, 30f, 40f);
        List<Event> events = read(p.file());
        assertThat(events).extracting(Event::getId).containsExactly("0", "1", "2", "3");
        assertThat(events)
                .extracting(e -> e.getNumeric().get("x"))
                .containsExactly(1.0, 2.0, 3.0, 4.0);
        assertThat(p.csvRow(2)).isEqualTo(3);
    }

    @Test
    void shuffledReplayFollowsThePermutationThenTheLimit() throws IOException {
        Path file = csv(50);
        int[] order = ReplayStream.permutation(50, 42);

        ReplayStream.Prepared p =
                ReplayStream.prepare(file, roles(), List.of("m"), 42L, 5, dir.resolve("r"));
        ReplayStream.Prepared again =
                ReplayStream.prepare(file, roles(), List.of("m"), 42L, 0, dir.resolve("r2"));

        for (int i = 0; i < 5; i++) {
            assertThat(p.labels()[i]).isEqualTo((order[i] + 1) * 10f);
            assertThat(p.csvRow(i)).isEqualTo(order[i] + 1);
        }
        // A limit is a prefix of the same shuffled stream.
        assertThat(Arrays.copyOf(again.labels(), 5)).isEqualTo(p.labels());
        assertThat(again.rows()).isEqualTo(50);
    }

    @Test
    void everyRowGoesToEachModelInTurn() throws IOException {
        ReplayStream.Prepared p =
                ReplayStream.prepare(csv(3), roles(), List.of("a", "b"), null, 0, dir.resolve("r"));

        assertThat(p.records()).isEqualTo(6);
        assertThat(read(p.file()))
                .extracting(e -> e.getModel() + e.getId())
                .containsExactly("a0", "b0", "a1", "b1", "a2", "b2");
    }

    @Test
    void aMissingColumnIsNamed() throws IOException {
        CsvEvents.Roles r = roles();
        r.categorical = List.of("colour");
        Path file = csv(3);
        assertThatThrownBy(
                        () ->
                                ReplayStream.prepare(
                                        file, r, List.of("m"), null, 0, dir.resolve("r")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no column 'colour'");
    }
}
