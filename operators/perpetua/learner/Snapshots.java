package perpetua.learner;

import java.util.List;
import perpetua.features.OnlineStandardizer;
import perpetua.model.Tensors;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelState;
import perpetua.schemas.Tensor;

/** Builds the {@link ModelSnapshot} of a live model's champion: everything to resume or score. */
final class Snapshots {
    private Snapshots() {}

    static ModelSnapshot of(ModelRuntime m, long now, String event, ModelState state) {
        Variant v = m.champion;
        OnlineStandardizer std = v.encoder.standardizer();
        int numerics = std.size();
        List<Tensor> features =
                List.of(
                        Tensors.toTensor(
                                "featureCount", new int[] {numerics}, floats(std.counts())),
                        Tensors.toTensor("featureMean", new int[] {numerics}, floats(std.means())),
                        Tensors.toTensor("featureM2", new int[] {numerics}, floats(std.m2s())));
        return ModelSnapshot.newBuilder()
                .setModel(m.name)
                .setVersion(m.version)
                .setTime(now)
                .setSpec(m.spec)
                .setExamplesSeen(v.examplesSeen)
                .setTensors(v.model.parameterTensors())
                .setOptimizerState(v.model.optimizerTensors())
                .setFeatureState(features)
                .setMetrics(v.evaluator.summary())
                .setState(state)
                .setEvent(event)
                .build();
    }

    private static float[] floats(long[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static float[] floats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
