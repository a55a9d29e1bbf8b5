package perpetua.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import perpetua.features.EncodedInputs;
import perpetua.features.FeatureEncoder;
import perpetua.features.MaxAbsScaler;
import perpetua.features.MicroBatch;
import perpetua.features.OnlineStandardizer;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * What each input of an event added to a {@link NeuralModel}'s score for it: the log-odds (BINARY),
 * the predicted class's logit (MULTICLASS) or the value (REGRESSION).
 *
 * <p>The score is a sum of parts, and each part is split over the inputs:
 *
 * <ul>
 *   <li>the output bias: the input {@code (bias)};
 *   <li>the wide part, exactly: each hashed slot's weight times its value, for its categorical
 *       value, cross or text n-gram;
 *   <li>the factorization machine, exactly: each pair's interaction {@code <v_i, v_j> x_i x_j} half
 *       to each of the two inputs (their Shapley values, since the pair term is all they share), so
 *       that the inputs' shares add up to the part;
 *   <li>the dense inputs and embeddings: without hidden layers the part is linear and each input
 *       gets its weight times its value, exactly (an embedding's field splits its share over the
 *       values of its bag by each value's part of the mean vector). With hidden layers, integrated
 *       gradients (Sundararajan et al., 2017) from the all-missing input (dense values 0, numerics
 *       at their mean, no embedding ids): {@code attr_i = x_i * mean over m of df/dx_i at ((m +
 *       0.5) / STEPS) x}, {@link #STEPS} midpoints. Their property, completeness: the attributions
 *       add up to {@code f(x) - f(0)}, within the error of the midpoint rule (a test holds it to a
 *       bound); {@code f(0)} is the input {@code (baseline)}.
 * </ul>
 *
 * <p>An input that feeds several parts (a categorical value in the wide part, an embedding and the
 * factors) gets the sum of its shares. The dense array is one input, {@code dense}; each numeric is
 * its own. So the contributions add up to the score: exactly for models without hidden layers, and
 * within the midpoint rule's error with them. Not thread-safe.
 */
public final class Explainer {
    /** Midpoints of the integrated gradients' path integral, to start with. */
    public static final int STEPS = 64;

    /** The most midpoints the integrated gradients take. */
    public static final int MAX_STEPS = 8192;

    /**
     * The integrated gradients add midpoints until their sum is f(x) - f(0) within this, relative
     * to 1 + |f(x) - f(0)|.
     */
    public static final double COMPLETENESS = 2.5e-4;

    /** The input that stands for the output bias. */
    public static final String BIAS = "(bias)";

    /** The input that stands for the hidden layers' output at the all-missing input. */
    public static final String BASELINE = "(baseline)";

    /** The input that stands for the event's dense array. */
    public static final String DENSE = "dense";

    /** One input and what it added to the score. */
    public record Term(String input, double contribution) {}

    /**
     * The explanation of one event.
     *
     * @param score the model's score: log-odds, class logit or value
     * @param outputClass the class whose logit is explained (0 for BINARY and REGRESSION)
     * @param terms every input's contribution, largest magnitude first
     */
    public record Explanation(String eventId, double score, int outputClass, List<Term> terms) {
        /** The {@code n} largest contributions. */
        public List<Term> top(int n) {
            return terms.subList(0, Math.min(n, terms.size()));
        }

        /** The sum of the contributions: the score, exactly or within the integrated gradients'. */
        public double total() {
            double sum = 0;
            for (Term t : terms) {
                sum += t.contribution();
            }
            return sum;
        }
    }

    private final NeuralModel model;
    private final ParameterLayout p;
    private final float[] params;
    private final ModelSpec spec;
    private final FeatureEncoder encoder;
    private final MicroBatch row;
    private final EncodedInputs names = new EncodedInputs();

    // Working arrays of the hidden layers' path: activations per layer, and their gradients.
    private final float[][] acts;
    private final float[][] grads;

    /**
     * An explainer of {@code model}'s predictions, with numerics scaled by {@code moments} and
     * dense values by {@code dense} (the committed scaling the model predicts with, read and never
     * updated; a null {@code dense}: dense values as they come).
     */
    public Explainer(NeuralModel model, OnlineStandardizer moments, MaxAbsScaler dense) {
        this.model = model;
        this.p = model.layout();
        this.params = model.liveParameters();
        this.spec = model.spec();
        this.encoder = new FeatureEncoder(spec, moments, dense);
        this.row = encoder.newBatch();
        this.acts = new float[p.layers + 1][];
        this.grads = new float[p.layers + 1][];
        for (int l = 0; l <= p.layers; l++) {
            acts[l] = new float[p.width[l]];
            grads[l] = new float[p.width[l]];
        }
    }

    /** Explains the model's score for {@code event}, a validated event of the model. */
    public Explanation explain(Event event) {
        row.clear();
        try {
            encoder.encode(event, row, names);
        } finally {
            encoder.discardPending();
        }
        float[] logits = model.scores(row);
        int c = 0;
        if (p.task == Task.MULTICLASS) {
            for (int j = 1; j < p.k; j++) {
                if (logits[j] > logits[c]) {
                    c = j;
                }
            }
        }
        double score = logits[c];
        Map<String, Double> terms = new LinkedHashMap<>();
        terms.put(BIAS, (double) params[c]);
        float[] input = deepInput();
        if (p.layers == 0) {
            linear(input, c, terms);
        } else {
            integratedGradients(input, c, terms);
        }
        if (p.wide) {
            wide(c, terms);
        }
        if (p.factorDim > 0) {
            factors(terms);
        }
        if (p.task == Task.REGRESSION) {
            // A model that learns its label standardized predicts shift + scale * output: every
            // share scales with it, and the shift is the bias's.
            double scale = model.labelScale();
            double shift = model.labelUnits(0f);
            terms.replaceAll((k, v) -> v * scale);
            terms.merge(BIAS, shift, Double::sum);
            score = model.labelUnits(logits[c]);
        }
        List<Term> out = new ArrayList<>(terms.size());
        terms.forEach((k, v) -> out.add(new Term(k, v)));
        out.sort((a, b) -> Double.compare(Math.abs(b.contribution()), Math.abs(a.contribution())));
        return new Explanation(event.getId(), score, c, List.copyOf(out));
    }

    // a0 = the row's dense values, then each field's mean embedding, as the forward pass builds it
    private float[] deepInput() {
        float[] a = new float[p.width[0]];
        System.arraycopy(row.dense(), 0, a, 0, p.denseWidth);
        int[] bagStart = row.bagStart();
        int[] ids = row.bagIds();
        for (int f = 0; f < p.fields; f++) {
            int from = bagStart[f];
            int to = bagStart[f + 1];
            int dim = p.fieldDim[f];
            int table = p.tableOffset[p.fieldTable[f]];
            for (int j = from; j < to; j++) {
                for (int d = 0; d < dim; d++) {
                    a[p.fieldColumn[f] + d] += params[table + ids[j] * dim + d] / (to - from);
                }
            }
        }
        return a;
    }

    /** Without hidden layers the deep input meets the output weights directly: w_i x_i. */
    private void linear(float[] input, int c, Map<String, Double> terms) {
        int in = p.width[0];
        double[] weight = new double[in];
        for (int i = 0; i < in; i++) {
            weight[i] = params[p.k + c * in + i];
        }
        assign(input, weight, terms);
    }

    /**
     * attr_i = x_i * mean_m grad_i(((m + 0.5) / steps) x), f(0) the baseline: from {@link #STEPS}
     * midpoints, doubled until the attributions add up to f(x) - f(0) within {@link #COMPLETENESS}
     * (1 + |f(x) - f(0)|), or {@link #MAX_STEPS} are reached. The midpoint rule converges slowly
     * across the kinks of (leaky) ReLU layers, fast through smooth ones.
     */
    private void integratedGradients(float[] input, int c, Map<String, Double> terms) {
        int in = p.width[0];
        double fx = deepPath(input, c);
        double f0 = deepPath(new float[in], c);
        double[] meanGrad = new double[in];
        float[] scaled = new float[in];
        for (int steps = STEPS; ; steps *= 2) {
            Arrays.fill(meanGrad, 0.0);
            for (int m = 0; m < steps; m++) {
                float alpha = (m + 0.5f) / steps;
                for (int i = 0; i < in; i++) {
                    scaled[i] = alpha * input[i];
                }
                deepPath(scaled, c);
                gradient(c);
                for (int i = 0; i < in; i++) {
                    meanGrad[i] += grads[0][i] / (double) steps;
                }
            }
            double sum = 0;
            for (int i = 0; i < in; i++) {
                sum += input[i] * meanGrad[i];
            }
            if (Math.abs(sum - (fx - f0)) <= COMPLETENESS * (1 + Math.abs(fx - f0))
                    || steps >= MAX_STEPS) {
                break;
            }
        }
        terms.put(BASELINE, f0);
        assign(input, meanGrad, terms);
    }

    /**
     * The hidden layers and the output weights of class {@code c} (without the output bias) at deep
     * input {@code a0}; keeps every layer's activations for {@link #gradient}.
     */
    private double deepPath(float[] a0, int c) {
        System.arraycopy(a0, 0, acts[0], 0, a0.length);
        for (int l = 0; l < p.layers; l++) {
            int in = p.width[l];
            int out = p.width[l + 1];
            float[] a = acts[l];
            float[] z = acts[l + 1];
            for (int o = 0; o < out; o++) {
                double sum = params[p.biasOffset[l] + o];
                int w = p.weightOffset[l] + o * in;
                for (int i = 0; i < in; i++) {
                    sum += (double) params[w + i] * a[i];
                }
                z[o] = (float) sum;
            }
            Activations.apply(p.activation[l], z, out);
        }
        int last = p.width[p.layers];
        double f = 0;
        for (int j = 0; j < last; j++) {
            f += (double) params[p.k + c * last + j] * acts[p.layers][j];
        }
        return f;
    }

    /** grads[0] = df/da0 at the activations {@link #deepPath} kept, by backpropagation. */
    private void gradient(int c) {
        int last = p.width[p.layers];
        System.arraycopy(params, p.k + c * last, grads[p.layers], 0, last);
        for (int l = p.layers - 1; l >= 0; l--) {
            int in = p.width[l];
            int out = p.width[l + 1];
            float[] g = grads[l + 1];
            Activations.backward(p.activation[l], acts[l + 1], g, out);
            float[] below = grads[l];
            Arrays.fill(below, 0f);
            for (int o = 0; o < out; o++) {
                float go = g[o];
                if (go == 0f) {
                    continue;
                }
                int w = p.weightOffset[l] + o * in;
                for (int i = 0; i < in; i++) {
                    below[i] += go * params[w + i];
                }
            }
        }
    }

    /**
     * The deep input's attributions {@code x_i g_i} by input: the dense array as one, each numeric
     * by name, and for an embedded field each value of its bag {@code sum_d (v_jd / n) g_d}, its
     * part of the mean vector {@code x_d = sum_j v_jd / n}, so that the values add up to the field.
     */
    private void assign(float[] input, double[] g, Map<String, Double> terms) {
        int denseSize = spec.getDenseSize();
        if (denseSize > 0) {
            double dense = 0;
            for (int i = 0; i < denseSize; i++) {
                dense += input[i] * g[i];
            }
            add(terms, DENSE, dense);
        }
        List<String> numerics = spec.getNumericFeatures();
        for (int i = 0; i < numerics.size(); i++) {
            add(terms, numerics.get(i), input[denseSize + i] * g[denseSize + i]);
        }
        int[] bagStart = row.bagStart();
        int[] ids = row.bagIds();
        for (int f = 0; f < p.fields; f++) {
            int from = bagStart[f];
            int to = bagStart[f + 1];
            int dim = p.fieldDim[f];
            int col = p.fieldColumn[f];
            int table = p.tableOffset[p.fieldTable[f]];
            for (int j = from; j < to; j++) {
                double share = 0;
                for (int d = 0; d < dim; d++) {
                    share += params[table + ids[j] * dim + d] / (double) (to - from) * g[col + d];
                }
                add(terms, names.bagIds.get(j), share);
            }
        }
    }

    /** Each wide slot: its weight times its value. */
    private void wide(int c, Map<String, Double> terms) {
        int[] slots = row.slots();
        float[] values = row.slotValues();
        int base = p.hashedOffset + c * p.hashSize;
        for (int j = 0; j < row.slotStart()[1]; j++) {
            add(terms, names.slots.get(j), (double) values[j] * params[base + slots[j]]);
        }
    }

    /** Input i's half of each of its pairs: 0.5 x_i <v_i, S - x_i v_i>. */
    private void factors(Map<String, Double> terms) {
        int dim = p.factorDim;
        int[] ids = row.factorIds();
        float[] values = row.factorValues();
        int count = row.factorStart()[1];
        double[] sum = new double[dim];
        for (int j = 0; j < count; j++) {
            int base = p.factorOffset + ids[j] * dim;
            for (int d = 0; d < dim; d++) {
                sum[d] += (double) values[j] * params[base + d];
            }
        }
        for (int j = 0; j < count; j++) {
            int base = p.factorOffset + ids[j] * dim;
            double x = values[j];
            double dot = 0;
            for (int d = 0; d < dim; d++) {
                double v = params[base + d];
                dot += v * (sum[d] - x * v);
            }
            add(terms, names.factorIds.get(j), 0.5 * x * dot);
        }
    }

    private static void add(Map<String, Double> terms, String input, double value) {
        terms.merge(input, value, Double::sum);
    }
}
