package perpetua.ingest;

import java.util.List;
import java.util.Map;
import org.apache.avro.generic.PrimitivesArrays;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.wire.EventNumerics;

/**
 * Decides whether a decoded record may reach its model, and if not, says why.
 *
 * <p>The checks that need no spec run right after decoding: an id, finite values, a weight that is
 * finite and not negative. The checks that need the model's spec run in the Learner, which holds
 * the spec: the dense size and the label's range. The reason is the text of the dead letter, so it
 * names the field and the expectation.
 */
public final class EventValidator {
    /** The most items a request may ask for. */
    public static final int MAX_RECOMMEND = 1000;

    private EventValidator() {}

    /** Returns null when the event is sound whatever its model, otherwise why it is refused. */
    public static String refusal(Event e) {
        if (e.getId() == null || e.getId().isEmpty()) {
            return "missing event id";
        }
        if (e.getModel() == null || e.getModel().isEmpty()) {
            return "missing model name";
        }
        List<Float> dense = e.getDense();
        if (dense instanceof PrimitivesArrays.FloatArray floats) {
            for (int i = 0; i < floats.size(); i++) {
                float v = floats.getFloat(i);
                if (!Float.isFinite(v)) {
                    return "non-finite value " + v + " in dense[" + i + "]";
                }
            }
        } else {
            for (int i = 0; i < dense.size(); i++) {
                Float v = dense.get(i);
                if (v == null || !Float.isFinite(v)) {
                    return "non-finite value " + v + " in dense[" + i + "]";
                }
            }
        }
        if (e.getNumeric() instanceof EventNumerics numerics) {
            for (int i = 0; i < numerics.size(); i++) {
                double v = numerics.value(i);
                if (!Double.isFinite(v)) {
                    return "non-finite value " + v + " in numeric '" + numerics.name(i) + "'";
                }
            }
        } else {
            for (Map.Entry<String, Double> n : e.getNumeric().entrySet()) {
                Double v = n.getValue();
                if (v == null || !Double.isFinite(v)) {
                    return "non-finite value " + v + " in numeric '" + n.getKey() + "'";
                }
            }
        }
        float w = e.getWeight();
        if (!Float.isFinite(w) || w < 0) {
            return "weight " + w + " must be finite and not negative";
        }
        Object label = e.getLabel();
        if (label != null && !Double.isFinite(((Number) label).doubleValue())) {
            return "non-finite label " + label;
        }
        if (e.getRecommend() < 0 || e.getRecommend() > MAX_RECOMMEND) {
            return "recommend " + e.getRecommend() + " must lie in 0.." + MAX_RECOMMEND;
        }
        return null;
    }

    /** Returns null when a late label is sound whatever its model, otherwise why it is refused. */
    public static String refusal(Feedback f) {
        if (f.getEventId() == null || f.getEventId().isEmpty()) {
            return "feedback without an event id";
        }
        if (f.getModel() == null || f.getModel().isEmpty()) {
            return "feedback without a model name";
        }
        if (!Double.isFinite(((Number) f.getLabel()).doubleValue())) {
            return "non-finite label " + f.getLabel();
        }
        return null;
    }

    /** Returns null when the event fits the model's spec, otherwise why it is refused. */
    public static String refusal(ModelSpec spec, Event e) {
        List<Float> dense = e.getDense();
        if (dense.size() != spec.getDenseSize()) {
            return "wrong dense size "
                    + dense.size()
                    + ", model '"
                    + spec.getModel()
                    + "' expects "
                    + spec.getDenseSize();
        }
        if (e.getRecommend() > 0) {
            return requestRefusal(spec, e);
        }
        return e.getLabel() == null ? null : labelRefusal(spec, e.getLabel());
    }

    /** Returns null when the model can answer the request, otherwise why not. */
    private static String requestRefusal(ModelSpec spec, Event e) {
        if (spec.getItemFeature() == null) {
            return "request refused: model '"
                    + spec.getModel()
                    + "' is no recommender (its spec names no itemFeature)";
        }
        if (!e.getCategorical().containsKey(spec.getUserFeature())) {
            return "request without its user: categorical '"
                    + spec.getUserFeature()
                    + "' is missing";
        }
        return null;
    }

    /** Returns null when the label is in the model's range, otherwise why it is refused. */
    public static String labelRefusal(ModelSpec spec, Object label) {
        double value = ((Number) label).doubleValue();
        if (spec.getTask() == Task.REGRESSION) {
            return null;
        }
        int classes = spec.getTask() == Task.BINARY ? 2 : spec.getClasses();
        if (value != Math.rint(value) || value < 0 || value >= classes) {
            return "label "
                    + label
                    + " out of range: model '"
                    + spec.getModel()
                    + "' has classes 0.."
                    + (classes - 1);
        }
        return null;
    }
}
