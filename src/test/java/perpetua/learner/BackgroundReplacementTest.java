package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import perpetua.drift.DriftDetector.Signal;
import perpetua.schemas.DriftDetectorKind;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.testing.Streams;

/**
 * Without Flink: a warning starts the background model, a drift makes the replacement due, and the
 * background replaces the champion only once it has learned {@code driftMinInstances} examples.
 */
class BackgroundReplacementTest {
    private static final String MODEL = "m";

    private final RecordingOutput out = new RecordingOutput();
    private final BackgroundReplacement replacement = new BackgroundReplacement(out);

    private static ModelSpec spec() {
        return ModelSpec.newBuilder(Streams.binarySpec(MODEL, 4, 10_000))
                .setDriftDetector(DriftDetectorKind.DDM)
                .setDriftReaction(DriftReaction.REPLACE)
                .setDriftMinInstances(4)
                .build();
    }

    /**
     * Feeds the champion's detector errors at 10%, then at 60%, until {@code until} comes; each
     * signal on the way is answered as a batch would answer it.
     */
    private void watchUntil(ModelRuntime m, Random rnd, Signal until) {
        for (int i = 0; i < 100_000; i++) {
            double rate = m.champion().drift().monitor().position() < 1_000 ? 0.1 : 0.6;
            float label = rnd.nextDouble() < rate ? 0f : 1f;
            Signal s = m.champion().drift().watch(Task.BINARY, 1f, label);
            if (s == until) {
                return;
            }
            assertThat(s).as("no drift before the warning").isNotEqualTo(Signal.DRIFT);
        }
        throw new AssertionError("no " + until);
    }

    @Test
    void aWarningStartsTheBackgroundAndADriftReplacesTheChampionOnceTheBackgroundLearned() {
        ModelRuntime m = new ModelRuntime(spec(), Variant.fresh(spec()), 5, 0);
        Variant old = m.champion();
        Random rnd = new Random(7);

        watchUntil(m, rnd, Signal.WARNING);
        long warningAt = old.drift().monitor().warningSince;
        replacement.react(m, 0);
        assertThat(m.background()).isNotNull();
        assertThat(m.backgroundSince()).isEqualTo(warningAt);
        assertThat(m.replacementDue()).isFalse();

        watchUntil(m, rnd, Signal.DRIFT);
        replacement.react(m, 0);
        old.drift().answered();
        // The background has learned nothing yet: the old champion goes on serving.
        assertThat(m.replacementDue()).isTrue();
        assertThat(m.champion()).isSameAs(old);
        assertThat(out.metrics).isEmpty();

        Variant background = m.background();
        for (Event e : Streams.binaryEvents(MODEL, 4, 3)) {
            background.add(e);
        }
        assertThat(background.learn().steps()).isEqualTo(1);
        out.now = 9_000;
        replacement.react(m, 9_000);

        assertThat(m.champion()).isSameAs(background);
        assertThat(m.background()).isNull();
        assertThat(m.version()).isEqualTo(6);
        assertThat(out.metrics)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.getEvent()).isEqualTo("replacement");
                            assertThat(r.getVersionFrom()).isEqualTo(5);
                            assertThat(r.getVersionTo()).isEqualTo(6);
                        });
        assertThat(out.snapshots).extracting(ModelSnapshot::getEvent).containsExactly("replaced");
        assertThat(out.counters(MODEL).replacements.getCount()).isEqualTo(1);
    }

    @Test
    void aBackgroundIsDroppedWhenTheWarningClearsWithoutADrift() {
        ModelRuntime m = new ModelRuntime(spec(), Variant.fresh(spec()), 0, 0);
        m.startBackground(3);
        // No warning on the champion's monitor: the background has nothing to wait for.
        replacement.react(m, 0);
        assertThat(m.background()).isNull();
        assertThat(m.learners()).containsExactly(m.champion());
        assertThat(out.metrics).extracting(Metrics::getEvent).isEmpty();
    }
}
