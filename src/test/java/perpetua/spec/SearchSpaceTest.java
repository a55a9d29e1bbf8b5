package perpetua.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Search;
import perpetua.schemas.Task;

class SearchSpaceTest {

    private static ModelSpec.Builder spec(Search search) {
        return ModelSpec.newBuilder()
                .setModel("m")
                .setTask(Task.MULTICLASS)
                .setClasses(3)
                .setNumericFeatures(List.of("a", "b"))
                .setSearch(search);
    }

    private static List<String> names(ModelSpec s) {
        return s.getChallengers().stream().map(ModelSpec::getModel).toList();
    }

    @Test
    void autoTriesLearningRatesAndHiddenLayersBesidesTheSpecsOwnLearner() {
        ModelSpec expanded =
                SearchSpace.expand(spec(Search.newBuilder().setPreset("auto").build()).build());
        // The spec's own learner (the default: lr 1, linear) is the champion, not a challenger.
        assertThat(names(expanded))
                .containsExactly(
                        "m~normalized_adagrad/lr=0.5/linear",
                        "m~normalized_adagrad/lr=2/linear",
                        "m~normalized_adagrad/lr=0.3/hidden=64",
                        "m~normalized_adagrad/lr=1/hidden=64",
                        "m~normalized_adagrad/lr=0.3/hidden=256x128");
        ModelSpec deep = expanded.getChallengers().get(4);
        assertThat(deep.getHidden()).extracting(Layer::getUnits).containsExactly(256, 128);
        assertThat(deep.getLearningRate()).isEqualTo(0.3f);
        assertThat(deep.getNumericFeatures()).containsExactly("a", "b");
        assertThat(deep.getSearch()).isNull();
        assertThat(deep.getChallengers()).isEmpty();
        assertThat(SpecRules.problem(expanded)).isNull();
        assertThat(SearchSpace.name("m", expanded)).isEqualTo("m~normalized_adagrad/lr=1/linear");
    }

    @Test
    void withoutInputsForHiddenLayersAutoTriesOnlyLearningRates() {
        ModelSpec text =
                ModelSpec.newBuilder(spec(Search.newBuilder().setPreset("auto").build()).build())
                        .setNumericFeatures(List.of())
                        .setTextNgrams(1)
                        .build();
        assertThat(names(SearchSpace.expand(text)))
                .containsExactly(
                        "m~normalized_adagrad/lr=0.5/linear", "m~normalized_adagrad/lr=2/linear");
    }

    @Test
    void listsCombineEveryOptimizerRateAndLayout() {
        Search search =
                Search.newBuilder()
                        .setOptimizers(List.of(OptimizerKind.ADAM, OptimizerKind.SGD))
                        .setLearningRates(List.of(0.01f, 0.1f))
                        .setWidths(List.of(List.of(), List.of(32)))
                        .build();
        ModelSpec s = spec(search).setOptimizer(OptimizerKind.ADAM).setLearningRate(0.01f).build();
        List<String> names = names(SearchSpace.expand(s));
        // 2 x 2 x 2 learners, the spec's own (Adam 0.01, linear) left out.
        assertThat(names).hasSize(7).doesNotContain("m~adam/lr=0.01/linear");
        assertThat(names).contains("m~sgd/lr=0.1/hidden=32", "m~adam/lr=0.01/hidden=32");
        // Expanding again adds nothing: the challengers are there, and count once.
        assertThat(names(SearchSpace.expand(SearchSpace.expand(s)))).isEqualTo(names);
        ModelSpec ten =
                spec(Search.newBuilder()
                                .setLearningRates(List.of(0.1f, 0.2f, 0.3f, 0.4f, 0.5f))
                                .setWidths(List.of(List.of(), List.of(8)))
                                .build())
                        .build();
        assertThat(SearchSpace.expand(ten).getChallengers()).hasSize(10);
        assertThat(SpecRules.problem(SearchSpace.expand(ten))).isNull();
    }

    @Test
    void aSearchThatCannotRunIsRefusedWithItsReason() {
        assertThat(SpecRules.problem(spec(Search.newBuilder().setPreset("fast").build()).build()))
                .contains("search preset is \"auto\" or empty");
        assertThat(SpecRules.problem(spec(Search.newBuilder().build()).build()))
                .contains("no learner besides the spec's own");
        assertThat(
                        SpecRules.problem(
                                spec(Search.newBuilder()
                                                .setLearningRates(
                                                        List.of(
                                                                0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f,
                                                                0.7f, 0.8f, 0.9f))
                                                .setWidths(List.of(List.of(), List.of(8)))
                                                .build())
                                        .build()))
                .contains("search runs 19 learners at once, more than 16");
        assertThat(
                        SpecRules.problem(
                                spec(Search.newBuilder()
                                                .setPreset("auto")
                                                .setRungWindows(0)
                                                .build())
                                        .build()))
                .contains("rungWindows must be >= 1");
    }
}
