package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Activation;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;

/** Deep specs from JSON: nested layers and embeddings, their shorthands, and clear errors. */
class ModelSpecsTest {

    @Test
    void layersAndEmbeddingsAsObjectsOrShorthands() throws Exception {
        ModelSpec spec =
                ModelSpecs.parse(
                                "{\"model\":\"ctr\",\"task\":\"BINARY\","
                                        + "\"hidden\":[{\"units\":64,\"activation\":\"tanh\","
                                        + "\"dropout\":0.2},32],"
                                        + "\"embeddings\":[\"origin\",{\"feature\":\"dest\","
                                        + "\"dim\":4}],"
                                        + "\"interactions\":[\"origin*dest\"],"
                                        + "\"wideOptimizer\":\"FTRL\"}")
                        .get("ctr");
        assertThat(spec.getHidden())
                .containsExactly(
                        new Layer(64, Activation.TANH, 0.2f), new Layer(32, Activation.RELU, 0f));
        assertThat(spec.getEmbeddings()).hasSize(2);
        assertThat(spec.getEmbeddings().get(0).getFeature()).isEqualTo("origin");
        assertThat(spec.getEmbeddings().get(0).getDim()).isEqualTo(8);
        assertThat(spec.getEmbeddings().get(1).getDim()).isEqualTo(4);
        assertThat(spec.getWideOptimizer()).isEqualTo(OptimizerKind.FTRL);
    }

    @Test
    void mistakesNameTheModelAndTheField() {
        assertThatThrownBy(
                        () ->
                                ModelSpecs.parse(
                                        "{\"model\":\"m\",\"task\":\"BINARY\","
                                                + "\"hidden\":[{\"unit\":3}]}"))
                .hasMessageContaining("model 'm', field 'hidden'")
                .hasMessageContaining("units");
        assertThatThrownBy(
                        () ->
                                ModelSpecs.parse(
                                        "{\"model\":\"m\",\"task\":\"BINARY\","
                                                + "\"hidden\":[0]}"))
                .hasMessageContaining("hidden layer 1 needs units >= 1");
        assertThatThrownBy(
                        () ->
                                ModelSpecs.parse(
                                        "{\"model\":\"m\",\"task\":\"BINARY\","
                                                + "\"loss\":\"HUBER\"}"))
                .hasMessageContaining("loss HUBER does not fit a BINARY model");
        assertThatThrownBy(
                        () ->
                                ModelSpecs.parse(
                                        "{\"model\":\"m\",\"task\":\"BINARY\","
                                                + "\"interactions\":[\"origin\"]}"))
                .hasMessageContaining("A*B");
    }

    @Test
    void aSearchIsAPresetNameOrAnObjectWithItsLists() throws Exception {
        ModelSpec auto =
                ModelSpecs.parse("{\"model\":\"m\",\"task\":\"BINARY\",\"search\":\"auto\"}")
                        .get("m");
        assertThat(auto.getSearch().getPreset()).isEqualTo("auto");
        assertThat(auto.getSearch().getRungWindows()).isEqualTo(4);
        ModelSpec lists =
                ModelSpecs.parse(
                                "{\"model\":\"m\",\"task\":\"BINARY\",\"numericFeatures\":[\"x\"],"
                                        + "\"search\":{\"learningRates\":[0.1,1],"
                                        + "\"optimizers\":[\"adam\"],\"widths\":[[],[64,32]]}}")
                        .get("m");
        assertThat(lists.getSearch().getPreset()).isEmpty();
        assertThat(lists.getSearch().getOptimizers()).containsExactly(OptimizerKind.ADAM);
        assertThat(lists.getSearch().getWidths()).containsExactly(List.of(), List.of(64, 32));
        assertThatThrownBy(
                        () ->
                                ModelSpecs.parse(
                                        "{\"model\":\"m\",\"task\":\"BINARY\","
                                                + "\"search\":\"everything\"}"))
                .hasMessageContaining("search preset is \"auto\" or empty");
    }
}
