package perpetua.learner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import perpetua.catalog.InteractionMemory;
import perpetua.drift.DriftDetector;
import perpetua.drift.DriftMonitor;
import perpetua.ingest.LearnerInput;
import perpetua.model.ModelRecords;
import perpetua.schemas.Event;
import perpetua.schemas.Interactions;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.wire.WireFormat;

/**
 * The live working copy of one model inside a Learner subtask: its spec, its champion and
 * challengers, its drift background model, its open micro-batch, its served version line and its
 * snapshot schedule, and for a recommender its {@link RecommenderRows}. Transient: rebuilt from
 * {@link LearnerState} after a restore.
 *
 * <p>It changes only through methods named for what happens to a model (a row added, a batch
 * learned, a challenger promoted, the background model replacing the champion), so that no caller
 * rewires its parts.
 */
final class ModelRuntime {
    /** A late label joined to its served event, waiting in the open batch to be learned. */
    record Joined(Event event, float label, float weight, ServedEvent served) {}

    private final String name;
    private ModelSpec spec;
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

    /** Served version: learned batches of whichever variant was champion. */
    private long version;

    /** The search's current rung (0 first), and the windows the champion closed in it. */
    private int searchRung;

    private int rungWindows;

    /** The rung's last window closed during this batch: the learners are ranked after it. */
    private boolean rungEnded;

    /** New events of the open batch, in the order of its rows. */
    private LearnerInput[] pending;

    /** Late labels of the open batch. */
    private final List<Joined> joined = new ArrayList<>();

    private int batchesSinceSnapshot;
    private long lastSnapshotAt;

    /** Served events and early labels of this model waiting in the label join. */
    private long pendingLabels;

    /** Incremented at every flush so that a timer set for an earlier batch does nothing. */
    private long batchSeq;

    /** A recommender's memory, ranking candidates, negatives and requests. */
    private final RecommenderRows recommender;

    /** Predictions served on this subtask since the model was built here, for explainEvery. */
    private long served;

    ModelRuntime(ModelSpec spec, Variant champion, long version, long now) {
        this.name = spec.getModel();
        this.spec = spec;
        this.champion = champion;
        this.version = version;
        this.lastSnapshotAt = now;
        this.pending = new LearnerInput[Math.max(1, spec.getMaxBatch())];
        for (ModelSpec c : spec.getChallengers()) {
            challengers.add(Variant.fresh(c));
        }
        this.recommender = new RecommenderRows(spec, null, pending.length);
        lineUp();
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

    static ModelRuntime restore(LearnerState s, WireFormat.Codec<ModelSpec> specs)
            throws Exception {
        ModelSpec spec = specs.decode(s.spec);
        ModelRuntime m =
                new ModelRuntime(
                        spec, Variant.restore(spec, s.champion), s.version, s.lastSnapshotAt);
        m.challengers.clear();
        List<ModelSpec> cs = spec.getChallengers();
        for (int i = 0; i < cs.size(); i++) {
            m.challengers.add(Variant.restore(cs.get(i), s.challengers[i]));
        }
        m.batchesSinceSnapshot = s.batchesSinceSnapshot;
        m.pendingLabels = s.pendingLabels;
        m.searchRung = s.searchRung;
        m.rungWindows = s.rungWindows;
        if (s.background != null) {
            m.background = Variant.restore(spec, s.background);
            m.backgroundSince = s.backgroundSince;
            m.replacementDue = s.replacementDue;
        }
        m.recommender.restore(spec, s.interactions);
        m.lineUp();
        return m;
    }

    /** A deep copy for Flink state, so later in-place learning cannot touch a running snapshot. */
    LearnerState toState(WireFormat.Codec<ModelSpec> specs, TypeSerializer<DriftMonitor> monitors) {
        LearnerState s = new LearnerState();
        s.spec = specs.encode(spec);
        s.version = version;
        s.champion = champion.toState(monitors);
        s.challengers = new VariantState[challengers.size()];
        for (int i = 0; i < challengers.size(); i++) {
            s.challengers[i] = challengers.get(i).toState(monitors);
        }
        s.batchesSinceSnapshot = batchesSinceSnapshot;
        s.lastSnapshotAt = lastSnapshotAt;
        s.pendingLabels = pendingLabels;
        s.searchRung = searchRung;
        s.rungWindows = rungWindows;
        if (background != null) {
            s.background = background.toState(monitors);
            s.backgroundSince = backgroundSince;
            s.replacementDue = replacementDue;
        }
        s.interactions = recommender.toBytes();
        return s;
    }

    // ---------------------------------------------------------------- what it is

    String name() {
        return name;
    }

    ModelSpec spec() {
        return spec;
    }

    long version() {
        return version;
    }

    Variant champion() {
        return champion;
    }

    List<Variant> challengers() {
        return Collections.unmodifiableList(challengers);
    }

    Variant background() {
        return background;
    }

    long backgroundSince() {
        return backgroundSince;
    }

    boolean replacementDue() {
        return replacementDue;
    }

    long pendingLabels() {
        return pendingLabels;
    }

    long batchSeq() {
        return batchSeq;
    }

    /** A recommender's catalog and user histories; null for other models. */
    InteractionMemory memory() {
        return recommender.memory();
    }

    /** Takes over what a snapshot remembered of the stream (warm start, fork). */
    void remember(Interactions record) {
        recommender.remember(spec, record);
    }

    int batchesSinceSnapshot() {
        return batchesSinceSnapshot;
    }

    /** Every variant: the champion first, then the challengers. */
    List<Variant> variants() {
        return variants;
    }

    /** Every variant that learns: {@link #variants()} and the background model, if any. */
    List<Variant> learners() {
        return learners;
    }

    // ---------------------------------------------------------------- the open batch

    /**
     * A new event joins the open batch, encoded by every learner. A recommender first draws the
     * candidates its item is ranked against and its negatives from what it knew before the event,
     * then remembers the event's interaction.
     */
    void add(LearnerInput in) {
        List<Event> negatives = recommender.negatives();
        int drawnBefore = negatives.size();
        String[] drawn = recommender.observe(spec, in.event);
        for (Variant v : learners()) {
            v.add(in.event);
            // A negative's numerics and dense values are its positive's, counted with it.
            for (int i = drawnBefore; i < negatives.size(); i++) {
                v.addCounted(negatives.get(i));
            }
        }
        int row = newRows() - 1;
        if (row >= pending.length) {
            pending = Arrays.copyOf(pending, pending.length * 2);
        }
        pending[row] = in;
        recommender.place(row, drawn);
    }

    /** A request joins the open batch: it is answered when the batch flushes. */
    void request(LearnerInput in) {
        recommender.request(in);
    }

    /** Requests of the open batch. */
    List<LearnerInput> requests() {
        return recommender.requests();
    }

    /** The candidates row {@code row}'s item is ranked against, or null. */
    String[] candidates(int row) {
        return recommender.candidates(row);
    }

    /** The interactions the memory had recorded when row {@code row}'s candidates were drawn. */
    long candidatesDrawnAt(int row) {
        return recommender.drawnAt(row);
    }

    /** The new event of row {@code row}, left in the batch. */
    Event newEvent(int row) {
        return pending[row].event;
    }

    /**
     * Counts one served prediction; whether it is one of the sample that carries an explanation
     * (every explainEvery-th).
     */
    boolean servedIsExplained() {
        int every = spec.getExplainEvery();
        return every > 0 && served++ % every == 0;
    }

    /**
     * A late label joins the open batch, to be measured when the batch flushes, and every learner's
     * learning queue, in the order labels come.
     */
    void add(Joined late) {
        joined.add(late);
        Event labelled = LabelJoin.labelled(spec, late.event(), late.label());
        for (Variant v : learners()) {
            v.addCounted(labelled);
        }
    }

    /** The new event of row {@code row}, handed over once: the batch forgets it. */
    LearnerInput takeNewRow(int row) {
        LearnerInput in = pending[row];
        pending[row] = null;
        return in;
    }

    /** Late labels of the open batch. */
    List<Joined> joined() {
        return joined;
    }

    /** Events of the open batch still to be predicted. */
    int newRows() {
        return champion.batch().size();
    }

    /** Sampled negatives of the open batch, already in the learning queues. */
    List<Event> negatives() {
        return recommender.negatives();
    }

    /** Rows of the open batch: new events, late labels and requests. */
    int size() {
        return newRows() + joined.size() + recommender.requests().size();
    }

    /**
     * The batch is done: its rows are forgotten, and the served line is one version on for every
     * step the champion took.
     */
    void batchDone(int championSteps) {
        for (Variant v : learners()) {
            v.batch().clear();
        }
        joined.clear();
        recommender.clear();
        version += championSteps;
        batchesSinceSnapshot += championSteps;
        batchSeq++;
    }

    // ---------------------------------------------------------------- the label join's count

    /** A served event or an early label of this model now waits in the label join. */
    void labelParked() {
        pendingLabels++;
    }

    /** A served event or an early label of this model left the label join. */
    void labelSettled() {
        pendingLabels--;
    }

    // ---------------------------------------------------------------- champion and challengers

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
        recommender.respec(spec, next);
        spec = next;
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

    /** Whether a challenger's spec can carry over what the challenger learned. */
    interface ChallengerMatch {
        boolean test(ModelSpec was, ModelSpec next);
    }

    /**
     * The challenger becomes the champion under {@code promoted}, the spec the served line goes on
     * with; the version line goes on.
     */
    void promote(Variant winner, ModelSpec promoted) {
        challengers.remove(winner);
        winner.conform(promoted);
        winner.endStreak();
        champion = winner;
        spec = promoted;
        lineUp();
    }

    // ---------------------------------------------------------------- the search

    /** Whether a search is on: its spec has one, and a challenger is left to try. */
    boolean searching() {
        return SuccessiveHalving.running(spec);
    }

    int searchRung() {
        return searchRung;
    }

    /** The champion closed one more window of the rung; returns the rung's windows so far. */
    int rungWindowClosed() {
        return ++rungWindows;
    }

    /** The rung's last window closed: the learners are ranked before the next batch is served. */
    void rungEnded() {
        rungEnded = true;
    }

    boolean rungDue() {
        return rungEnded;
    }

    /** The search starts over at its first rung, as for a spec whose search changed. */
    void searchStarts() {
        searchRung = 0;
        rungWindows = 0;
        rungEnded = false;
        for (Variant v : variants()) {
            v.resetTally();
        }
    }

    /**
     * A rung of the search ended: {@code best} serves under {@code served}, {@code others} go on as
     * its challengers under the specs {@code served} lists for them, in order (the champion, if
     * kept, as a candidate of its own name), and every other learner is retired. The served line
     * goes on, and the next rung starts.
     */
    void endRung(Variant best, List<Variant> others, ModelSpec served) {
        best.conform(served);
        best.endStreak();
        champion = best;
        challengers.clear();
        List<ModelSpec> specs = served.getChallengers();
        for (int i = 0; i < others.size(); i++) {
            Variant v = others.get(i);
            v.conform(specs.get(i));
            v.endStreak();
            challengers.add(v);
        }
        lineUp();
        spec = served;
        searchRung++;
        rungWindows = 0;
        rungEnded = false;
        for (Variant v : variants()) {
            v.resetTally();
        }
    }

    /** A fresh model of the champion's spec starts learning in the shadow. */
    void startBackground(long position) {
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
     * their streaks again, and the served line goes on at a new version.
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
            c.endStreak();
        }
        version++;
        lineUp();
        return detector;
    }

    // ---------------------------------------------------------------- snapshots

    /** Whether the schedule asks for a snapshot now: enough learned batches, or enough time. */
    boolean snapshotDue(long now) {
        if (batchesSinceSnapshot == 0) {
            return false;
        }
        int everyBatches = spec.getSnapshotEveryBatches();
        int everySeconds = spec.getSnapshotEverySeconds();
        return (everyBatches > 0 && batchesSinceSnapshot >= everyBatches)
                || (everySeconds > 0 && now - lastSnapshotAt >= everySeconds * 1000L);
    }

    /**
     * When the time schedule asks for the next snapshot, or {@link Long#MAX_VALUE} when it asks for
     * none: nothing learned since the last, or no {@code snapshotEverySeconds}.
     */
    long snapshotDueAt() {
        int everySeconds = spec.getSnapshotEverySeconds();
        return batchesSinceSnapshot == 0 || everySeconds <= 0
                ? Long.MAX_VALUE
                : lastSnapshotAt + everySeconds * 1000L;
    }

    /**
     * The champion's snapshot, everything to resume or score; the schedule starts again from it.
     */
    ModelSnapshot snapshot(long now, String event, ModelState state) {
        batchesSinceSnapshot = 0;
        lastSnapshotAt = now;
        Variant v = champion;
        return ModelSnapshot.newBuilder()
                .setModel(name)
                .setVersion(version)
                .setTime(now)
                .setSpec(spec)
                .setExamplesSeen(v.examplesSeen())
                .setTensors(v.model().parameterTensors())
                .setOptimizerState(v.model().optimizerTensors())
                .setFeatureState(
                        ModelRecords.featureTensors(
                                v.encoder().standardizer(), v.encoder().denseScaler()))
                .setMetrics(v.evaluator().summary())
                .setState(state)
                .setEvent(event)
                .setInteractions(recommender.toRecord())
                .build();
    }
}
