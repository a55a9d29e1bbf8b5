package perpetua.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.Task;

/** Time and fading windows, and the fading AUC's error bound. */
class MetricsWindowsTest {

    private static final double TOL = 1e-9;

    private static PrequentialEvaluator time(Task task, long ms) {
        return new PrequentialEvaluator(task, 1000, MetricsWindowKind.TIME, ms, 1.0, 2);
    }

    private static PrequentialEvaluator fading(Task task, int every, double alpha) {
        return new PrequentialEvaluator(task, every, MetricsWindowKind.FADING, 0L, alpha, 2);
    }

    private static void binary(PrequentialEvaluator eval, float p, float label) {
        eval.add(new float[] {1f - p, p}, 0, p >= 0.5f ? 1f : 0f, label, 1f);
    }

    @Test
    void aTimeWindowIsAlignedAndClosesWhenTheClockReachesItsEnd() {
        PrequentialEvaluator eval = time(Task.BINARY, 1000);
        assertThat(eval.windowEndsAt()).isEqualTo(Long.MAX_VALUE);
        eval.countPrediction(3L, 1500L);
        binary(eval, 0.9f, 1f);
        eval.countPrediction(4L, 1900L);
        binary(eval, 0.2f, 0f);
        assertThat(eval.windowEndsAt()).isEqualTo(2000L);
        assertThat(eval.windowFull()).isFalse();
        assertThat(eval.windowDue(1999L)).isFalse();
        assertThat(eval.closeIfDue("m", 5L, 1999L)).isNull();

        // An example at 2000 belongs to the next window: the caller closes this one first.
        Metrics first = eval.closeIfDue("m", 5L, 2000L);
        assertThat(first.getWindow()).isEqualTo("time:1000ms");
        assertThat(first.getWindowStart()).isEqualTo(1000L);
        assertThat(first.getWindowEnd()).isEqualTo(2000L);
        assertThat(first.getVersionFrom()).isEqualTo(3L);
        assertThat(first.getVersionTo()).isEqualTo(5L);
        assertThat(first.getEvents()).isEqualTo(2L);
        assertThat(first.getLabelled()).isEqualTo(2L);
        assertThat(first.getEventsPerSecond()).isEqualTo(2.0, within(TOL));
        assertThat(first.getAccuracy()).isEqualTo(1.0, within(TOL));
        assertThat(first.getAuc()).isEqualTo(1.0, within(TOL));
        assertThat(first.getAucErrorBound()).isEqualTo(0.0);

        eval.countPrediction(5L, 2000L);
        binary(eval, 0.4f, 1f);
        assertThat(eval.windowEndsAt()).isEqualTo(3000L);
        // A timer long after the end closes it even if no example comes.
        Metrics second = eval.closeIfDue("m", 6L, 7300L);
        assertThat(second.getWindowStart()).isEqualTo(2000L);
        assertThat(second.getWindowEnd()).isEqualTo(3000L);
        assertThat(second.getAccuracy()).isEqualTo(0.0, within(TOL));
        assertThat(second.getAuc()).as("one class only").isNull();
        assertThat(eval.windowEndsAt()).isEqualTo(Long.MAX_VALUE);
        assertThat(eval.windowDue(100_000L)).as("an empty window is never due").isFalse();

        // The next window opens where the clock is, skipping the empty ones.
        eval.countPrediction(7L, 9250L);
        assertThat(eval.windowEndsAt()).isEqualTo(10_000L);
        Metrics early = eval.emit("m", 7L, 9500L);
        assertThat(early.getWindowStart()).isEqualTo(9000L);
        assertThat(early.getWindowEnd()).as("emitted early, it ends now").isEqualTo(9500L);
    }

    @Test
    void aTimeWindowKeepsTheAucExactBeyondItsInitialCapacity() {
        PrequentialEvaluator timed = time(Task.BINARY, 60_000);
        PrequentialEvaluator counted = new PrequentialEvaluator(Task.BINARY, 5000);
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 5000; i++) {
            float label = random.nextDouble() < 0.3 ? 1f : 0f;
            // Scores on a coarse grid, so ties across classes are common.
            float p = (float) (Math.round((0.3 * label + 0.7 * random.nextDouble()) * 20) / 20.0);
            timed.countPrediction(1L, 1000L + i);
            binary(timed, p, label);
            binary(counted, p, label);
        }
        Metrics t = timed.emit("m", 1L, 61_000L);
        Metrics c = counted.emit("m", 1L, 61_000L);
        assertThat(t.getAuc()).isEqualTo(c.getAuc(), within(1e-12));
        assertThat(t.getAucErrorBound()).isEqualTo(0.0);
        assertThat(t.getAccuracy()).isEqualTo(c.getAccuracy(), within(1e-12));
    }

    @Test
    void aFadingWindowWeighsEarlierEventsByAlphaPerEvent() {
        PrequentialEvaluator eval = fading(Task.BINARY, 2, 0.5);
        binary(eval, 0.8f, 1f); // right
        assertThat(eval.windowDue(0L)).isFalse();
        binary(eval, 0.6f, 0f); // wrong
        assertThat(eval.windowDue(0L)).isTrue();
        // Weights 0.5 and 1: accuracy 0.5 / 1.5.
        Metrics first = eval.emit("m", 1L, 1L);
        assertThat(first.getWindow()).isEqualTo("fading:0.5");
        assertThat(first.getLabelled()).isEqualTo(2L);
        assertThat(first.getAccuracy()).isEqualTo(1.0 / 3.0, within(TOL));
        // Log loss: (0.5 * -ln 0.8 + 1 * -ln 0.4) / 1.5
        assertThat(first.getLogLoss())
                .isEqualTo((0.5 * 0.2231435513 + 0.9162907319) / 1.5, within(1e-6));

        // Emitting does not forget: weights 0.125, 0.25, 0.5, 1 after two more.
        binary(eval, 0.3f, 0f); // right
        binary(eval, 0.9f, 1f); // right
        Metrics second = eval.emit("m", 2L, 2L);
        assertThat(second.getLabelled()).isEqualTo(2L);
        assertThat(second.getAccuracy()).isEqualTo((0.125 + 0.5 + 1) / 1.875, within(TOL));
        // TP 0.125 + 1, FP 0.25, FN 0.
        assertThat(second.getPrecision()).isEqualTo(1.125 / 1.375, within(TOL));
        assertThat(second.getRecall()).isEqualTo(1.0, within(TOL));
    }

    @Test
    void aFadingAucWeighsEachPairByBothFadingWeights() {
        // Positive 0.4, negative 0.6, negative 0.2, positive 0.9 with alpha 0.5: weights 1/8,
        // 1/4, 1/2, 1. Ordered pairs: (0.4, 0.2) 1/16, (0.9, 0.6) 1/4, (0.9, 0.2) 1/2 of
        // P * N = 9/8 * 3/4. Every score in its own bin: the bound is 0.
        PrequentialEvaluator eval = fading(Task.BINARY, 4, 0.5);
        binary(eval, 0.4f, 1f);
        binary(eval, 0.6f, 0f);
        binary(eval, 0.2f, 0f);
        binary(eval, 0.9f, 1f);
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getAuc()).isEqualTo((1.0 / 16 + 0.25 + 0.5) / (9.0 / 8 * 0.75), within(TOL));
        assertThat(m.getAucErrorBound()).isEqualTo(0.0);
    }

    @Test
    void aFadingAucStaysWithinItsStatedBoundOfTheExactFadedAuc() {
        double alpha = 0.999;
        int n = 20_000;
        PrequentialEvaluator eval = fading(Task.BINARY, n, alpha);
        float[] scores = new float[n];
        boolean[] positive = new boolean[n];
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < n; i++) {
            positive[i] = random.nextDouble() < 0.4;
            double z = random.nextGaussian() + (positive[i] ? 1.0 : 0.0);
            scores[i] = (float) (1 / (1 + Math.exp(-z)));
            binary(eval, scores[i], positive[i] ? 1f : 0f);
        }
        Metrics m = eval.emit("m", 1L, 1L);
        double exact = exactFadedAuc(scores, positive, alpha);
        assertThat(Math.abs(m.getAuc() - exact)).isLessThanOrEqualTo(m.getAucErrorBound());
        // Continuous scores spread over 1,024 logit bins: the bound is small.
        assertThat(m.getAucErrorBound()).isLessThan(0.005);
        assertThat(m.getAuc()).isBetween(0.7, 0.8); // the separation of one standard deviation
    }

    @Test
    void theFadingAucBoundIsReachedWhenEveryScoreSharesABin() {
        // Positives just above the negatives, all in one bin: exact 1, histogram 1/2, bound 1/2.
        PrequentialEvaluator eval = fading(Task.BINARY, 4, 0.9);
        binary(eval, 0.5001f, 1f);
        binary(eval, 0.5f, 0f);
        binary(eval, 0.5001f, 1f);
        binary(eval, 0.5f, 0f);
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getAuc()).isEqualTo(0.5, within(TOL));
        assertThat(m.getAucErrorBound()).isEqualTo(0.5, within(TOL));
        assertThat(Math.abs(m.getAuc() - 1.0)).isLessThanOrEqualTo(m.getAucErrorBound() + TOL);
    }

    @Test
    void fadingSumsStayFiniteAndExactOverALongStream() {
        // alpha 0.5 drives the scale below 1e-150 within 500 events; renormalizing must not
        // change the metrics: compare with sums faded directly.
        PrequentialEvaluator eval = fading(Task.REGRESSION, 10_000, 0.5);
        double abs = 0;
        double sq = 0;
        double w = 0;
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 10_000; i++) {
            float label = (float) random.nextGaussian();
            float predicted = (float) (label + random.nextGaussian() * 0.5);
            eval.add(new float[0], 0, predicted, label, 1f);
            double e = (double) predicted - label;
            abs = abs * 0.5 + Math.abs(e);
            sq = sq * 0.5 + e * e;
            w = w * 0.5 + 1;
        }
        Metrics m = eval.emit("m", 1L, 1L);
        assertThat(m.getMae()).isEqualTo(abs / w, within(1e-9));
        assertThat(m.getRmse()).isEqualTo(Math.sqrt(sq / w), within(1e-9));
        assertThat(m.getR2()).isNotNull();
        assertThat(eval.sums.scale).isBetween(1e-150, 1.0);
    }

    @Test
    void fadingR2MatchesDirectlyFadedSums() {
        double alpha = 0.9;
        PrequentialEvaluator eval = fading(Task.REGRESSION, 50, alpha);
        SplittableRandom random = new SplittableRandom(9);
        double[] y = new double[50];
        double[] e = new double[50];
        for (int i = 0; i < 50; i++) {
            float label = (float) (3 + random.nextGaussian());
            float predicted = (float) (label + 0.3 * random.nextGaussian());
            eval.add(new float[0], 0, predicted, label, 1f);
            y[i] = label;
            e[i] = (double) predicted - label;
        }
        double w = 0;
        double wy = 0;
        for (int i = 0; i < 50; i++) {
            double f = Math.pow(alpha, 49 - i);
            w += f;
            wy += f * y[i];
        }
        double mean = wy / w;
        double ssTot = 0;
        double ssRes = 0;
        for (int i = 0; i < 50; i++) {
            double f = Math.pow(alpha, 49 - i);
            ssTot += f * (y[i] - mean) * (y[i] - mean);
            ssRes += f * e[i] * e[i];
        }
        assertThat(eval.emit("m", 1L, 1L).getR2()).isEqualTo(1 - ssRes / ssTot, within(1e-6));
    }

    @Test
    void timeAndFadingEvaluatorsSurviveFlinkSerialization() throws Exception {
        TypeSerializer<PrequentialEvaluator> serializer =
                TypeInformation.of(PrequentialEvaluator.class)
                        .createSerializer(new SerializerConfigImpl());
        for (PrequentialEvaluator eval :
                new PrequentialEvaluator[] {
                    time(Task.BINARY, 1000), fading(Task.MULTICLASS, 3, 0.9)
                }) {
            eval.countPrediction(2L, 1200L);
            eval.add(new float[] {0.3f, 0.7f}, 0, 1f, 1f, 1f);
            eval.add(new float[] {0.6f, 0.4f}, 0, 0f, 1f, 1f);
            DataOutputSerializer out = new DataOutputSerializer(256);
            serializer.serialize(eval, out);
            PrequentialEvaluator copy =
                    serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
            PrequentialEvaluator viaCopy = eval.copy();
            Metrics a = eval.emit("m", 3L, 2500L);
            assertThat(copy.emit("m", 3L, 2500L)).isEqualTo(a);
            assertThat(viaCopy.emit("m", 3L, 2500L)).isEqualTo(a);
        }
    }

    /** AUC over all positive-negative pairs, each weighted by alpha^age of both, ties 1/2. */
    private static double exactFadedAuc(float[] scores, boolean[] positive, double alpha) {
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
        double negativesBelow = 0;
        double wins = 0;
        double p = 0;
        double q = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            double pos = 0;
            double neg = 0;
            while (j < n && scores[order[j]] == scores[order[i]]) {
                double f = Math.pow(alpha, n - 1 - order[j]);
                if (positive[order[j]]) {
                    pos += f;
                } else {
                    neg += f;
                }
                j++;
            }
            wins += pos * (negativesBelow + 0.5 * neg);
            negativesBelow += neg;
            p += pos;
            q += neg;
            i = j;
        }
        return wins / (p * q);
    }
}
