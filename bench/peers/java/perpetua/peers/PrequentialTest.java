package perpetua.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import perpetua.schemas.Task;

/** The shared prequential accounting against values computed by hand. */
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
}
