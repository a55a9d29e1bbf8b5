package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A search's rungs double in length, end with their last champion window, and start over. */
class SearchProgressTest {
    private static void closeWindows(SearchProgress p, int firstRungWindows, int n) {
        for (int i = 0; i < n; i++) {
            p.championWindowClosed(firstRungWindows);
        }
    }

    @Test
    void theFirstRungEndsWithItsLastWindowAndEachNextLastsTwiceAsLong() {
        SearchProgress p = new SearchProgress();
        closeWindows(p, 3, 2);
        assertThat(p.rungEnded()).isFalse();
        assertThat(p.windows()).isEqualTo(2);
        p.championWindowClosed(3);
        assertThat(p.rungEnded()).isTrue();

        p.nextRung();
        assertThat(p.rung()).isEqualTo(1);
        assertThat(p.windows()).isZero();
        assertThat(p.rungEnded()).isFalse();
        closeWindows(p, 3, 5);
        assertThat(p.rungEnded()).isFalse();
        p.championWindowClosed(3);
        assertThat(p.rungEnded()).isTrue();
        assertThat(p.windows()).isEqualTo(6);
    }

    @Test
    void aRestoredSearchGoesOnFromItsRungAndWindows() {
        // Rung 2 of a search of first rungs of 1 window lasts 4; 3 are behind it.
        SearchProgress p = new SearchProgress(2, 3);
        assertThat(p.rung()).isEqualTo(2);
        assertThat(p.rungEnded()).isFalse();
        p.championWindowClosed(1);
        assertThat(p.rungEnded()).isTrue();
    }

    @Test
    void aRestartGoesBackToTheFirstRung() {
        SearchProgress p = new SearchProgress(4, 7);
        p.championWindowClosed(1);
        p.restart();
        assertThat(p.rung()).isZero();
        assertThat(p.windows()).isZero();
        assertThat(p.rungEnded()).isFalse();
        p.championWindowClosed(2);
        assertThat(p.rungEnded()).isFalse();
        p.championWindowClosed(2);
        assertThat(p.rungEnded()).isTrue();
    }

    @Test
    void rungsStopDoublingBeforeTheirLengthOverflows() {
        assertThat(SearchProgress.rungLength(5, 0)).isEqualTo(5);
        assertThat(SearchProgress.rungLength(5, 3)).isEqualTo(40);
        assertThat(SearchProgress.rungLength(1, 20)).isEqualTo(1 << 20);
        assertThat(SearchProgress.rungLength(1, 40)).isEqualTo(1 << 20);
    }
}
