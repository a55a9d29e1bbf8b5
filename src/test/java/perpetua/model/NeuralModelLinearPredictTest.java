package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

class NeuralModelLinearPredictTest {

    /** z[r][c] = b[c] + sum_j W_d[c][j] x[r][j] + sum_{s in slots(r)} W_h[c][s], in double. */
    private static double[][] referenceLogits(NeuralModel model, MicroBatch batch, float[] p) {
        int k = model.outputs();
        int d = model.denseWidth();
        int hashSize = 1 << model.spec().getHashBits();
        double[][] z = new double[batch.size()][k];
        for (int r = 0; r < batch.size(); r++) {
            for (int c = 0; c < k; c++) {
                double sum = p[c];
                for (int j = 0; j < d; j++) {
                    sum += p[k + c * d + j] * (double) batch.dense()[r * d + j];
                }
                for (int s = batch.slotStart()[r]; s < batch.slotStart()[r + 1]; s++) {
                    sum += p[k + k * d + c * hashSize + batch.slots()[s]];
                }
                z[r][c] = sum;
            }
        }
        return z;
    }

    @ParameterizedTest
    @EnumSource(Task.class)
    void predictionsMatchAPlainLoopOverBatchesOfVaryingSize(Task task) {
        Random random = new Random(9);
        ModelSpec spec = ModelFixtures.spec(task, 5).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        NeuralModel model = new NeuralModel(spec);
        float[] theta = new float[model.parameterCount()];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (float) random.nextGaussian();
        }
        model.setParameters(theta);

        // Growing then shrinking batches exercise the reused working buffers.
        for (int rows : new int[] {1, 40, 7, 100, 3}) {
            MicroBatch batch = ModelFixtures.randomBatch(random, task, encoder, rows);
            float[] scores = new float[rows * model.scoreWidth()];
            float[] predicted = new float[rows];
            model.predict(batch, scores, predicted);

            double[][] z = referenceLogits(model, batch, theta);
            for (int r = 0; r < rows; r++) {
                switch (task) {
                    case BINARY:
                        double p1 = 1 / (1 + Math.exp(-z[r][0]));
                        assertThat(scores[2 * r + 1]).isCloseTo((float) p1, within(1e-5f));
                        assertThat(scores[2 * r] + scores[2 * r + 1]).isCloseTo(1f, within(1e-6f));
                        assertThat(predicted[r]).isEqualTo(p1 >= 0.5 ? 1f : 0f);
                        break;
                    case MULTICLASS:
                        double max = Math.max(z[r][0], Math.max(z[r][1], z[r][2]));
                        double norm = 0;
                        int best = 0;
                        for (int c = 0; c < 3; c++) {
                            norm += Math.exp(z[r][c] - max);
                            best = z[r][c] > z[r][best] ? c : best;
                        }
                        for (int c = 0; c < 3; c++) {
                            double pc = Math.exp(z[r][c] - max) / norm;
                            assertThat(scores[3 * r + c]).isCloseTo((float) pc, within(1e-5f));
                        }
                        assertThat(predicted[r]).isEqualTo((float) best);
                        break;
                    default:
                        assertThat(predicted[r])
                                .isCloseTo(
                                        (float) z[r][0],
                                        within(1e-4f * (1 + (float) Math.abs(z[r][0]))));
                        break;
                }
            }
        }
    }
}
