package perpetua.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import perpetua.job.ModelSpecs;
import perpetua.schemas.ModelSpec;

/** The dense operations counted per event, against the layer shapes worked out by hand. */
class DenseRateTest {

    @Test
    void anMlpCountsItsForwardPassItsWeightGradientsAndTheInputGradientsAboveTheFirstLayer()
            throws IOException {
        ModelSpec mlp =
                spec(
                        """
                        {"model":"m","task":"MULTICLASS","classes":10,"denseSize":784,\
                        "hidden":[256],"wide":false}""");

        // 784 x 256 + 256 x 10 multiply-adds forward and for the weight gradients; 256 x 10 for
        // the hidden layer's input gradient; the pixels need none.
        long forward = 784L * 256 + 256L * 10;
        assertThat(DenseRate.flopsPerEvent(mlp)).isEqualTo(2 * (2 * forward + 256L * 10));
    }

    @Test
    void embeddingsNeedTheFirstLayersInputGradientAndNumericsWidenItsInput() throws IOException {
        ModelSpec deep =
                spec(
                        """
                        {"model":"m","task":"BINARY","numericFeatures":["a","b"],\
                        "embeddings":[{"feature":"c","dim":8}],"hidden":[4]}""");

        long forward = (2L + 8) * 4 + 4L;
        assertThat(DenseRate.flopsPerEvent(deep)).isEqualTo(2 * (3 * forward));
    }

    @Test
    void aLinearSoftmaxOverDenseInputsCountsOneProductForwardAndOneBack() throws IOException {
        ModelSpec linear =
                spec(
                        """
                        {"model":"m","task":"MULTICLASS","classes":10,"denseSize":784,\
                        "wide":false}""");

        assertThat(DenseRate.flopsPerEvent(linear)).isEqualTo(2 * 2 * 784L * 10);
    }

    private static ModelSpec spec(String json) throws IOException {
        return ModelSpecs.parse(json).values().iterator().next();
    }
}
