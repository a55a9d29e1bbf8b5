package perpetua.learner;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.drift.DriftDetector;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelState;

/**
 * The REPLACE drift reaction, the adaptive-random-forest way: a background model of the champion's
 * spec learns in its shadow from a drift warning on, and takes the champion's place after a drift
 * once it has learned enough. It concerns the champion only: a challenger already learns in the
 * shadow, and replaces the champion by promotion ({@link ChampionPolicy}).
 */
final class BackgroundReplacement {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundReplacement.class);

    private final LearnerOutput out;

    BackgroundReplacement(LearnerOutput out) {
        this.out = out;
    }

    /**
     * Answers the batch's signals of the champion. A warning starts a background model: a fresh
     * model of the champion's spec that learns every batch in the shadow from the next one on, and
     * is dropped if the warning clears without a drift. A drift makes the replacement due; it
     * happens as soon as the background has learned {@code driftMinInstances} labelled examples, at
     * once when the warning came early enough. A drift without a warning (ADWIN, Page-Hinkley, or
     * DDM jumping straight past its drift level) starts the background at the drift, and the old
     * champion serves until the background has learned those examples: an untrained model would
     * serve the prior (P = 0.5) instead. The replacement is a new version of the served line, a
     * {@code replacement} record on the metrics topic and a {@code replaced} snapshot.
     */
    void react(ModelRuntime m, long now) {
        Variant champion = m.champion();
        if (champion.drift().drifted()) {
            if (m.background() == null) {
                startBackground(m, "a drift", champion.drift().driftedAt());
            }
            m.replacementIsDue();
        }
        if (m.replacementDue()
                && m.background().examplesSeen() >= Math.max(1, m.spec().getDriftMinInstances())) {
            replace(m, now);
        }
        long warningSince = m.champion().drift().monitor().warningSince;
        boolean warning = warningSince >= 0;
        if (m.background() == null && warning) {
            startBackground(m, "a warning", warningSince);
        } else if (m.background() != null && !m.replacementDue() && !warning) {
            drop(m, "the warning cleared");
        }
    }

    /** A fresh model of the champion's spec; it learns from the next batch on. */
    private static void startBackground(ModelRuntime m, String why, long position) {
        m.startBackground(position);
        LOG.info(
                "model '{}' at version {}: background model started at {} (position {})",
                m.name(),
                m.version(),
                why,
                position);
    }

    /** The background model is dropped, for {@code why}. */
    static void drop(ModelRuntime m, String why) {
        LOG.info(
                "model '{}': background model started at position {} discarded after {} examples:"
                        + " {}",
                m.name(),
                m.backgroundSince(),
                m.background().examplesSeen(),
                why);
        m.dropBackground();
    }

    /**
     * The background model becomes the champion. The served line keeps its metrics window and its
     * drift detector (reset, so that the new model is judged on its own errors) and goes on with a
     * new version. Challengers stay as they are, but their win streaks start again: they were won
     * against the model that is gone.
     */
    private void replace(ModelRuntime m, long now) {
        long was = m.version();
        long since = m.backgroundSince();
        DriftDetector detector = m.replaceChampion();
        Variant next = m.champion();
        String detail =
                String.format(
                        "background model replaced the champion of '%s' at version %d: it started"
                                + " at position %d and learned %d labelled examples; the served"
                                + " line goes on at version %d",
                        m.name(), was, since, next.examplesSeen(), m.version());
        out.metrics(
                Metrics.newBuilder()
                        .setModel(m.name())
                        .setTask(m.spec().getTask())
                        .setVersionFrom(was)
                        .setVersionTo(m.version())
                        .setWindowStart(now)
                        .setWindowEnd(now)
                        .setEvents(0L)
                        .setLabelled(0L)
                        .setEventsPerSecond(0.0)
                        .setEvent("replacement")
                        .setDetail(detail)
                        .setDetector(detector == null ? null : detector.name())
                        .setPosition(next.drift().monitor().position())
                        .build());
        out.counters(m.name()).replacements.inc();
        out.snapshot(m.snapshot(out.now(), "replaced", ModelState.LEARNING));
        LOG.info(detail);
    }
}
