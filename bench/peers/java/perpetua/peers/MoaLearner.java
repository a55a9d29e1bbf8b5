package perpetua.peers;

import com.yahoo.labs.samoa.instances.Attribute;
import com.yahoo.labs.samoa.instances.DenseInstance;
import com.yahoo.labs.samoa.instances.Instance;
import com.yahoo.labs.samoa.instances.Instances;
import com.yahoo.labs.samoa.instances.InstancesHeader;
import com.yahoo.labs.samoa.instances.SparseInstance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import moa.classifiers.Classifier;
import perpetua.features.OnlineStandardizer;
import perpetua.schemas.Event;
import perpetua.schemas.Task;

/**
 * A MOA classifier or regressor as a {@link StreamLearner}.
 *
 * <p>Two encodings of an {@link Event} into a MOA instance:
 *
 * <ul>
 *   <li>{@link #nominal}: dense pixels and numeric features as numeric attributes (raw), each
 *       categorical feature as one nominal attribute (the way trees and Naive Bayes take them).
 *   <li>{@link #oneHot}: for MOA's linear SGD, which multiplies every attribute value by a weight:
 *       numeric and dense features standardized online (running mean and variance, as Perpetua's
 *       Learner does, since MOA's SGD has no scaling of its own), each categorical value a 0/1
 *       attribute; a sparse instance.
 * </ul>
 *
 * <p>Class votes are made probabilities by dividing by their sum (uniform when all are zero).
 */
final class MoaLearner implements StreamLearner {
    private final String name;
    private final Classifier classifier;
    private final Task task;
    private final int classes;
    private final Encoder encoder;

    private interface Encoder {
        /** The event as an instance; {@code learning}: its features may move running moments. */
        Instance encode(Event e, boolean learning);
    }

    private MoaLearner(String name, Classifier classifier, PeerStream stream, Encoder encoder) {
        this.name = name;
        this.classifier = classifier;
        this.task = stream.task;
        this.classes = stream.classes;
        this.encoder = encoder;
    }

    /**
     * Wraps {@code classifier} (options set by the MOA command-line string {@code options}) for
     * {@code stream}, categoricals as nominal attributes.
     */
    static MoaLearner nominal(String name, Classifier classifier, String options, PeerStream s) {
        List<Attribute> attributes = new ArrayList<>();
        for (int i = 0; i < s.denseSize; i++) {
            attributes.add(new Attribute("p" + i));
        }
        s.numeric.forEach(f -> attributes.add(new Attribute(f)));
        List<Map<String, Integer>> valueIndex = new ArrayList<>();
        List<String> categorical = new ArrayList<>(s.categories.keySet());
        for (String c : categorical) {
            List<String> values = s.categories.get(c);
            attributes.add(new Attribute(c, values));
            Map<String, Integer> index = new HashMap<>();
            for (int v = 0; v < values.size(); v++) {
                index.put(values.get(v), v);
            }
            valueIndex.add(index);
        }
        attributes.add(classAttribute(s));
        InstancesHeader header = header(s, attributes);
        int size = attributes.size();
        Encoder encoder =
                (e, learning) -> {
                    double[] values = new double[size];
                    int a = 0;
                    for (Float p : e.getDense()) {
                        values[a++] = p;
                    }
                    for (String f : s.numeric) {
                        values[a++] = e.getNumeric().get(f);
                    }
                    for (int c = 0; c < categorical.size(); c++) {
                        values[a++] =
                                valueIndex.get(c).get(e.getCategorical().get(categorical.get(c)));
                    }
                    values[a] = PeerStream.label(e);
                    Instance inst = new DenseInstance(1.0, values);
                    inst.setDataset(header);
                    return inst;
                };
        return new MoaLearner(name, prepare(classifier, options, header), s, encoder);
    }

    /**
     * Wraps a linear {@code classifier} for {@code stream}: standardized numerics, one-hot values.
     */
    static MoaLearner oneHot(String name, Classifier classifier, String options, PeerStream s) {
        List<Attribute> attributes = new ArrayList<>();
        for (int i = 0; i < s.denseSize; i++) {
            attributes.add(new Attribute("p" + i));
        }
        s.numeric.forEach(f -> attributes.add(new Attribute(f)));
        int numericCount = attributes.size();
        List<String> categorical = new ArrayList<>(s.categories.keySet());
        List<Map<String, Integer>> slot = new ArrayList<>();
        for (String c : categorical) {
            Map<String, Integer> index = new HashMap<>();
            for (String v : s.categories.get(c)) {
                index.put(v, attributes.size());
                attributes.add(new Attribute(c + "=" + v));
            }
            slot.add(index);
        }
        attributes.add(classAttribute(s));
        InstancesHeader header = header(s, attributes);
        int size = attributes.size();
        int classIndex = size - 1;
        OnlineStandardizer moments = new OnlineStandardizer(numericCount);
        Encoder encoder =
                (e, learning) -> {
                    int nonZero = numericCount + categorical.size() + 1;
                    double[] values = new double[nonZero];
                    int[] indices = new int[nonZero];
                    int a = 0;
                    for (Float p : e.getDense()) {
                        if (learning) {
                            moments.update(a, p);
                        }
                        indices[a] = a;
                        values[a] = moments.standardize(a, p);
                        a++;
                    }
                    for (String f : s.numeric) {
                        double x = e.getNumeric().get(f);
                        if (learning) {
                            moments.update(a, x);
                        }
                        indices[a] = a;
                        values[a] = moments.standardize(a, x);
                        a++;
                    }
                    int[] hot = new int[categorical.size()];
                    for (int c = 0; c < categorical.size(); c++) {
                        hot[c] = slot.get(c).get(e.getCategorical().get(categorical.get(c)));
                    }
                    Arrays.sort(hot);
                    for (int h : hot) {
                        indices[a] = h;
                        values[a++] = 1.0;
                    }
                    indices[a] = classIndex;
                    values[a] = PeerStream.label(e);
                    Instance inst = new SparseInstance(1.0, values, indices, size);
                    inst.setDataset(header);
                    return inst;
                };
        return new MoaLearner(name, prepare(classifier, options, header), s, encoder);
    }

    private static Attribute classAttribute(PeerStream s) {
        if (s.task == Task.REGRESSION) {
            return new Attribute("label");
        }
        List<String> values = new ArrayList<>();
        for (int k = 0; k < s.classes; k++) {
            values.add(String.valueOf(k));
        }
        return new Attribute("label", values);
    }

    private static InstancesHeader header(PeerStream s, List<Attribute> attributes) {
        Instances instances = new Instances(s.name, attributes, 0);
        instances.setClassIndex(attributes.size() - 1);
        return new InstancesHeader(instances);
    }

    private static Classifier prepare(Classifier c, String options, InstancesHeader header) {
        if (!options.isBlank()) {
            c.getOptions().setViaCLIString(options);
        }
        c.setModelContext(header);
        c.prepareForUse();
        return c;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] predict(Event event) {
        return scores(classifier.getVotesForInstance(encoder.encode(event, false)));
    }

    @Override
    public void learn(Event event) {
        classifier.trainOnInstance(encoder.encode(event, true));
    }

    @Override
    public double[] predictThenLearn(Event event) {
        // One encoding for both calls; the one-hot encoder's moments must move once per event.
        Instance inst = encoder.encode(event, true);
        double[] scores = scores(classifier.getVotesForInstance(inst));
        classifier.trainOnInstance(inst);
        return scores;
    }

    private double[] scores(double[] votes) {
        if (task == Task.REGRESSION) {
            return new double[] {votes.length > 0 ? votes[0] : 0.0};
        }
        double[] p = new double[classes];
        double sum = 0;
        for (int k = 0; k < Math.min(classes, votes.length); k++) {
            double v = votes[k];
            if (v > 0 && Double.isFinite(v)) {
                p[k] = v;
                sum += v;
            }
        }
        if (sum > 0 && Double.isFinite(sum)) {
            for (int k = 0; k < classes; k++) {
                p[k] /= sum;
            }
        } else {
            Arrays.fill(p, 1.0 / classes);
        }
        return p;
    }
}
