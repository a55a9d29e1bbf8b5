package perpetua.learner;

/**
 * Where a model's architecture search stands: its rung (0 first), the metrics windows the champion
 * closed in it, and whether the rung's last window has closed. A rung lasts {@code rungWindows}
 * windows, and each after the first twice as long as the one before (see {@link
 * SuccessiveHalving}).
 *
 * <p>Whether the rung ended is not kept in state: it is set and answered within one batch.
 */
final class SearchProgress {
    /** Rungs stop doubling after this many, so that a long search cannot overflow their length. */
    private static final int MAX_DOUBLINGS = 20;

    private int rung;
    private int windows;

    /** The rung's last window closed during this batch: the learners are ranked after it. */
    private boolean ended;

    /** A search at its first rung. */
    SearchProgress() {}

    /** A search restored at {@code rung}, its champion having closed {@code windows} there. */
    SearchProgress(int rung, int windows) {
        this.rung = rung;
        this.windows = windows;
    }

    /** The current rung, 0 first. */
    int rung() {
        return rung;
    }

    /** The windows the champion closed in the current rung. */
    int windows() {
        return windows;
    }

    /** Windows in rung {@code rung} of a search whose first rung lasts {@code firstRungWindows}. */
    static int rungLength(int firstRungWindows, int rung) {
        return firstRungWindows << Math.min(rung, MAX_DOUBLINGS);
    }

    /** The champion closed one more window of the rung; with the rung's last, the rung ends. */
    void championWindowClosed(int firstRungWindows) {
        if (++windows >= rungLength(firstRungWindows, rung)) {
            ended = true;
        }
    }

    /** Whether the rung's last window closed: the learners are ranked before the next batch. */
    boolean rungEnded() {
        return ended;
    }

    /** The learners were ranked: the next rung starts. */
    void nextRung() {
        rung++;
        windows = 0;
        ended = false;
    }

    /** The search starts over at its first rung, as for a spec whose search changed. */
    void restart() {
        rung = 0;
        windows = 0;
        ended = false;
    }
}
