package perpetua.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.Task;

/**
 * The shared prequential accounting against values computed by hand, and against the Learner's own
 * evaluator, which scores Perpetua's rows in the benchmark.
 */
class PrequentialTest {

    @Test
    void binaryAccuracyAndLogLossScoreTheProbabilityOfTheTrueClass() {
        Prequential q = new Prequential(Task.BINARY, 2);
        q.add(new double[] {0.2, 0.8}, 1); // right, -ln 0.8
        q.add(new double[] {0.6, 0.4}, 1); // wrong, -ln 0.4
        q.add(new double[] {0.9, 0.1}, 0); // right, -ln 0.9
        q.add(new double[] {1.0, 0.0}, 1); // wrong, clamped: -ln 1e-7

        assertThat(q.count()).isEqualTo(4);
        assertThat(q.accuracy()).isEqualTo(0.5);
        double expected = -(Math.log(0.8) + Math.log(0.4) + Math.log(0.9) + Math.log(1e-7)) / 4;
        assertThat(q.logLoss()).isCloseTo(expected, within(1e-12));
    }

    @Test
    void aucCountsATiedPositiveNegativePairAsOneHalf() {
        Prequential q = new Prequential(Task.BINARY, 2);
        q.add(new double[] {0.9, 0.1}, 0);
        q.add(new double[] {0.6, 0.4}, 1);
        q.add(new double[] {0.6, 0.4}, 0);
        q.add(new double[] {0.2, 0.8}, 1);
        // Pairs (positive, negative): (0.4, 0.1) 1, (0.4, 0.4) 1/2, (0.8, 0.1) 1, (0.8, 0.4) 1.
        assertThat(q.auc()).isCloseTo(3.5 / 4, within(1e-12));
    }

    @Test
    void aucIsNotANumberWhenTheStreamHoldsOneClass() {
        Prequential q = new Prequential(Task.BINARY, 2);
        q.add(new double[] {0.3, 0.7}, 1);
        q.add(new double[] {0.8, 0.2}, 1);
        assertThat(q.auc()).isNaN();
        assertThat(q.accuracy()).isEqualTo(0.5);
    }

    @Test
    void aucIsExactOverMoreEventsThanTheFirstBuffer() {
        Prequential q = new Prequential(Task.BINARY, 2);
        int n = 3000;
        for (int i = 0; i < n; i++) {
            double p = (i + 0.5) / n;
            // The top third of the scores are positives, except that the lowest score is a
            // positive and the highest a negative.
            int label = i >= 2 * n / 3 ? 1 : 0;
            if (i == 0) {
                label = 1;
            }
            if (i == n - 1) {
                label = 0;
            }
            q.add(new double[] {1 - p, p}, label);
        }
        // 1000 positives and 2000 negatives; the lowest positive is below every negative (2000
        // pairs), the highest negative is above the 999 other positives.
        double positives = 1000;
        double negatives = 2000;
        double wrongPairs = 2000 + 999;
        assertThat(q.auc()).isCloseTo(1 - wrongPairs / (positives * negatives), within(1e-12));
    }

    @Test
    void multiclassTakesTheMostProbableClassAndBreaksTiesToTheLowerIndex() {
        Prequential q = new Prequential(Task.MULTICLASS, 3);
        q.add(new double[] {0.2, 0.5, 0.3}, 1); // right
        q.add(new double[] {0.4, 0.4, 0.2}, 1); // tie 0/1 goes to 0: wrong
        q.add(new double[] {0.1, 0.1, 0.8}, 2); // right
        assertThat(q.accuracy()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(q.logLoss())
                .isCloseTo(-(Math.log(0.5) + Math.log(0.4) + Math.log(0.8)) / 3, within(1e-12));
        assertThat(q.auc()).isNaN();
    }

    @Test
    void regressionGivesMeanAbsoluteAndRootMeanSquaredError() {
        Prequential q = new Prequential(Task.REGRESSION, 0);
        q.add(new double[] {1}, 2);
        q.add(new double[] {2}, 2);
        q.add(new double[] {3}, 5);
        assertThat(q.mae()).isCloseTo(1.0, within(1e-12));
        assertThat(q.rmse()).isCloseTo(Math.sqrt(5.0 / 3), within(1e-12));
        assertThat(q.accuracy()).isNaN();
    }

    @Test
    void refusesScoresThatCannotBeScored() {
        Prequential q = new Prequential(Task.MULTICLASS, 3);
        assertThatThrownBy(() -> q.add(new double[] {0.5, 0.5}, 0))
                .hasMessageContaining("expected 3 class scores");
        assertThatThrownBy(() -> q.add(new double[] {0.2, 0.3, 0.5}, 3))
                .hasMessageContaining("not a class index");
        assertThatThrownBy(() -> q.add(new double[] {Double.NaN, 0.3, 0.5}, 0))
                .hasMessageContaining("NaN");
    }

    @Test
    void binaryAgreesWithTheLearnersEvaluatorOverOneWindowAsLongAsTheStream() {
        int n = 5000;
        Random random = new Random(7);
        Prequential peers = new Prequential(Task.BINARY, 2);
        PrequentialEvaluator learner = wholeStream(Task.BINARY, 2, n);
        for (int i = 0; i < n; i++) {
            // Scores on a coarse grid, so that many are tied; none is exactly 1/2, where the
            // Learner's served class (P(1) >= 0.5) and this accounting's tie rule differ.
            float p1 = (random.nextInt(40) * 2 + 1) / 80f;
            int label = random.nextDouble() < p1 ? 1 : 0;
            float[] scores = {1f - p1, p1};
            peers.add(new double[] {scores[0], scores[1]}, label);
            learner.countPrediction(1, i);
            learner.add(scores, 0, p1 >= 0.5f ? 1f : 0f, label, 1f);
        }
        Metrics m = learner.emit("m", 1, n);
        assertThat(peers.accuracy()).isCloseTo(m.getAccuracy(), within(1e-12));
        assertThat(peers.auc()).isCloseTo(m.getAuc(), within(1e-12));
        assertThat(peers.logLoss()).isCloseTo(m.getLogLoss(), within(1e-9));
        assertThat(m.getAucErrorBound()).isZero();
    }

    @Test
    void multiclassAndRegressionAgreeWithTheLearnersEvaluator() {
        int n = 3000;
        int classes = 5;
        Random random = new Random(11);
        Prequential peers = new Prequential(Task.MULTICLASS, classes);
        PrequentialEvaluator learner = wholeStream(Task.MULTICLASS, classes, n);
        Prequential peersRegression = new Prequential(Task.REGRESSION, 0);
        PrequentialEvaluator learnerRegression = wholeStream(Task.REGRESSION, 0, n);
        for (int i = 0; i < n; i++) {
            float[] scores = new float[classes];
            float sum = 0;
            for (int k = 0; k < classes; k++) {
                scores[k] = random.nextFloat() + 1e-3f;
                sum += scores[k];
            }
            int best = 0;
            double[] asDouble = new double[classes];
            for (int k = 0; k < classes; k++) {
                scores[k] /= sum;
                asDouble[k] = scores[k];
                best = scores[k] > scores[best] ? k : best;
            }
            int label = random.nextInt(classes);
            peers.add(asDouble, label);
            learner.countPrediction(1, i);
            learner.add(scores, 0, best, label, 1f);

            float value = (float) random.nextGaussian();
            float target = (float) (3 * random.nextGaussian());
            peersRegression.add(new double[] {value}, target);
            learnerRegression.countPrediction(1, i);
            learnerRegression.add(new float[0], 0, value, target, 1f);
        }
        Metrics m = learner.emit("m", 1, n);
        assertThat(peers.accuracy()).isCloseTo(m.getAccuracy(), within(1e-12));
        assertThat(peers.logLoss()).isCloseTo(m.getLogLoss(), within(1e-9));
        Metrics r = learnerRegression.emit("r", 1, n);
        assertThat(peersRegression.mae()).isCloseTo(r.getMae(), within(1e-9));
        assertThat(peersRegression.rmse()).isCloseTo(r.getRmse(), within(1e-9));
    }

    /** The Learner's evaluator as Perpetua's replay uses it: one count window of every event. */
    private static PrequentialEvaluator wholeStream(Task task, int classes, int n) {
        return new PrequentialEvaluator(task, n, MetricsWindowKind.COUNT, 0L, 1.0, classes);
    }
}
