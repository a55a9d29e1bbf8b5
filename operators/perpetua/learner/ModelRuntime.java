package perpetua.learner;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import perpetua.drift.DriftMonitor;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.wire.WireFormat;

/**
 * The live working copy of one model inside a Learner subtask: its spec, its champion and
 * challengers, its drift background model, its open micro-batch and its served version line.
 * Transient: rebuilt from {@link LearnerState} after a restore.
 */
final class ModelRuntime {
    /** A late label joined to its event, waiting in the open batch to be learned. */
    record Joined(Event event, float label, float weight, PendingLabel served) {}

    final String name;
    ModelSpec spec;
    Variant champion;
    final List<Variant> challengers = new ArrayList<>();

    /**
     * A fresh model of the champion's spec learning the same batches in the shadow, from a drift
     * warning (or a drift without one) on, under the REPLACE reaction; null otherwise. It serves
     * nothing and is not scored.
     */
    Variant background;

    /** Position in the champion's error stream of the signal that started {@link #background}. */
    long backgroundSince;

    /** A drift came: {@link #background} replaces the champion once it has learned enough. */
    boolean replacementDue;

    /** Served version: learned batches of whichever variant was champion. */
    long version;

    /** New events of the open batch, in the order of its rows. */
    LearnerInput[] pending;

    /** Late labels of the open batch. */
    final List<Joined> joined = new ArrayList<>();

    int batchesSinceSnapshot;
    long lastSnapshotAt;
    long pendingLabels;

    /** Incremented at every flush so that a timer set for an earlier batch does nothing. */
    long batchSeq;

    /** Changed since its state was last written to Flink state. */
    boolean dirty;

    LearnerMetrics metrics;

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
        if (s.background != null) {
            m.background = Variant.restore(spec, s.background);
            m.backgroundSince = s.backgroundSince;
            m.replacementDue = s.replacementDue;
        }
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
        if (background != null) {
            s.background = background.toState(monitors);
            s.backgroundSince = backgroundSince;
            s.replacementDue = replacementDue;
        }
        return s;
    }

    /** Every variant: the champion first, then the challengers. */
    List<Variant> variants() {
        List<Variant> all = new ArrayList<>(1 + challengers.size());
        all.add(champion);
        all.addAll(challengers);
        return all;
    }

    /** Every variant that learns: {@link #variants()} and the background model, if any. */
    List<Variant> learners() {
        List<Variant> all = variants();
        if (background != null) {
            all.add(background);
        }
        return all;
    }

    void add(LearnerInput in) {
        for (Variant v : learners()) {
            v.encoder.encode(in.event, v.batch);
        }
        int row = newRows() - 1;
        if (row >= pending.length) {
            pending = java.util.Arrays.copyOf(pending, pending.length * 2);
        }
        pending[row] = in;
    }

    /** Events of the open batch still to be predicted. */
    int newRows() {
        return champion.batch.size();
    }

    /** Rows of the open batch: new events and late labels. */
    int size() {
        return newRows() + joined.size();
    }
}
