package perpetua.learner;

import java.util.ArrayList;
import java.util.Arrays;
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
 * The live working copy of one model inside a Learner subtask: its spec, its learners (a {@link
 * Lineup}), its open micro-batch, its served version line, where its search stands ({@link
 * SearchProgress}) and its {@link SnapshotSchedule}, and for a recommender its {@link
 * RecommenderRows}. Transient: rebuilt from {@link LearnerState} after a restore.
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
    private final Lineup lineup;

    /** Served version: learned batches of whichever variant was champion. */
    private long version;

    private final SearchProgress search;
    private final SnapshotSchedule snapshots;

    /** New events of the open batch, in the order of its rows. */
    private LearnerInput[] pending;

    /** Late labels of the open batch. */
    private final List<Joined> joined = new ArrayList<>();

    /** Served events and early labels of this model waiting in the label join. */
    private long pendingLabels;

    /** Incremented at every flush so that a timer set for an earlier batch does nothing. */
    private long batchSeq;

    /** A recommender's memory, ranking candidates, negatives and requests. */
    private final RecommenderRows recommender;

    /** Predictions served on this subtask since the model was built here, for explainEvery. */
    private long served;

    ModelRuntime(ModelSpec spec, Variant champion, long version, long now) {
        this(spec, new Lineup(spec, champion), version, new SearchProgress(), 0, now);
    }

    private ModelRuntime(
            ModelSpec spec,
            Lineup lineup,
            long version,
            SearchProgress search,
            int batchesSinceSnapshot,
            long lastSnapshotAt) {
        this.name = spec.getModel();
        this.spec = spec;
        this.lineup = lineup;
        this.version = version;
        this.search = search;
        this.snapshots = new SnapshotSchedule(batchesSinceSnapshot, lastSnapshotAt);
        this.pending = new LearnerInput[Math.max(1, spec.getMaxBatch())];
        this.recommender = new RecommenderRows(spec, null, pending.length);
    }

    static ModelRuntime restore(LearnerState s, WireFormat.Codec<ModelSpec> specs)
            throws Exception {
        ModelSpec spec = specs.decode(s.spec);
        ModelRuntime m =
                new ModelRuntime(
                        spec,
                        Lineup.restore(spec, s),
                        s.version,
                        new SearchProgress(s.searchRung, s.rungWindows),
                        s.batchesSinceSnapshot,
                        s.lastSnapshotAt);
        m.pendingLabels = s.pendingLabels;
        m.recommender.restore(spec, s.interactions);
        return m;
    }

    /** A deep copy for Flink state, so later in-place learning cannot touch a running snapshot. */
    LearnerState toState(WireFormat.Codec<ModelSpec> specs, TypeSerializer<DriftMonitor> monitors) {
        LearnerState s = new LearnerState();
        s.spec = specs.encode(spec);
        s.version = version;
        lineup.writeTo(s, monitors);
        s.batchesSinceSnapshot = snapshots.batchesSince();
        s.lastSnapshotAt = snapshots.lastAt();
        s.pendingLabels = pendingLabels;
        s.searchRung = search.rung();
        s.rungWindows = search.windows();
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
        return lineup.champion();
    }

    List<Variant> challengers() {
        return lineup.challengers();
    }

    /** The background model of the REPLACE reaction, or null. */
    Variant background() {
        return lineup.background();
    }

    long backgroundSince() {
        return lineup.backgroundSince();
    }

    boolean replacementDue() {
        return lineup.replacementDue();
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

    /** Every variant: the champion first, then the challengers. */
    List<Variant> variants() {
        return lineup.variants();
    }

    /** Every variant that learns: {@link #variants()} and the background model, if any. */
    List<Variant> learners() {
        return lineup.learners();
    }

    /** Where the architecture search stands, when the spec has one. */
    SearchProgress search() {
        return search;
    }

    /** When the next scheduled snapshot is due. */
    SnapshotSchedule snapshots() {
        return snapshots;
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
        List<Variant> learners = learners();
        for (int l = 0; l < learners.size(); l++) {
            Variant v = learners.get(l);
            v.add(in.event);
            // A negative's numerics and dense values are its positive's, counted with it.
            for (int i = drawnBefore; i < negatives.size(); i++) {
                v.addNegative(negatives.get(i));
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

    /** Row {@code row}'s candidates' {@code @cooc} as of their draw, or null. */
    int[] candidatesCooccurrence(int row) {
        return recommender.drawnCooccurrence(row);
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
        return champion().batch().size();
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
        snapshots.learned(championSteps);
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
    void respec(ModelSpec next, boolean anew, Lineup.ChallengerMatch compatible) {
        lineup.respec(next, anew, compatible);
        recommender.respec(spec, next);
        spec = next;
    }

    /**
     * The challenger becomes the champion under {@code promoted}, the spec the served line goes on
     * with; the version line goes on.
     */
    void promote(Variant winner, ModelSpec promoted) {
        lineup.promote(winner, promoted);
        spec = promoted;
    }

    // ---------------------------------------------------------------- the search

    /** Whether a search is on: its spec has one, and a challenger is left to try. */
    boolean searching() {
        return SuccessiveHalving.running(spec);
    }

    /** The search starts over at its first rung, as for a spec whose search changed. */
    void searchStarts() {
        search.restart();
        lineup.resetTallies();
    }

    /**
     * A rung of the search ended: {@code best} serves under {@code served}, {@code others} go on as
     * its challengers under the specs {@code served} lists for them, in order (the champion, if
     * kept, as a candidate of its own name), and every other learner is retired. The served line
     * goes on, and the next rung starts.
     */
    void endRung(Variant best, List<Variant> others, ModelSpec served) {
        lineup.endRung(best, others, served);
        spec = served;
        search.nextRung();
    }

    // ---------------------------------------------------------------- the background model

    /** A fresh model of the champion's spec starts learning in the shadow. */
    void startBackground(long position) {
        lineup.startBackground(spec, position);
    }

    void dropBackground() {
        lineup.dropBackground();
    }

    /** A drift came: the background model replaces the champion once it has learned enough. */
    void replacementIsDue() {
        lineup.replacementIsDue();
    }

    /**
     * The background model becomes the champion and takes over the served line; challengers start
     * their streaks again, and the served line goes on at a new version.
     *
     * @return the reset detector of the served line, or null when the spec names none
     */
    DriftDetector replaceChampion() {
        DriftDetector detector = lineup.replaceChampion();
        version++;
        return detector;
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * The champion's snapshot, everything to resume or score; the schedule starts again from it.
     */
    ModelSnapshot snapshot(long now, String event, ModelState state) {
        snapshots.taken(now);
        Variant v = champion();
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
