package perpetua.learner;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.ingest.LearnerInput;
import perpetua.model.ModelRecords;
import perpetua.schemas.Event;
import perpetua.schemas.ModelState;

/**
 * One micro-batch of one model, phase by phase, each phase once: every variant predicts the new
 * events, the champion's predictions go out and the unlabelled events wait for their labels, the
 * labels are measured against what was served, a promotion is decided, drift is answered, every
 * learner takes a gradient step per complete group of its learning queue, and a snapshot follows
 * when its schedule says so.
 *
 * <p>Predict-then-learn: a prediction comes from the model as it was before the batch that holds
 * its event, and from the champion that started the batch (see {@link ChampionPolicy}).
 */
final class BatchStep {
    private static final Logger LOG = LoggerFactory.getLogger(BatchStep.class);

    /**
     * Timer namespace of a model's next snapshot by time: it comes when due even if no batch
     * follows, so that the models topic never stays behind the served version for long.
     */
    static final String SNAPSHOT = "s:";

    private final LabelJoin join;
    private final ChampionPolicy policy;
    private final LearnerOutput out;

    BatchStep(LabelJoin join, ChampionPolicy policy, LearnerOutput out) {
        this.join = join;
        this.policy = policy;
        this.out = out;
    }

    /** Runs the open batch of {@code m}. */
    void run(ModelRuntime m) throws Exception {
        long now = out.now();
        policy.closeWindows(m, now); // TIME windows that ended before this batch, and
        policy.decidePromotion(m, now); // what they decide, before anything is served
        List<Variant> variants = m.variants();
        predict(m, variants); // 1. every variant predicts the new events
        emitAndParkUnlabelled(m, variants, now); // 2. served; the unlabelled wait for labels
        measure(m, variants, now); // 3. labels against what was served; windows close
        policy.decidePromotion(m, now); // 4. the winner (or the search's best) serves next
        policy.react(m, now); // 5. drift: boost, or the background model replaces
        learn(m); // 6. a step per complete learning group
        snapshotIfDue(m, now); // 7. by the snapshot schedule
        policy.scheduleWindowEnd(m);
    }

    private static void predict(ModelRuntime m, List<Variant> variants) {
        for (Variant v : variants) {
            v.predict(m.spec().getMaxBatch());
        }
    }

    /** The champion's prediction of every new event; an unlabelled one waits for its label. */
    private void emitAndParkUnlabelled(ModelRuntime m, List<Variant> variants, long now)
            throws Exception {
        Variant champion = m.champion();
        int width = champion.model().scoreWidth();
        int n = m.newRows();
        long version = m.version();
        long wait = m.spec().getLabelWaitMs();
        for (int r = 0; r < n; r++) {
            LearnerInput in = m.takeNewRow(r);
            out.prediction(
                    ModelRecords.prediction(
                            m.spec().getTask(),
                            m.name(),
                            in.event,
                            version,
                            champion.scores(),
                            champion.predicted(),
                            r,
                            width,
                            in.publishedAt,
                            now));
            if (Float.isNaN(champion.batch().label(r)) && wait > 0) {
                join.park(m, served(in.event, r, variants, width, version, now + wait));
            }
        }
        out.counters(m.name()).predictions.inc(n);
    }

    /** What was served for row {@code row}: every variant's scores and prediction. */
    private static ServedEvent served(
            Event e, int row, List<Variant> variants, int width, long version, long expiresAt) {
        ServedEvent p = new ServedEvent();
        p.event = e;
        p.scores = new float[variants.size() * width];
        p.predicted = new float[variants.size()];
        p.variants = new String[variants.size()];
        for (int i = 0; i < variants.size(); i++) {
            Variant v = variants.get(i);
            System.arraycopy(v.scores(), row * width, p.scores, i * width, width);
            p.predicted[i] = v.predicted()[row];
            p.variants[i] = i == 0 ? "" : v.name();
        }
        p.version = version;
        p.expiresAt = expiresAt;
        return p;
    }

    /**
     * Every served prediction is counted, and every label measured against the prediction that was
     * served for it: the new rows' own labels in row order, then the late labels; windows close as
     * they fill, and every error feeds its learner's drift detector. The predicted rows' scaling is
     * committed for the next batch.
     */
    private void measure(ModelRuntime m, List<Variant> variants, long now) {
        Variant champion = m.champion();
        long version = m.version();
        for (int r = 0; r < m.newRows(); r++) {
            for (Variant v : variants) {
                v.evaluator().countPrediction(version, now);
            }
            float label = champion.batch().label(r);
            if (!Float.isNaN(label)) {
                float weight = champion.batch().weight(r);
                for (Variant v : variants) {
                    int w = v.model().scoreWidth();
                    v.evaluator().add(v.scores(), r * w, v.predicted()[r], label, weight);
                    policy.watch(m, v, v.predicted()[r], label, now);
                }
                policy.closeWindows(m, now);
            }
        }
        for (Variant v : m.learners()) {
            v.encoder().commitMoments();
        }
        for (ModelRuntime.Joined j : m.joined()) {
            measureServed(m, j, variants, now);
        }
    }

    /** A late label against the predictions that were served for its event, variant by variant. */
    private void measureServed(
            ModelRuntime m, ModelRuntime.Joined j, List<Variant> variants, long now) {
        ServedEvent served = j.served();
        int width = m.champion().model().scoreWidth();
        for (int i = 0; i < variants.size(); i++) {
            String name = i == 0 ? "" : variants.get(i).name();
            for (int k = 0; k < served.variants.length; k++) {
                if (served.variants[k].equals(name)) {
                    Variant v = variants.get(i);
                    v.evaluator()
                            .add(
                                    served.scores,
                                    k * width,
                                    served.predicted[k],
                                    j.label(),
                                    j.weight());
                    policy.watch(m, v, served.predicted[k], j.label(), now);
                }
            }
        }
        policy.closeWindows(m, now);
    }

    /**
     * Every learner takes one gradient step per complete group of its learning queue; the served
     * line moves on with the champion's steps.
     */
    private void learn(ModelRuntime m) {
        Variant champion = m.champion();
        Variant.Learned served = null;
        LearnerMetrics counters = out.counters(m.name());
        for (Variant v : m.learners()) {
            Variant.Learned learned = v.learn();
            if (v == champion) {
                served = learned;
            }
            if (learned.refused() > 0) {
                // Not applied: the model stays as it was and learning goes on with the next group.
                counters.unhealthyBatches.inc(learned.refused());
                LOG.warn(
                        "model '{}' ({}): {} group(s) of {} labelled examples not learned at"
                                + " version {}: {}",
                        m.name(),
                        v.name(),
                        learned.refused(),
                        learned.refusedExamples(),
                        m.version(),
                        learned.problem());
            }
        }
        m.batchDone(served.steps());
        if (served.steps() > 0) {
            counters.learnedExamples.inc(served.examples());
            counters.batches.inc(served.steps());
        }
    }

    /**
     * Publishes the snapshot the schedule asks for now, if any, and sets the timer of the next one
     * by time: a batch or the timer itself, whichever comes first, publishes it.
     */
    void snapshotIfDue(ModelRuntime m, long now) {
        if (m.snapshotDue(now)) {
            out.snapshot(m.snapshot(out.now(), null, ModelState.LEARNING));
        }
        long due = m.snapshotDueAt();
        if (due != Long.MAX_VALUE) {
            // One timer per model and time: registering the same one again is a no-op.
            out.wakeAt(SNAPSHOT, due);
        }
    }
}
