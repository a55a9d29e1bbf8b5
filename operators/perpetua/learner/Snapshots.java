package perpetua.learner;

import java.util.List;
import perpetua.features.OnlineStandardizer;
import perpetua.model.Tensors;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.Tensor;

/** Builds the {@link ModelSnapshot} of a live model: parameters, optimizer and feature state. */
final class Snapshots {
    private Snapshots() {}

    static ModelSnapshot of(ModelRuntime m, long now) {
        OnlineStandardizer std = m.encoder.standardizer();
        int numerics = std.count().length;
        List<Tensor> features =
                List.of(
                        Tensors.toTensor("featureCount", new int[] {numerics}, floats(std.count())),
                        Tensors.toTensor("featureMean", new int[] {numerics}, floats(std.mean())),
                        Tensors.toTensor("featureM2", new int[] {numerics}, floats(std.m2())));
        return ModelSnapshot.newBuilder()
                .setModel(m.name)
                .setVersion(m.model.steps())
                .setTime(now)
                .setSpec(m.spec)
                .setExamplesSeen(m.examplesSeen)
                .setTensors(m.model.parameterTensors())
                .setOptimizerState(m.model.optimizerTensors())
                .setFeatureState(features)
                .setMetrics(m.evaluator.summary())
                .build();
    }

    private static float[] floats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
