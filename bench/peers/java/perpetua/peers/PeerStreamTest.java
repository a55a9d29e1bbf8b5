package perpetua.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import perpetua.replay.ReplayStream;
import perpetua.runtime.CsvEvents;
import perpetua.schemas.Event;

/** The peers' in-memory stream and Perpetua's replay of the same CSV visit the same rows. */
class PeerStreamTest {

    @TempDir Path dir;

    @Test
    void aShuffledStreamVisitsTheRowsOfTheReplayWithTheSameSeedInTheSameOrder() throws IOException {
        Path csv = csv(500);
        CsvEvents.Roles roles = roles();

        List<Event> peers = PeerStream.read(csv, roles, 120, 42L);
        ReplayStream.Prepared replay =
                ReplayStream.prepare(csv, roles, List.of("m"), 42L, 120, dir.resolve("replay"));

        assertThat(peers).hasSize(120);
        assertThat(replay.rows()).isEqualTo(120);
        for (int i = 0; i < peers.size(); i++) {
            // The peers' event id is "m-<1-based CSV row>", the replay keeps that row per position.
            assertThat(peers.get(i).getId()).isEqualTo("m-" + replay.csvRow(i));
            assertThat(((Number) peers.get(i).getLabel()).floatValue())
                    .isEqualTo(replay.labels()[i]);
        }
        // Shuffled over the whole file before the cap: rows from past the first 120 come in.
        assertThat(IntStream.range(0, 120).map(replay::csvRow).max().getAsInt()).isGreaterThan(120);
    }

    @Test
    void aStreamInFileOrderIsTheFirstRows() throws IOException {
        Path csv = csv(50);
        CsvEvents.Roles roles = roles();

        List<Event> peers = PeerStream.read(csv, roles, 20, null);
        ReplayStream.Prepared replay =
                ReplayStream.prepare(csv, roles, List.of("m"), null, 20, dir.resolve("replay"));

        assertThat(peers).extracting(Event::getId).containsExactlyElementsOf(ids(1, 20));
        assertThat(IntStream.range(0, 20).map(replay::csvRow).boxed().toList())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 20).boxed().toList());
    }

    private Path csv(int rows) throws IOException {
        StringBuilder b = new StringBuilder("x,y\n");
        for (int i = 1; i <= rows; i++) {
            b.append(i * 0.5).append(',').append(i).append('\n');
        }
        Path csv = dir.resolve("rows.csv");
        Files.writeString(csv, b);
        return csv;
    }

    private static CsvEvents.Roles roles() {
        CsvEvents.Roles r = new CsvEvents.Roles();
        r.model = "m";
        r.label = "y";
        r.numeric = List.of("x");
        return r;
    }

    private static List<String> ids(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> "m-" + i).toList();
    }
}
