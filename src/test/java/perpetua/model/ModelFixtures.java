package perpetua.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/** Specs and random events shared by the model tests. */
final class ModelFixtures {

    static final String[] COLOURS = {"red", "green", "blue", "amber"};
    static final String[] WORDS = {"free", "offer", "meeting", "today", "win", "report", "cash"};

    private ModelFixtures() {}

    /**
     * Returns a spec with 3 dense inputs, numerics "a" and "b", and 2^bits hashed slots; dense
     * values and labels go to the network as they are (their scaling has tests of its own).
     */
    static ModelSpec.Builder spec(Task task, int bits) {
        return ModelSpec.newBuilder()
                .setModel("m-" + task)
                .setTask(task)
                .setClasses(task == Task.MULTICLASS ? 3 : 2)
                .setDenseSize(3)
                .setNumericFeatures(List.of("a", "b"))
                .setHashBits(bits)
                .setOptimizer(OptimizerKind.ADAM)
                .setLearningRate(0.05f)
                .setScaleDense(false)
                .setScaleTarget(false);
    }

    /** Returns an event with random inputs, the given label (null for none) and weight. */
    static Event event(Random random, Object label, float weight) {
        List<Float> dense = new ArrayList<>();
        for (int j = 0; j < 3; j++) {
            dense.add((float) random.nextGaussian());
        }
        Map<String, Double> numeric = new HashMap<>();
        numeric.put("a", 10 + 4 * random.nextGaussian());
        if (random.nextInt(4) != 0) {
            numeric.put("b", -3 + 0.5 * random.nextGaussian());
        }
        Map<String, String> categorical = new HashMap<>();
        categorical.put("colour", COLOURS[random.nextInt(COLOURS.length)]);
        categorical.put("shop", "s" + random.nextInt(5));
        StringBuilder text = new StringBuilder();
        int words = random.nextInt(6);
        for (int w = 0; w < words; w++) {
            text.append(WORDS[random.nextInt(WORDS.length)]).append(w % 2 == 0 ? " " : ", ");
        }
        return Event.newBuilder()
                .setId(Long.toString(random.nextLong()))
                .setModel("m")
                .setTime(0L)
                .setDense(dense)
                .setNumeric(numeric)
                .setCategorical(categorical)
                .setText(text.toString())
                .setLabel(label)
                .setWeight(weight)
                .build();
    }

    /** Returns a random label for the task: 0/1, a class in [0, 3) or a value. */
    static Object randomLabel(Random random, Task task) {
        switch (task) {
            case BINARY:
                return random.nextInt(2);
            case MULTICLASS:
                return random.nextInt(3);
            default:
                return random.nextGaussian() * 2;
        }
    }

    /** Returns a batch of random events, every fourth unlabelled, with varied weights. */
    static MicroBatch randomBatch(Random random, Task task, FeatureEncoder encoder, int rows) {
        MicroBatch batch = encoder.newBatch();
        for (int r = 0; r < rows; r++) {
            boolean labelled = r % 4 != 3;
            Object label = labelled ? randomLabel(random, task) : null;
            encoder.encode(event(random, label, 0.5f + random.nextFloat()), batch);
            encoder.commitMoments();
        }
        return batch;
    }

    /**
     * Returns dL/dθ_i ≈ (L(θ + h e_i) - L(θ - h e_i)) / 2h for every parameter, in double around
     * the float32 parameters {@code theta}, and leaves the model at {@code theta}.
     */
    static double[] numericGradient(NeuralModel model, MicroBatch batch, float[] theta, double h) {
        double[] numeric = new double[theta.length];
        for (int i = 0; i < theta.length; i++) {
            float[] plus = theta.clone();
            float[] minus = theta.clone();
            plus[i] = (float) (theta[i] + h);
            minus[i] = (float) (theta[i] - h);
            model.setParameters(plus);
            double lossPlus = model.loss(batch);
            model.setParameters(minus);
            double lossMinus = model.loss(batch);
            numeric[i] = (lossPlus - lossMinus) / ((double) plus[i] - minus[i]);
        }
        model.setParameters(theta);
        return numeric;
    }
}
