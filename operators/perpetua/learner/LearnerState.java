package perpetua.learner;

import perpetua.eval.PrequentialEvaluator;

/**
 * What a model keeps in Flink keyed state: primitive arrays only, never an INDArray.
 *
 * <p>Written once per checkpoint for each model that changed since the last one, not per event.
 */
public class LearnerState {
    public float[] parameters;
    public float[] optimizerState;
    public long steps;
    public long examplesSeen;
    public long[] featureCount;
    public double[] featureMean;
    public double[] featureM2;
    public PrequentialEvaluator evaluator;
    public int batchesSinceSnapshot;
    public long lastSnapshotAt;

    public LearnerState() {}
}
