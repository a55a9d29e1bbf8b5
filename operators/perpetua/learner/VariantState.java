package perpetua.learner;

import perpetua.drift.DriftMonitor;
import perpetua.features.BatchRows;
import perpetua.metrics.PrequentialEvaluator;

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

    /** The main metric summed over the search's current rung, and its windows there. */
    public double tallyTotal;

    public int tallyWindows;

    /** The drift detector on this learner's errors; null in state written before it had one. */
    public DriftMonitor monitor;

    /** Learned batches left at {@link #learningRateBoost}; 0 when the learning rate is plain. */
    public int boostBatchesLeft;

    public float learningRateBoost = 1f;

    /** The dense columns' largest magnitudes; null when the model leaves dense values unscaled. */
    public float[] denseMaxAbs;

    /** A regression model's label weight, mean and m2; null when it learns the label as it is. */
    public double[] targetMoments;

    /** Labelled rows waiting for their learning group to fill; null when none waits. */
    public BatchRows learnRows;

    public VariantState() {}
}
