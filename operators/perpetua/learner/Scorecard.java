package perpetua.learner;

import perpetua.metrics.PrequentialEvaluator;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSpec;

/**
 * How one learner is judged: its prequential metrics window, the last window it closed, its streak
 * of windows won against the champion, and its tally of the main metric over the search's current
 * rung. {@link ChampionPolicy} and {@link SuccessiveHalving} read and mark it.
 */
final class Scorecard {
    private PrequentialEvaluator evaluator;
    private Metrics lastWindow;

    /** Consecutive windows this challenger beat the champion by the margin. */
    private int winStreak;

    /** The main metric summed over the search's current rung, and its windows there. */
    private double tallyTotal;

    private int tallyWindows;

    Scorecard(PrequentialEvaluator evaluator) {
        this.evaluator = evaluator;
    }

    /** The streak and the tally as {@link #writeTo} left them in {@code s}. */
    void restore(VariantState s) {
        winStreak = s.winStreak;
        tallyTotal = s.tallyTotal;
        tallyWindows = s.tallyWindows;
    }

    /** A deep copy of the evaluator, the streak and the tally into {@code s}. */
    void writeTo(VariantState s) {
        s.evaluator = evaluator.copy();
        s.winStreak = winStreak;
        s.tallyTotal = tallyTotal;
        s.tallyWindows = tallyWindows;
    }

    PrequentialEvaluator evaluator() {
        return evaluator;
    }

    /** The last metrics window this learner closed, or null before its first. */
    Metrics lastWindow() {
        return lastWindow;
    }

    /** A new evaluator when {@code next} changes the metrics window; else the window goes on. */
    void conform(ModelSpec next) {
        if (!evaluator.sameWindow(next)) {
            evaluator = PrequentialEvaluator.forSpec(next);
        }
    }

    /**
     * Takes over the metrics window and the last window of the served line, for a learner that
     * replaces the champion: the line's windows go on across the replacement.
     */
    void takeOverServedLine(Scorecard old) {
        evaluator = old.evaluator;
        lastWindow = old.lastWindow;
    }

    /** Closes the metrics window if it is due, and keeps it as the last; else null. */
    Metrics closeWindowIfDue(String model, long version, long now) {
        Metrics window = evaluator.closeIfDue(model, version, now);
        if (window != null) {
            lastWindow = window;
        }
        return window;
    }

    int winStreak() {
        return winStreak;
    }

    /** One more window judged against the champion's: won by the margin, or the streak ends. */
    void judged(boolean won) {
        winStreak = won ? winStreak + 1 : 0;
    }

    /** The streak starts again: it was won against a champion that is gone. */
    void endStreak() {
        winStreak = 0;
    }

    /** One more window of the search's rung, with its value of the main metric. */
    void tally(double value) {
        tallyTotal += value;
        tallyWindows++;
    }

    /** The mean of the rung's tallied values; NaN before the first. */
    double tallyMean() {
        return tallyWindows == 0 ? Double.NaN : tallyTotal / tallyWindows;
    }

    /** A new rung begins. */
    void resetTally() {
        tallyTotal = 0;
        tallyWindows = 0;
    }
}
