package perpetua.learner;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.ingest.LearnerInput;
import perpetua.model.CandidateScorer;
import perpetua.model.Explainer;
import perpetua.model.ModelRecords;
import perpetua.schemas.Contribution;
import perpetua.schemas.Event;
import perpetua.schemas.ModelState;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;
import perpetua.schemas.RecommendedItem;

/**
 * One micro-batch of one model, phase by phase, each phase once: every variant predicts the new
 * events (a recommender's variants also rank each event's item among its candidates), the
 * champion's predictions go out (a sample with their explanations) with the answers to the batch's
 * requests, and the unlabelled events wait for their labels, the labels are measured against what
 * was served, a promotion is decided, drift is answered, every learner takes a gradient step per
 * complete group of its learning queue (a recommender's sampled negatives included), and a snapshot
 * follows when its schedule says so.
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

    /**
     * The item ids of one recommendation, in characters at most (UTF-8: at most 3 bytes each, well
     * under the 1 MiB of the recommendations topic).
     */
    static final int MAX_RECOMMENDATION_ID_CHARS = 256 * 1024;

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
        predict(m, variants); // 1. every variant predicts (and ranks) the new events
        emitAndParkUnlabelled(m, variants, now); // 2. served; the unlabelled wait for labels
        answerRequests(m, now); //    and the requests get their items
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
            if (m.memory() != null) {
                v.rank(m, m.spec().getMaxBatch());
            }
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
        boolean ranked = m.memory() != null;
        for (int r = 0; r < n; r++) {
            LearnerInput in = m.takeNewRow(r);
            Prediction p =
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
                            now);
            if (ranked && champion.ranks()[r] > 0) {
                p.setRank(champion.ranks()[r]);
            }
            if (m.servedIsExplained()) {
                p.setContributions(contributions(champion, in.event, m.spec().getExplainTop()));
            }
            out.prediction(p);
            if (Float.isNaN(champion.batch().label(r)) && wait > 0) {
                join.park(m, served(in.event, r, variants, width, version, now + wait));
            }
        }
        out.counters(m.name()).predictions.inc(n);
    }

    /** The {@code top} largest contributions to the champion's score for an event. */
    private static List<Contribution> contributions(Variant champion, Event event, int top) {
        List<Contribution> out = new ArrayList<>(top);
        for (Explainer.Term t : champion.explainer().explain(event).top(top)) {
            out.add(new Contribution(t.input(), (float) t.contribution()));
        }
        return out;
    }

    /**
     * Every request of the batch gets the champion's top items for its user, from the catalog as
     * the memory holds it and the model as it served the batch, leaving out the user's recent
     * items.
     */
    private void answerRequests(ModelRuntime m, long now) {
        if (m.requests().isEmpty()) {
            return;
        }
        Variant champion = m.champion();
        for (LearnerInput in : m.requests()) {
            Event request = in.event;
            String user = request.getCategorical().get(m.spec().getUserFeature());
            CandidateScorer.TopItems top =
                    champion.scorer()
                            .recommend(
                                    CandidateScorer.userEvent(m.spec(), m.memory(), user, request),
                                    user,
                                    request.getRecommend(),
                                    m.memory());
            out.recommendation(
                    Recommendation.newBuilder()
                            .setRequestId(request.getId())
                            .setModel(m.name())
                            .setModelVersion(m.version())
                            .setUser(user)
                            .setTime(request.getTime())
                            .setItems(fitting(top.items()))
                            .setCandidates(top.candidates())
                            .setExcluded(top.excluded())
                            .setPublishedAt(in.publishedAt)
                            .setRecommendedAt(out.now())
                            .build());
        }
        out.counters(m.name()).recommendations.inc(m.requests().size());
    }

    /**
     * The items, best first, while their ids stay within {@link #MAX_RECOMMENDATION_ID_CHARS}: an
     * answer never outgrows the recommendations topic, whatever ids the events carried.
     */
    static List<RecommendedItem> fitting(List<RecommendedItem> items) {
        long chars = 0;
        for (int i = 0; i < items.size(); i++) {
            chars += items.get(i).getItem().length();
            if (chars > MAX_RECOMMENDATION_ID_CHARS) {
                return items.subList(0, i);
            }
        }
        return items;
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
        boolean ranked = m.memory() != null;
        // Indexed loops, here and in what they call per event: no iterator per event and variant.
        int count = variants.size();
        for (int r = 0; r < m.newRows(); r++) {
            for (int i = 0; i < count; i++) {
                Variant v = variants.get(i);
                v.evaluator().countPrediction(version, now);
                if (ranked && v.ranks()[r] > 0 && v.evaluator().ranking != null) {
                    v.evaluator().addRank(v.ranks()[r]);
                }
            }
            float label = champion.batch().label(r);
            if (!Float.isNaN(label)) {
                float weight = champion.batch().weight(r);
                for (int i = 0; i < count; i++) {
                    Variant v = variants.get(i);
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
        if (m.snapshots().due(m.spec(), now)) {
            out.snapshot(m.snapshot(out.now(), null, ModelState.LEARNING));
        }
        long due = m.snapshots().dueAt(m.spec());
        if (due != Long.MAX_VALUE) {
            // One timer per model and time: registering the same one again is a no-op.
            out.wakeAt(SNAPSHOT, due);
        }
    }
}
