package perpetua.learner;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.api.common.state.ValueState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.schemas.SpecAction;
import perpetua.spec.SearchSpace;
import perpetua.spec.SpecRules;
import perpetua.wire.WireFormat;

/**
 * The life of the current model on this subtask: found in keyed state after a restore, created from
 * the job's specs, warm-started from its last snapshot or forked from another model's, updated by a
 * compatible spec (or started anew when the spec says so), and retired.
 *
 * <p>Live models are kept in a transient map by name; keyed state holds the copy written at each
 * checkpoint and a flag that says a model was retired, so that its later events become dead letters
 * instead of creating it again.
 */
final class ModelLifeCycle {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLifeCycle.class);

    private final Map<String, ModelSpec> specs;
    private final ModelSpec defaultSpec;
    private final Map<String, ModelSnapshot> warmStart;
    private final ValueState<LearnerState> state;
    private final ValueState<Boolean> retired;
    private final Map<String, ModelRuntime> live;
    private final LabelJoin join;
    private final LearnerOutput out;
    private final WireFormat.Codec<ModelSpec> specCodec = WireFormat.codec(ModelSpec.class);
    private final WireFormat.Codec<ModelSnapshot> snapshotCodec =
            WireFormat.codec(ModelSnapshot.class);

    // The live model found last and the very string it was asked for by: a decoded event's model
    // name is one shared string, so the events of one model find it without hashing. Forgotten
    // whenever a model is registered or retired.
    private String lastName;
    private ModelRuntime lastFound;

    /**
     * @param specs models known when the job starts, by name
     * @param defaultSpec the spec, renamed, for events that name a model nobody created; null
     *     leaves them unknown
     * @param warmStart the latest snapshot of each model, where a model without state resumes
     * @param live the live models by name, shared with the operator
     */
    ModelLifeCycle(
            Map<String, ModelSpec> specs,
            ModelSpec defaultSpec,
            Map<String, ModelSnapshot> warmStart,
            ValueState<LearnerState> state,
            ValueState<Boolean> retired,
            Map<String, ModelRuntime> live,
            LabelJoin join,
            LearnerOutput out) {
        this.specs = specs;
        this.defaultSpec = defaultSpec;
        this.warmStart = warmStart;
        this.state = state;
        this.retired = retired;
        this.live = live;
        this.join = join;
        this.out = out;
    }

    WireFormat.Codec<ModelSpec> specCodec() {
        return specCodec;
    }

    /**
     * The model's working copy. On first sight after a start or restore it comes from keyed state;
     * a model without state resumes from its warm-start snapshot or starts from the job's spec for
     * it, or, when {@code create} allows, from the default spec. Null for an unknown or retired
     * model.
     */
    ModelRuntime find(String name, boolean create) throws Exception {
        if (name == lastName) {
            return lastFound;
        }
        ModelRuntime m = live.get(name);
        if (m != null) {
            lastName = name;
            lastFound = m;
            return m;
        }
        LearnerState saved = state.value();
        if (saved != null) {
            // The models topic learns the version the job goes on from: snapshots published after
            // the checkpoint it restored were in transactions that were aborted.
            m = register(ModelRuntime.restore(saved, specCodec), "restored");
            out.snapshot(m.snapshot(out.now(), "restored", ModelState.LEARNING));
            return m;
        }
        if (Boolean.TRUE.equals(retired.value())) {
            return null;
        }
        ModelSpec spec = specs.get(name);
        if (spec == null && warmStart.containsKey(name)) {
            spec = warmStart.get(name).getSpec();
        }
        if (spec == null && create && defaultSpec != null) {
            spec = ModelSpec.newBuilder(defaultSpec).setModel(name).build();
        }
        if (spec == null) {
            return null;
        }
        return create(spec, null);
    }

    /**
     * A spec from the control topic: creates, updates or retires the model.
     *
     * @param flush runs the model's open batch, before an update or a retirement
     */
    void control(LearnerInput in, Consumer<ModelRuntime> flush) throws Exception {
        ModelSpec next = in.spec();
        String name = next.getModel();
        ModelRuntime m = live.get(name);
        if (m == null && state.value() != null) {
            m = find(name, false);
        }
        if (next.getAction() == SpecAction.RETIRE) {
            if (m == null) {
                out.refuse(in, "retire of unknown model '" + name + "'");
                return;
            }
            flush.accept(m);
            retire(m);
            return;
        }
        if (m == null) {
            create(next, in);
            return;
        }
        flush.accept(m);
        update(m, next, in);
    }

    /**
     * Creates a model: from its warm-start snapshot when one exists, else from the snapshot its
     * spec names ({@code initSnapshot}), else anew. Returns null after dead-lettering {@code from}
     * when the snapshot cannot carry over.
     */
    private ModelRuntime create(ModelSpec spec, LearnerInput from) throws Exception {
        ModelSnapshot source = warmStart.get(spec.getModel());
        String how = "created";
        if (source != null && source.getState() != ModelState.RETIRED) {
            how = "resumed from its snapshot";
        } else if (spec.getInitSnapshot() != null) {
            try {
                source = snapshotCodec.decode(bytes(spec.getInitSnapshot()));
            } catch (Exception e) {
                refuseOrLog(from, "initSnapshot of '" + spec.getModel() + "' cannot be read: " + e);
                return null;
            }
            how = "started from '" + source.getModel() + "' version " + source.getVersion();
        } else {
            source = null;
        }
        // A search's learners join as challengers; a spec that already lists them (a warm start
        // from a snapshot taken during the search) keeps those.
        ModelSpec stored =
                SearchSpace.expand(ModelSpec.newBuilder(spec).setInitSnapshot(null).build());
        if (source != null) {
            String incompatible = SpecRules.incompatibility(source.getSpec(), stored);
            if (incompatible != null) {
                String reason =
                        "model '"
                                + spec.getModel()
                                + "' cannot start from the snapshot of '"
                                + source.getModel()
                                + "': "
                                + incompatible;
                if (spec.getInitSnapshot() != null && !spec.getFreshStart()) {
                    refuseOrLog(from, reason);
                    return null;
                }
                LOG.warn("{}; it starts anew", reason);
                source = null;
                how = "created anew";
            }
        }
        ModelRuntime m =
                source != null
                        ? new ModelRuntime(
                                stored,
                                Variant.fromSnapshot(stored, source),
                                source.getVersion(),
                                out.now())
                        : new ModelRuntime(stored, Variant.fresh(stored), 0, out.now());
        if (source != null) {
            m.remember(source.getInteractions());
        }
        retired.clear();
        register(m, how);
        out.snapshot(
                m.snapshot(
                        out.now(),
                        how.startsWith("resumed") ? "resumed" : "created",
                        ModelState.LEARNING));
        return m;
    }

    /**
     * A compatible spec updates the model in place; an incompatible one is refused unless it asks
     * for a fresh start.
     */
    private void update(ModelRuntime m, ModelSpec next, LearnerInput in) {
        ModelSpec stored = ModelSpec.newBuilder(next).setInitSnapshot(null).build();
        boolean searchStarts = false;
        if (stored.getSearch() != null) {
            if (stored.getSearch().equals(m.spec().getSearch())) {
                // The same search goes on with the learners it has left.
                stored.setChallengers(m.spec().getChallengers());
            } else {
                stored = SearchSpace.expand(stored);
                searchStarts = true;
            }
        }
        String incompatible = SpecRules.incompatibility(m.spec(), stored);
        if (incompatible != null && !stored.getFreshStart()) {
            out.refuse(
                    in,
                    "update of '"
                            + m.name()
                            + "' refused: "
                            + incompatible
                            + " changes the architecture or the input encoding; set freshStart"
                            + " to start the model anew");
            return;
        }
        if (m.background() != null
                && (incompatible != null || stored.getDriftReaction() != DriftReaction.REPLACE)) {
            BackgroundReplacement.drop(m, "the spec changed");
        }
        m.respec(
                stored,
                incompatible != null,
                (was, c) -> SpecRules.incompatibility(was, c) == null);
        if (searchStarts) {
            m.searchStarts();
        }
        LOG.info("model '{}' updated{}", m.name(), incompatible != null ? " and started anew" : "");
        out.snapshot(
                m.snapshot(
                        out.now(),
                        incompatible != null ? "restarted" : "updated",
                        ModelState.LEARNING));
    }

    /** Final snapshot, then the model's state is released; its events become dead letters. */
    private void retire(ModelRuntime m) throws Exception {
        out.snapshot(m.snapshot(out.now(), "retired", ModelState.RETIRED));
        live.remove(m.name());
        lastName = null;
        lastFound = null;
        out.counters(m.name()).runtime = null;
        state.clear();
        join.clear();
        retired.update(true);
        LOG.info("model '{}' retired at version {}", m.name(), m.version());
    }

    private ModelRuntime register(ModelRuntime m, String how) {
        live.put(m.name(), m);
        lastName = null;
        lastFound = null;
        out.counters(m.name()).runtime = m;
        ModelSpec s = m.spec();
        LOG.info(
                "model '{}' {} at version {} ({} task, {} dense, {} numeric, 2^{} hashed slots,"
                        + " {} challengers)",
                m.name(),
                how,
                m.version(),
                s.getTask(),
                s.getDenseSize(),
                s.getNumericFeatures().size(),
                s.getHashBits(),
                m.challengers().size());
        return m;
    }

    private void refuseOrLog(LearnerInput from, String reason) {
        if (from != null) {
            out.refuse(from, reason);
        } else {
            LOG.warn(reason);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
