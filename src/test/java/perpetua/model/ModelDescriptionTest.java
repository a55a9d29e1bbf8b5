package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Activation;
import perpetua.schemas.Embedding;
import perpetua.schemas.Kernel;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

class ModelDescriptionTest {

    @Test
    void namesEveryPartOfAWideAndDeepModelWithFactors() {
        ModelSpec spec =
                ModelFixtures.spec(Task.BINARY, 4)
                        .setEmbeddings(List.of(new Embedding("colour", 3)))
                        .setEmbeddingBits(3)
                        .setHidden(List.of(new Layer(8, Activation.RELU, 0f)))
                        .setKernel(Kernel.PRIMITIVE)
                        .setFactors(4)
                        .setFactorBits(5)
                        .build();
        NeuralModel model = new NeuralModel(spec);

        assertThat(model.describe())
                .isEqualTo(
                        "BINARY, input 5 dense + colour:3, layer 8x8 RELU on VECTOR,"
                                + " output 8x1 on PRIMITIVE, wide 2^4, factors 2^5x4, "
                                + model.parameterCount()
                                + " parameters; kernel rule "
                                + Kernels.rule());
    }

    @Test
    void aLinearModelIsItsDenseInputAndOutput() {
        ModelSpec spec = ModelFixtures.spec(Task.MULTICLASS, 2).setWide(false).build();
        ParameterLayout layout = new ParameterLayout(spec);
        DenseKernel[] kernels = {Kernels.create(Kernel.PRIMITIVE, 5, 3)};

        assertThat(ModelDescription.of(spec, layout, kernels, layout.size))
                .isEqualTo(
                        "MULTICLASS, input 5 dense, output 5x3 on PRIMITIVE, 18 parameters;"
                                + " kernel rule "
                                + Kernels.rule());
    }
}
