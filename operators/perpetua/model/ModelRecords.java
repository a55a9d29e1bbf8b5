package perpetua.model;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.PrimitivesArrays;
import perpetua.features.MaxAbsScaler;
import perpetua.features.OnlineStandardizer;
import perpetua.schemas.Event;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

/**
 * The records a model writes and reads, built in one place so that the Learner and a scorer outside
 * Flink write the same predictions and read the same snapshots.
 */
public final class ModelRecords {
    private static final Schema SCORES = Prediction.getClassSchema().getField("scores").schema();

    private ModelRecords() {}

    /**
     * The prediction of row {@code row} of a predicted batch: the class and its probabilities, or
     * the regression value with no scores.
     */
    public static Prediction prediction(
            Task task,
            String model,
            Event event,
            long version,
            float[] scores,
            float[] predicted,
            int row,
            int width,
            long publishedAt,
            long now) {
        Object label;
        PrimitivesArrays.FloatArray probabilities;
        if (task == Task.REGRESSION) {
            label = (double) predicted[row];
            probabilities = new PrimitivesArrays.FloatArray(0, SCORES);
        } else {
            label = (int) predicted[row];
            probabilities = new PrimitivesArrays.FloatArray(width, SCORES);
            for (int k = 0; k < width; k++) {
                probabilities.add(k, scores[row * width + k]);
            }
        }
        // Field by field rather than through the builder, which validates and copies each one.
        Prediction p = new Prediction();
        p.setEventId(event.getId());
        p.setModel(model);
        p.setModelVersion(version);
        p.setTime(event.getTime());
        p.setLabel(label);
        p.setScores(probabilities);
        p.setPublishedAt(publishedAt);
        p.setPredictedAt(now);
        // Not ranked, not explained: the schema's defaults, which the builder would have set.
        p.setRank(null);
        p.setContributions(List.of());
        return p;
    }

    /**
     * The scaling state of the inputs as snapshot tensors (float32): the moments of the numeric
     * features, and the dense columns' magnitudes when the model scales them ("denseMaxAbs").
     */
    public static List<Tensor> featureTensors(OnlineStandardizer std, MaxAbsScaler dense) {
        List<Tensor> out = new ArrayList<>(featureTensors(std));
        if (dense != null) {
            out.add(Tensors.toTensor("denseMaxAbs", new int[] {dense.size()}, dense.maxAbs()));
        }
        return out;
    }

    /**
     * The dense columns' magnitudes from snapshot tensors, or null for a snapshot of a model that
     * does not scale them (or learned before dense scaling existed).
     */
    public static MaxAbsScaler denseScaler(List<Tensor> state, int denseSize) {
        for (Tensor t : state) {
            if (t.getName().equals("denseMaxAbs")) {
                float[] v = Tensors.toFloats(t);
                if (v.length != denseSize) {
                    throw new IllegalArgumentException(
                            "snapshot tensor denseMaxAbs has "
                                    + v.length
                                    + " values, the spec has "
                                    + denseSize
                                    + " dense columns");
                }
                return new MaxAbsScaler(v);
            }
        }
        return null;
    }

    /** The moments of the numeric features as snapshot tensors (float32). */
    public static List<Tensor> featureTensors(OnlineStandardizer std) {
        int n = std.size();
        long[] counts = std.counts();
        double[] means = std.means();
        double[] m2s = std.m2s();
        float[] count = new float[n];
        float[] mean = new float[n];
        float[] m2 = new float[n];
        for (int i = 0; i < n; i++) {
            count[i] = counts[i];
            mean[i] = (float) means[i];
            m2[i] = (float) m2s[i];
        }
        return List.of(
                Tensors.toTensor("featureCount", new int[] {n}, count),
                Tensors.toTensor("featureMean", new int[] {n}, mean),
                Tensors.toTensor("featureM2", new int[] {n}, m2));
    }

    /** The moments of {@code n} numeric features read back from snapshot tensors. */
    public static OnlineStandardizer standardizer(List<Tensor> state, int n) {
        float[] count = tensor(state, "featureCount", n);
        float[] mean = tensor(state, "featureMean", n);
        float[] m2 = tensor(state, "featureM2", n);
        long[] counts = new long[n];
        double[] means = new double[n];
        double[] m2s = new double[n];
        for (int i = 0; i < n; i++) {
            counts[i] = Math.round((double) count[i]);
            means[i] = mean[i];
            m2s[i] = m2[i];
        }
        return new OnlineStandardizer(counts, means, m2s);
    }

    private static float[] tensor(List<Tensor> state, String name, int n) {
        for (Tensor t : state) {
            if (t.getName().equals(name)) {
                float[] v = Tensors.toFloats(t);
                if (v.length != n) {
                    throw new IllegalArgumentException(
                            "snapshot tensor "
                                    + name
                                    + " has "
                                    + v.length
                                    + " values, the spec names "
                                    + n
                                    + " numeric features");
                }
                return v;
            }
        }
        if (n == 0) {
            return new float[0];
        }
        throw new IllegalArgumentException("snapshot has no feature state tensor " + name);
    }
}
