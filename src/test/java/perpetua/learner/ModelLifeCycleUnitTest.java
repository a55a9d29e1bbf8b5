package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.schemas.SpecAction;
import perpetua.testing.Streams;

/** The model life cycle without Flink: what it keeps, what it publishes, what it refuses. */
class ModelLifeCycleUnitTest {
    private static final String MODEL = "m";

    private final RecordingOutput out = new RecordingOutput();
    private final RecordingOutput.FieldState<LearnerState> state =
            new RecordingOutput.FieldState<>();
    private final RecordingOutput.FieldState<Boolean> retired = new RecordingOutput.FieldState<>();
    private final RecordingOutput.HashMapState<String, ServedEvent> waiting =
            new RecordingOutput.HashMapState<>();
    private final Map<String, ModelRuntime> live = new HashMap<>();
    private final ModelSpec spec = Streams.binarySpec(MODEL, 10, 1000);

    private ModelLifeCycle lifeCycle(Map<String, ModelSpec> specs) {
        LabelJoin join = new LabelJoin(waiting, new RecordingOutput.HashMapState<>(), out);
        return new ModelLifeCycle(specs, null, Map.of(), state, retired, live, join, out);
    }

    private static LearnerInput control(ModelSpec s) {
        return LearnerInput.of(s);
    }

    @Test
    void aModelKnownToTheJobIsCreatedOnFirstSightWithASnapshot() throws Exception {
        ModelLifeCycle models = lifeCycle(Map.of(MODEL, spec));
        ModelRuntime m = models.find(MODEL, false);
        assertThat(m).isSameAs(live.get(MODEL));
        assertThat(models.find(MODEL, false)).isSameAs(m);
        assertThat(out.snapshots).extracting(ModelSnapshot::getEvent).containsExactly("created");
        assertThat(models.find("other", true)).as("no default spec").isNull();
    }

    @Test
    void anIncompatibleUpdateIsRefusedUnlessItAsksForAFreshStart() throws Exception {
        ModelLifeCycle models = lifeCycle(Map.of());
        models.control(control(spec), m -> {});
        Variant champion = live.get(MODEL).champion();

        models.control(control(ModelSpec.newBuilder(spec).setHashBits(12).build()), m -> {});
        assertThat(out.deadLetters)
                .singleElement()
                .satisfies(d -> assertThat(d.getReason()).contains("update of 'm' refused"));
        assertThat(live.get(MODEL).champion()).isSameAs(champion);

        models.control(
                control(ModelSpec.newBuilder(spec).setHashBits(12).setFreshStart(true).build()),
                m -> {});
        assertThat(live.get(MODEL).champion()).isNotSameAs(champion);
        assertThat(live.get(MODEL).spec().getHashBits()).isEqualTo(12);

        models.control(
                control(ModelSpec.newBuilder(spec).setHashBits(12).setLearningRate(0.5f).build()),
                m -> {});
        assertThat(live.get(MODEL).spec().getLearningRate()).isEqualTo(0.5f);
        assertThat(out.snapshots)
                .extracting(ModelSnapshot::getEvent)
                .containsExactly("created", "restarted", "updated");
    }

    @Test
    void retirementFlushesPublishesAndForgetsTheModel() throws Exception {
        ModelLifeCycle models = lifeCycle(Map.of(MODEL, spec));
        ModelRuntime m = models.find(MODEL, false);
        state.update(new LearnerState());
        waiting.put("e", new ServedEvent());
        List<ModelRuntime> flushed = new java.util.ArrayList<>();

        models.control(
                control(ModelSpec.newBuilder(spec).setAction(SpecAction.RETIRE).build()),
                flushed::add);

        assertThat(flushed).containsExactly(m);
        assertThat(out.snapshots.get(out.snapshots.size() - 1).getState())
                .isEqualTo(ModelState.RETIRED);
        assertThat(live).isEmpty();
        assertThat(state.value()).isNull();
        assertThat(waiting.isEmpty()).isTrue();
        assertThat(retired.value()).isTrue();
        assertThat(models.find(MODEL, true)).as("a retired model is not created again").isNull();
    }
}
