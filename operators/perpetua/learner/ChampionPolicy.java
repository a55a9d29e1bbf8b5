package perpetua.learner;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.drift.DriftDetector.Signal;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.spec.SearchSpace;
import perpetua.spec.SpecRules;

/**
 * Who serves a model: the champion, challengers that may take its place, and the background model
 * of the REPLACE drift reaction. It watches every learner's errors, closes their metrics windows,
 * judges challengers window by window, promotes one that won enough windows, ends the search's
 * rungs, and answers drifts (the REPLACE reaction through {@link BackgroundReplacement}).
 *
 * <p>The champion changes only between batches: a promotion or a replacement decided during a batch
 * serves from the next batch on, so that every prediction of a batch comes from the champion that
 * started it. Windows close as they fill while a batch is measured (a COUNT window holds exactly
 * its size), so a challenger is judged at every window, but promoted once per batch.
 */
final class ChampionPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(ChampionPolicy.class);

    /** Timer namespace of the end of a model's earliest open TIME metrics window. */
    static final String WINDOW = "w:";

    private final LearnerOutput out;
    private final BackgroundReplacement replacement;

    ChampionPolicy(LearnerOutput out) {
        this.out = out;
        this.replacement = new BackgroundReplacement(out);
    }

    // ---------------------------------------------------------------- watch

    /**
     * Feeds one labelled example's error to the learner's drift detector. A drift, and the first
     * warning of a warning episode, are records on the metrics topic; the reaction waits for the
     * end of the batch's measuring ({@link #react}).
     */
    void watch(ModelRuntime m, Variant v, float prediction, float label, long now) {
        Signal signal = v.drift().watch(m.spec().getTask(), prediction, label);
        if (signal != Signal.DRIFT && !(signal == Signal.WARNING && v.drift().warningStarted())) {
            return;
        }
        Metrics record =
                v.drift().monitor().record(m.name(), m.spec().getTask(), m.version(), now, signal);
        boolean champion = v == m.champion();
        if (!champion) {
            record.setVariant(v.name());
        }
        out.metrics(record);
        LearnerMetrics counters = out.counters(m.name());
        if (champion) {
            (signal == Signal.DRIFT ? counters.drifts : counters.driftWarnings).inc();
        }
        String who =
                champion ? "model '" + m.name() + "'" : "challenger '" + record.getVariant() + "'";
        if (signal == Signal.DRIFT && v.spec().getDriftReaction() == DriftReaction.ALERT) {
            if (champion) {
                counters.driftAlerts.inc();
            }
            LOG.warn("{} at version {}: {}", who, m.version(), record.getDetail());
        } else {
            LOG.info("{} at version {}: {}", who, m.version(), record.getDetail());
        }
    }

    // ---------------------------------------------------------------- windows and promotion

    /**
     * Emits every metrics window that is due; when the champion's closes with challengers', each of
     * those is judged against it.
     */
    void closeWindows(ModelRuntime m, long now) {
        // Asked after every labelled event, and a window seldom closes: no list until one does.
        List<Variant> closed = null;
        List<Variant> variants = m.variants();
        for (int i = 0; i < variants.size(); i++) {
            Variant v = variants.get(i);
            Metrics window = v.scorecard().closeWindowIfDue(m.name(), m.version(), now);
            if (window != null) {
                if (closed == null) {
                    closed = new ArrayList<>();
                }
                if (v != m.champion()) {
                    window.setVariant(v.name());
                } else {
                    out.counters(m.name()).windowEmitted(window);
                }
                out.metrics(window);
                closed.add(v);
            }
        }
        if (closed == null) {
            return;
        }
        if (m.searching()) {
            SuccessiveHalving.windowsClosed(m, closed);
        } else if (closed.contains(m.champion()) && closed.size() > 1) {
            judge(m, closed);
        }
    }

    /** A timer at the end of the earliest open TIME window of the model's variants, if any. */
    void scheduleWindowEnd(ModelRuntime m) {
        long end = Long.MAX_VALUE;
        for (Variant v : m.variants()) {
            end = Math.min(end, v.evaluator().windowEndsAt());
        }
        if (end != Long.MAX_VALUE) {
            // One timer per model and time: registering the same one again is a no-op.
            out.wakeAt(WINDOW, end);
        }
    }

    /** Each challenger whose window closed with the champion's wins by the margin, or not. */
    private static void judge(ModelRuntime m, List<Variant> closed) {
        String metric = SpecRules.promotionMetric(m.spec());
        boolean higher = SpecRules.higherIsBetter(metric);
        float margin = m.spec().getPromotionMargin();
        Double champion = value(m.champion().scorecard().lastWindow(), metric);
        for (Variant c : closed) {
            if (c == m.champion()) {
                continue;
            }
            Double mine = value(c.scorecard().lastWindow(), metric);
            boolean won =
                    champion != null
                            && mine != null
                            && (higher ? mine >= champion + margin : mine <= champion - margin);
            c.scorecard().judged(won);
        }
    }

    /**
     * Promotes the challenger with the longest streak of won windows, once it reaches {@code
     * promotionWindows}; the first in spec order on a tie.
     */
    void decidePromotion(ModelRuntime m, long now) {
        if (m.search().rungEnded()) {
            endRung(m, now);
            return;
        }
        if (m.searching()) {
            // The search decides who serves, at the end of its rungs.
            return;
        }
        Variant best = null;
        for (Variant c : m.challengers()) {
            if (c.scorecard().winStreak() >= m.spec().getPromotionWindows()
                    && (best == null || c.scorecard().winStreak() > best.scorecard().winStreak())) {
                best = c;
            }
        }
        if (best != null) {
            promote(m, best, now);
        }
    }

    /** The challenger becomes the champion; the served version line goes on. */
    private void promote(ModelRuntime m, Variant winner, long now) {
        String metric = SpecRules.promotionMetric(m.spec());
        String challenger = winner.name();
        String detail =
                String.format(
                        "challenger '%s' replaced the champion of '%s' at version %d after %d"
                                + " windows: %s %.4f against %.4f",
                        challenger,
                        m.name(),
                        m.version(),
                        winner.scorecard().winStreak(),
                        metric,
                        value(winner.scorecard().lastWindow(), metric),
                        value(m.champion().scorecard().lastWindow(), metric));
        List<ModelSpec> remaining = new ArrayList<>();
        for (Variant c : m.challengers()) {
            if (c != winner) {
                remaining.add(c.spec());
            }
        }
        ModelSpec promoted = PromotedSpec.of(m.spec(), winner.spec(), remaining);
        if (m.background() != null) {
            // It learned in the shadow of the champion that is gone; the new one has its own.
            BackgroundReplacement.drop(m, "a challenger was promoted");
        }
        m.promote(winner, promoted);
        out.counters(m.name()).promotions.inc();
        Metrics record =
                Metrics.newBuilder(winner.scorecard().lastWindow()).setEvent("promotion").build();
        record.setDetail(detail);
        record.setVariant(challenger);
        out.metrics(record);
        out.snapshot(m.snapshot(out.now(), "promotion", ModelState.LEARNING));
        LOG.info(detail);
    }

    // ---------------------------------------------------------------- the search

    /**
     * A rung of the search ended: the learners ranked by the rung's mean of the main metric, the
     * better half goes on and the best serves, from the next batch. A new champion is a promotion
     * as any (a {@code promotion} record and snapshot; the version line goes on); the old one goes
     * on as a challenger if it is in the better half. Each learner retired is a {@code retirement}
     * record. With one learner left the search is over and the served spec drops it.
     */
    private void endRung(ModelRuntime m, long now) {
        String metric = SpecRules.promotionMetric(m.spec());
        List<Variant> ranked = SuccessiveHalving.ranked(m);
        int keep = SuccessiveHalving.kept(ranked.size());
        Variant best = ranked.get(0);
        Variant old = m.champion();
        int rung = m.search().rung();
        List<Variant> others = new ArrayList<>(ranked.subList(1, keep));
        List<ModelSpec> candidates = new ArrayList<>();
        for (Variant v : others) {
            candidates.add(v == old ? SearchSpace.asCandidate(m.spec(), m.name()) : v.spec());
        }
        ModelSpec served =
                best == old
                        ? ModelSpec.newBuilder(m.spec()).setChallengers(candidates).build()
                        : PromotedSpec.of(m.spec(), best.spec(), candidates);
        if (candidates.isEmpty()) {
            served.setSearch(null);
        }
        String oldName = SearchSpace.name(m.name(), m.spec());
        String bestName = best == old ? oldName : best.name();
        double bestScore = SuccessiveHalving.score(best, metric);
        double oldScore = SuccessiveHalving.score(old, metric);
        List<Metrics> retirements = new ArrayList<>();
        for (Variant v : ranked.subList(keep, ranked.size())) {
            String name = v == old ? oldName : v.name();
            Metrics record =
                    event(
                            m,
                            v.scorecard().lastWindow(),
                            "retirement",
                            String.format(
                                    Locale.ROOT,
                                    "search of '%s', rung %d: '%s' retired with %s %.4f, the"
                                            + " best '%s' %.4f",
                                    m.name(),
                                    rung + 1,
                                    name,
                                    metric,
                                    SuccessiveHalving.score(v, metric),
                                    bestName,
                                    bestScore),
                            now);
            record.setVariant(name);
            retirements.add(record);
        }
        if (best != old && m.background() != null) {
            BackgroundReplacement.drop(m, "the search chose another learner");
        }
        Metrics promoted = best == old ? null : best.scorecard().lastWindow();
        long version = m.version();
        m.endRung(best, others, served);
        for (Metrics r : retirements) {
            out.metrics(r);
            LOG.info(r.getDetail());
        }
        String left =
                candidates.isEmpty()
                        ? "the search is over"
                        : candidates.size() + " challenger(s) go on";
        if (best == old) {
            LOG.info(
                    "search of '{}', rung {}: the champion '{}' stays with {} {}; {}",
                    m.name(),
                    rung + 1,
                    oldName,
                    metric,
                    String.format(Locale.ROOT, "%.4f", bestScore),
                    left);
            return;
        }
        String detail =
                String.format(
                        Locale.ROOT,
                        "search of '%s', rung %d: '%s' replaced the champion '%s' at version %d,"
                                + " having learned %d examples: %s %.4f against %.4f over the"
                                + " rung; %s",
                        m.name(),
                        rung + 1,
                        bestName,
                        oldName,
                        version,
                        best.examplesSeen(),
                        metric,
                        bestScore,
                        oldScore,
                        left);
        out.counters(m.name()).promotions.inc();
        Metrics record = event(m, promoted, "promotion", detail, now);
        record.setVariant(bestName);
        out.metrics(record);
        out.snapshot(m.snapshot(out.now(), "promotion", ModelState.LEARNING));
        LOG.info(detail);
    }

    /** A life-cycle record: a copy of {@code window}, or an empty one when there is none. */
    private static Metrics event(
            ModelRuntime m, Metrics window, String event, String detail, long now) {
        Metrics record =
                window != null
                        ? Metrics.newBuilder(window).build()
                        : Metrics.newBuilder()
                                .setModel(m.name())
                                .setTask(m.spec().getTask())
                                .setVersionFrom(m.version())
                                .setVersionTo(m.version())
                                .setWindowStart(now)
                                .setWindowEnd(now)
                                .setEvents(0L)
                                .setLabelled(0L)
                                .setEventsPerSecond(0.0)
                                .build();
        record.setEvent(event);
        record.setDetail(detail);
        return record;
    }

    // ---------------------------------------------------------------- react to drift

    /**
     * The reactions to the batch's signals, before it is learned. BOOST_LEARNING_RATE, for the
     * champion and for a challenger alike: the learner's learning rate is multiplied by the factor
     * for the next {@code driftBoostBatches} batches it learns, this one included, and a new drift
     * starts the count again. REPLACE concerns the champion only (a challenger already learns in
     * the shadow, and replaces the champion by promotion): see {@link BackgroundReplacement}.
     */
    void react(ModelRuntime m, long now) {
        for (Variant v : m.variants()) {
            if (v.drift().drifted()
                    && v.spec().getDriftReaction() == DriftReaction.BOOST_LEARNING_RATE) {
                v.boost(v.spec().getDriftBoostFactor(), v.spec().getDriftBoostBatches());
                LOG.info(
                        "model '{}' ({}): learning rate x{} for {} batches after a drift",
                        m.name(),
                        v.name(),
                        v.spec().getDriftBoostFactor(),
                        v.spec().getDriftBoostBatches());
            }
        }
        if (m.spec().getDriftReaction() == DriftReaction.REPLACE) {
            replacement.react(m, now);
        }
        for (Variant v : m.variants()) {
            v.drift().answered();
        }
    }

    /** The value of {@code metric} in a window, or null when it has none. */
    static Double value(Metrics w, String metric) {
        if (w == null) {
            return null;
        }
        Double v =
                switch (metric) {
                    case "accuracy" -> w.getAccuracy();
                    case "auc" -> w.getAuc();
                    case "logLoss" -> w.getLogLoss();
                    case "rmse" -> w.getRmse();
                    case "mae" -> w.getMae();
                    default -> null;
                };
        return v == null || v.isNaN() ? null : v;
    }
}
