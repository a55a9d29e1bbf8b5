package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.junit.jupiter.api.Test;
import perpetua.drift.DriftMonitor;
import perpetua.schemas.DriftDetectorKind;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.ModelSpec;
import perpetua.testing.Streams;

/** A model's learners change places only by the moves a lineup names, and survive state. */
class LineupTest {
    private static final String MODEL = "m";

    /** A champion with two challengers, "a" and "b", under the REPLACE reaction. */
    private static ModelSpec spec() {
        ModelSpec base =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 4, 10_000))
                        .setDriftDetector(DriftDetectorKind.DDM)
                        .setDriftReaction(DriftReaction.REPLACE)
                        .build();
        ModelSpec a = ModelSpec.newBuilder(base).setModel("a").setLearningRate(0.1f).build();
        ModelSpec b = ModelSpec.newBuilder(base).setModel("b").setLearningRate(0.2f).build();
        return ModelSpec.newBuilder(base).setChallengers(List.of(a, b)).build();
    }

    private static Lineup lineup(ModelSpec spec) {
        return new Lineup(spec, Variant.fresh(spec));
    }

    private static List<String> names(List<Variant> vs) {
        return vs.stream().map(Variant::name).toList();
    }

    @Test
    void theChampionComesFirstAndABackgroundModelLearnsWithoutServing() {
        ModelSpec spec = spec();
        Lineup l = lineup(spec);
        assertThat(names(l.variants())).containsExactly(MODEL, "a", "b");
        assertThat(l.learners()).isEqualTo(l.variants());

        List<Variant> heldByABatch = l.variants();
        l.startBackground(spec, 42);
        assertThat(l.background()).isNotNull();
        assertThat(l.backgroundSince()).isEqualTo(42);
        assertThat(l.variants()).doesNotContain(l.background());
        assertThat(l.learners()).hasSize(4).endsWith(l.background());
        assertThat(heldByABatch).hasSize(3);

        l.replacementIsDue();
        l.dropBackground();
        assertThat(l.background()).isNull();
        assertThat(l.replacementDue()).isFalse();
        assertThat(l.learners()).hasSize(3);
    }

    @Test
    void aPromotedChallengerServesAndLeavesTheChallengers() {
        ModelSpec spec = spec();
        Lineup l = lineup(spec);
        Variant old = l.champion();
        Variant a = l.challengers().get(0);
        Variant b = l.challengers().get(1);
        a.scorecard().judged(true);
        a.scorecard().judged(true);
        List<Variant> heldByABatch = l.variants();

        ModelSpec promoted = PromotedSpec.of(spec, a.spec(), List.of(spec.getChallengers().get(1)));
        l.promote(a, promoted);

        assertThat(l.champion()).isSameAs(a);
        assertThat(a.spec()).isEqualTo(promoted);
        assertThat(a.scorecard().winStreak()).isZero();
        // The promoted challenger serves under the model's name.
        assertThat(a.name()).isEqualTo(MODEL);
        assertThat(l.challengers()).containsExactly(b);
        assertThat(l.variants()).containsExactly(a, b);
        assertThat(heldByABatch).containsExactly(old, a, b);
    }

    @Test
    void theBackgroundModelTakesOverTheServedLineAndEndsTheChallengersStreaks() {
        ModelSpec spec = spec();
        Lineup l = lineup(spec);
        Variant old = l.champion();
        Variant b = l.challengers().get(1);
        b.scorecard().judged(true);
        l.startBackground(spec, 7);
        Variant background = l.background();
        l.replacementIsDue();

        l.replaceChampion();

        assertThat(l.champion()).isSameAs(background);
        assertThat(l.background()).isNull();
        assertThat(l.replacementDue()).isFalse();
        assertThat(background.evaluator()).isSameAs(old.evaluator());
        assertThat(background.drift().monitor()).isSameAs(old.drift().monitor());
        assertThat(b.scorecard().winStreak()).isZero();
        assertThat(l.learners()).hasSize(3).doesNotContain(old);
    }

    @Test
    void aRespecKeepsACompatibleChallengerOfTheSameNameAndStartsANewOneFresh() {
        ModelSpec spec = spec();
        Lineup l = lineup(spec);
        Variant champion = l.champion();
        Variant a = l.challengers().get(0);
        ModelSpec c = ModelSpec.newBuilder(spec.getChallengers().get(0)).setModel("c").build();
        ModelSpec next =
                ModelSpec.newBuilder(spec)
                        .setChallengers(List.of(spec.getChallengers().get(0), c))
                        .build();

        l.respec(next, false, (was, now) -> true);

        assertThat(l.champion()).isSameAs(champion);
        assertThat(l.challengers().get(0)).isSameAs(a);
        assertThat(names(l.challengers())).containsExactly("a", "c");

        l.respec(next, true, (was, now) -> false);
        assertThat(l.champion()).isNotSameAs(champion);
        assertThat(l.challengers().get(0)).isNotSameAs(a);
    }

    @Test
    void theEndOfARungKeepsTheBetterHalfAndStartsEveryTallyAgain() {
        ModelSpec spec = spec();
        Lineup l = lineup(spec);
        Variant old = l.champion();
        Variant a = l.challengers().get(0);
        for (Variant v : l.variants()) {
            v.scorecard().tally(0.5);
        }
        ModelSpec served =
                ModelSpec.newBuilder(PromotedSpec.of(spec, a.spec(), List.of()))
                        .setChallengers(List.of(spec))
                        .build();

        l.endRung(a, List.of(old), served);

        assertThat(l.champion()).isSameAs(a);
        assertThat(l.challengers()).containsExactly(old);
        assertThat(l.variants()).allMatch(v -> Double.isNaN(v.scorecard().tallyMean()));
    }

    @Test
    void theLearnersAndTheBackgroundModelSurviveState() {
        ModelSpec spec = spec();
        Lineup l = lineup(spec);
        l.startBackground(spec, 11);
        l.replacementIsDue();
        TypeSerializer<DriftMonitor> monitors =
                TypeInformation.of(DriftMonitor.class).createSerializer(new SerializerConfigImpl());
        LearnerState s = new LearnerState();

        l.writeTo(s, monitors);
        Lineup restored = Lineup.restore(spec, s);

        assertThat(names(restored.learners())).containsExactly(MODEL, "a", "b", MODEL);
        assertThat(restored.backgroundSince()).isEqualTo(11);
        assertThat(restored.replacementDue()).isTrue();
        assertThat(restored.champion().model().parameters())
                .containsExactly(l.champion().model().parameters());
    }
}
