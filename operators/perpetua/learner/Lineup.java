package perpetua.learner;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import perpetua.drift.DriftDetector;
import perpetua.drift.DriftMonitor;
import perpetua.schemas.ModelSpec;

/**
 * The learners of one model: the champion that serves, the challengers learning in its shadow, and
 * the background model of the REPLACE drift reaction. Who holds which place changes only through
 * the moves named here (a respec, a promotion, the end of a search rung, a background model
 * started, dropped or swapped in), each of which lines the learners up again.
 */
final class Lineup {
    /** Whether a challenger's spec can carry over what the challenger learned. */
    interface ChallengerMatch {
        boolean test(ModelSpec was, ModelSpec next);
    }

    private Variant champion;
    private final List<Variant> challengers = new ArrayList<>();

    /**
     * A fresh model of the champion's spec learning the same batches in the shadow, from a drift
     * warning (or a drift without one) on, under the REPLACE reaction; null otherwise. It serves
     * nothing and is not measured.
     */
    private Variant background;

    /** Position in the champion's error stream of the signal that started {@link #background}. */
    private long backgroundSince;

    /** A drift came: {@link #background} replaces the champion once it has learned enough. */
    private boolean replacementDue;

    /**
     * {@link #variants()} and {@link #learners()}, asked for per labelled event: lined up again, as
     * new lists, whenever a variant comes or goes, so that a list a batch holds stays as it was.
     */
    private List<Variant> variants = List.of();

    private List<Variant> learners = List.of();

    /** {@code champion} with a fresh challenger for each that {@code spec} names. */
    Lineup(ModelSpec spec, Variant champion) {
        this.champion = champion;
        for (ModelSpec c : spec.getChallengers()) {
            challengers.add(Variant.fresh(c));
        }
        lineUp();
    }

    private Lineup(Variant champion, List<Variant> challengers) {
        this.champion = champion;
        this.challengers.addAll(challengers);
    }

    /** The learners as {@link #writeTo} left them in {@code s}. */
    static Lineup restore(ModelSpec spec, LearnerState s) {
        List<ModelSpec> cs = spec.getChallengers();
        List<Variant> challengers = new ArrayList<>(cs.size());
        for (int i = 0; i < cs.size(); i++) {
            challengers.add(Variant.restore(cs.get(i), s.challengers[i]));
        }
        Lineup l = new Lineup(Variant.restore(spec, s.champion), challengers);
        if (s.background != null) {
            l.background = Variant.restore(spec, s.background);
            l.backgroundSince = s.backgroundSince;
            l.replacementDue = s.replacementDue;
        }
        l.lineUp();
        return l;
    }

    /** Deep copies of the learners into {@code s}, so that later learning cannot touch them. */
    void writeTo(LearnerState s, TypeSerializer<DriftMonitor> monitors) {
        s.champion = champion.toState(monitors);
        s.challengers = new VariantState[challengers.size()];
        for (int i = 0; i < challengers.size(); i++) {
            s.challengers[i] = challengers.get(i).toState(monitors);
        }
        if (background != null) {
            s.background = background.toState(monitors);
            s.backgroundSince = backgroundSince;
            s.replacementDue = replacementDue;
        }
    }

    private void lineUp() {
        List<Variant> all = new ArrayList<>(2 + challengers.size());
        all.add(champion);
        all.addAll(challengers);
        variants = Collections.unmodifiableList(new ArrayList<>(all));
        if (background != null) {
            all.add(background);
        }
        learners = Collections.unmodifiableList(all);
    }

    Variant champion() {
        return champion;
    }

    List<Variant> challengers() {
        return Collections.unmodifiableList(challengers);
    }

    /** The background model of the REPLACE reaction, or null. */
    Variant background() {
        return background;
    }

    long backgroundSince() {
        return backgroundSince;
    }

    boolean replacementDue() {
        return replacementDue;
    }

    /** Every variant: the champion first, then the challengers. */
    List<Variant> variants() {
        return variants;
    }

    /** Every variant that learns: {@link #variants()} and the background model, if any. */
    List<Variant> learners() {
        return learners;
    }

    /**
     * Takes a compatible or fresh spec: the champion is updated in place, or starts anew when
     * {@code anew}; a background model still here follows the change (the caller drops one that
     * cannot); a challenger of the same name and a compatible spec keeps what it learned.
     */
    void respec(ModelSpec next, boolean anew, ChallengerMatch compatible) {
        if (anew) {
            champion = Variant.fresh(next);
        } else {
            champion.update(next);
        }
        if (background != null) {
            background.update(next);
        }
        List<Variant> previous = new ArrayList<>(challengers);
        challengers.clear();
        for (ModelSpec c : next.getChallengers()) {
            Variant kept = null;
            for (Variant v : previous) {
                if (v.name().equals(c.getModel()) && compatible.test(v.spec(), c)) {
                    v.update(c);
                    kept = v;
                }
            }
            challengers.add(kept != null ? kept : Variant.fresh(c));
        }
        lineUp();
    }

    /** The challenger becomes the champion under {@code promoted}, the served line's spec. */
    void promote(Variant winner, ModelSpec promoted) {
        challengers.remove(winner);
        winner.conform(promoted);
        winner.scorecard().endStreak();
        champion = winner;
        lineUp();
    }

    /**
     * A rung of the search ended: {@code best} serves under {@code served}, {@code others} go on as
     * its challengers under the specs {@code served} lists for them, in order, every other learner
     * is retired, and every tally starts again for the next rung.
     */
    void endRung(Variant best, List<Variant> others, ModelSpec served) {
        best.conform(served);
        best.scorecard().endStreak();
        champion = best;
        challengers.clear();
        List<ModelSpec> specs = served.getChallengers();
        for (int i = 0; i < others.size(); i++) {
            Variant v = others.get(i);
            v.conform(specs.get(i));
            v.scorecard().endStreak();
            challengers.add(v);
        }
        lineUp();
        resetTallies();
    }

    /** Every variant's tally starts again, for a new rung of the search. */
    void resetTallies() {
        for (Variant v : variants) {
            v.scorecard().resetTally();
        }
    }

    /** A fresh model of {@code spec}, the champion's, starts learning in the shadow. */
    void startBackground(ModelSpec spec, long position) {
        background = Variant.fresh(spec);
        backgroundSince = position;
        replacementDue = false;
        lineUp();
    }

    void dropBackground() {
        background = null;
        replacementDue = false;
        lineUp();
    }

    /** A drift came: the background model replaces the champion once it has learned enough. */
    void replacementIsDue() {
        replacementDue = true;
    }

    /**
     * The background model becomes the champion and takes over the served line; challengers start
     * their streaks again, as they were won against the model that is gone.
     *
     * @return the reset detector of the served line, or null when the spec names none
     */
    DriftDetector replaceChampion() {
        Variant next = background;
        DriftDetector detector = next.takeOverServedLine(champion);
        champion = next;
        background = null;
        replacementDue = false;
        for (Variant c : challengers) {
            c.scorecard().endStreak();
        }
        lineUp();
        return detector;
    }
}
