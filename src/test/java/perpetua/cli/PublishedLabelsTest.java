package perpetua.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PublishedLabelsTest {
    @Test
    void givesEachEventsLabelByItsIdAcrossChunks() {
        PublishedLabels labels = new PublishedLabels("flights");
        int rows = 200_000; // three chunks and part of a fourth
        for (int row = 1; row <= rows; row++) {
            labels.put(row, row % 7 == 0 ? null : row % 3);
        }
        for (int row = 1; row <= rows; row++) {
            assertThat(labels.get("flights-" + row))
                    .as("row %d", row)
                    .isEqualTo(row % 7 == 0 ? null : row % 3);
        }
        assertThat(labels.get("flights-" + (rows + 1))).isNull();
        assertThat(labels.get("flights-" + (1L << 40))).isNull();
    }

    @Test
    void knowsNothingOfIdsThatAreNotItsModelsRows() {
        PublishedLabels labels = new PublishedLabels("flights");
        labels.put(1, 1);
        labels.put(12, 0);
        assertThat(labels.get("flights-1")).isEqualTo(1);
        assertThat(labels.get("flights-12")).isEqualTo(0);
        assertThat(labels.get("other-1")).isNull();
        assertThat(labels.get("flights-")).isNull();
        assertThat(labels.get("flights-1x")).isNull();
        assertThat(labels.get("flights--1")).isNull();
        assertThat(labels.get("flights-0")).isNull();
        assertThat(labels.get("flights-99999999999999999999")).isNull();
        assertThat(labels.get("flight-12")).isNull();
    }

    @Test
    void refusesLabelsAndRowsItCannotHold() {
        PublishedLabels labels = new PublishedLabels("m");
        assertThatThrownBy(() -> labels.put(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> labels.put(1, 255)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> labels.put(1, -1)).isInstanceOf(IllegalArgumentException.class);
        labels.put(1, 254);
        assertThat(labels.get("m-1")).isEqualTo(254);
    }

    @Test
    void aReaderSeesWhatThePublisherPutBeforeIt() throws Exception {
        PublishedLabels labels = new PublishedLabels("m");
        AtomicLong published = new AtomicLong();
        int rows = 300_000;
        Thread publisher =
                new Thread(
                        () -> {
                            for (int row = 1; row <= rows; row++) {
                                labels.put(row, row & 1);
                                published.set(row);
                            }
                        });
        publisher.start();
        long checked = 0;
        while (checked < rows) {
            long upTo = published.get();
            for (long row = checked + 1; row <= upTo; row++) {
                assertThat(labels.get("m-" + row)).as("row %d", row).isEqualTo((int) (row & 1));
            }
            checked = upTo;
        }
        publisher.join();
    }
}
