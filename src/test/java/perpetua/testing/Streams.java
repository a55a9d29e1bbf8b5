package perpetua.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/** Learnable synthetic event streams for tests, fixed by a seed. */
public final class Streams {
    private Streams() {}

    /** A binary spec over 4 dense floats, one numeric and one categorical feature. */
    public static ModelSpec binarySpec(String model, int maxBatch, long maxDelayMs) {
        return ModelSpec.newBuilder()
                .setModel(model)
                .setTask(Task.BINARY)
                .setDenseSize(4)
                .setNumericFeatures(List.of("x"))
                .setHashBits(10)
                .setOptimizer(OptimizerKind.ADAM)
                .setLearningRate(0.05f)
                .setMaxBatch(maxBatch)
                .setMaxDelayMs(maxDelayMs)
                .setMetricsWindow(500)
                .setSnapshotEveryBatches(20)
                .setSnapshotEverySeconds(0)
                .build();
    }

    /**
     * Events whose label is 1 when {@code 2*d0 - d1 + x/10 + bias(c) > 0}: linearly learnable,
     * about 35% positive, so a model that learns beats the majority baseline.
     */
    public static List<Event> binaryEvents(String model, int n, long seed) {
        Random rnd = new Random(seed);
        String[] cats = {"red", "green", "blue"};
        double[] catBias = {0.5, -0.8, 0.0};
        List<Event> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] d = new float[4];
            for (int k = 0; k < 4; k++) {
                d[k] = (float) rnd.nextGaussian();
            }
            double x = 10 * rnd.nextGaussian() + 5;
            int c = rnd.nextInt(3);
            double z = 2 * d[0] - d[1] + x / 10 - 0.9 + catBias[c];
            out.add(
                    Event.newBuilder()
                            .setId(model + "-" + i)
                            .setModel(model)
                            .setTime(1_000_000L + i)
                            .setDense(List.of(d[0], d[1], d[2], d[3]))
                            .setNumeric(Map.of("x", x))
                            .setCategorical(Map.of("c", cats[c]))
                            .setLabel(z > 0 ? 1 : 0)
                            .build());
        }
        return out;
    }
}
