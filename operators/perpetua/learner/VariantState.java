package perpetua.learner;

import perpetua.eval.PrequentialEvaluator;

/** What one learner of a model keeps in Flink state: primitive arrays only, never an INDArray. */
public class VariantState {
    public float[] parameters;
    public float[] optimizerState;
    public long steps;
    public long unhealthyBatches;
    public long examplesSeen;
    public long[] featureCount;
    public double[] featureMean;
    public double[] featureM2;
    public PrequentialEvaluator evaluator;
    public int winStreak;

    public VariantState() {}
}
