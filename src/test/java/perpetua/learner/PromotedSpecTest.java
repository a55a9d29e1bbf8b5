package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import perpetua.schemas.DriftDetectorKind;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.testing.Streams;

/** The spec a promoted challenger serves under carries every field from the right side. */
class PromotedSpecTest {

    @Test
    void everyFieldOfTheSpecIsTheLearnersOrTheModelsAndNeverBoth() {
        for (Schema.Field f : ModelSpec.getClassSchema().getFields()) {
            boolean learner = PromotedSpec.LEARNER_FIELDS.contains(f.name());
            boolean model = PromotedSpec.MODEL_FIELDS.contains(f.name());
            assertThat(learner ^ model)
                    .as(
                            "ModelSpec field '%s' must be in exactly one of PromotedSpec's"
                                    + " LEARNER_FIELDS and MODEL_FIELDS",
                            f.name())
                    .isTrue();
        }
        assertThat(PromotedSpec.LEARNER_FIELDS.size() + PromotedSpec.MODEL_FIELDS.size())
                .isEqualTo(ModelSpec.getClassSchema().getFields().size());
        assertThat(PromotedSpec.unclassified()).isNull();
    }

    @Test
    void thePromotedSpecIsTheChampionsWithTheChallengersLearner() {
        ModelSpec base = Streams.binarySpec("m", 10, 1000);
        ModelSpec other = ModelSpec.newBuilder(base).setModel("other").build();
        ModelSpec challenger =
                ModelSpec.newBuilder(base)
                        .setModel("fast")
                        .setOptimizer(OptimizerKind.SGD)
                        .setLearningRate(0.5f)
                        .setL2(0.01f)
                        .setSeed(99L)
                        .setHidden(List.of(Layer.newBuilder().setUnits(8).build()))
                        .setMaxBatch(77)
                        .setMetricsWindow(33)
                        .setDriftDetector(DriftDetectorKind.ADWIN)
                        .setLabelWaitMs(1L)
                        .build();
        ModelSpec champion =
                ModelSpec.newBuilder(base)
                        .setMaxBatch(64)
                        .setMetricsWindow(200)
                        .setPromotionWindows(3)
                        .setDriftDetector(DriftDetectorKind.DDM)
                        .setDriftReaction(DriftReaction.REPLACE)
                        .setLabelWaitMs(60_000L)
                        .setImplicitLabel(0.0)
                        .setChallengers(List.of(challenger, other))
                        .build();

        ModelSpec promoted = PromotedSpec.of(champion, challenger, List.of(other));

        for (Schema.Field f : ModelSpec.getClassSchema().getFields()) {
            if (f.name().equals("challengers")) {
                continue;
            }
            ModelSpec from = PromotedSpec.LEARNER_FIELDS.contains(f.name()) ? challenger : champion;
            assertThat(promoted.get(f.pos())).as(f.name()).isEqualTo(from.get(f.pos()));
        }
        assertThat(promoted.getModel()).isEqualTo("m");
        assertThat(promoted.getLearningRate()).isEqualTo(0.5f);
        assertThat(promoted.getHidden()).extracting(Layer::getUnits).containsExactly(8);
        assertThat(promoted.getMaxBatch()).isEqualTo(64);
        assertThat(promoted.getDriftDetector()).isEqualTo(DriftDetectorKind.DDM);
        assertThat(promoted.getChallengers())
                .extracting(ModelSpec::getModel)
                .containsExactly("other");
        // A copy: changing the promoted spec leaves the challenger's alone.
        promoted.getHidden().get(0).setUnits(9);
        assertThat(challenger.getHidden().get(0).getUnits()).isEqualTo(8);
    }
}
