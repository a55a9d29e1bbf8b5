package perpetua.ingest;

import java.util.List;
import java.util.Map;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * Decides whether a decoded event may reach its model, and if not, says why.
 *
 * <p>An event is refused when it has no id, names no known model, carries a non-finite value, a
 * dense array of the wrong size, a negative or non-finite weight, or a label outside the model's
 * task. The reason is the text of the dead letter, so it names the field and the expectation.
 */
public final class EventValidator {
    private final Map<String, ModelSpec> specs;

    public EventValidator(Map<String, ModelSpec> specs) {
        this.specs = Map.copyOf(specs);
    }

    /** Returns null when the event is valid, otherwise the reason it is refused. */
    public String refusal(Event e) {
        if (e.getId() == null || e.getId().isEmpty()) {
            return "missing event id";
        }
        ModelSpec spec = specs.get(e.getModel());
        if (spec == null) {
            return "unknown model '" + e.getModel() + "'";
        }
        List<Float> dense = e.getDense();
        if (dense.size() != spec.getDenseSize()) {
            return "wrong dense size "
                    + dense.size()
                    + ", model '"
                    + spec.getModel()
                    + "' expects "
                    + spec.getDenseSize();
        }
        for (int i = 0; i < dense.size(); i++) {
            Float v = dense.get(i);
            if (v == null || !Float.isFinite(v)) {
                return "non-finite value " + v + " in dense[" + i + "]";
            }
        }
        for (Map.Entry<String, Double> n : e.getNumeric().entrySet()) {
            Double v = n.getValue();
            if (v == null || !Double.isFinite(v)) {
                return "non-finite value " + v + " in numeric '" + n.getKey() + "'";
            }
        }
        float w = e.getWeight();
        if (!Float.isFinite(w) || w < 0) {
            return "weight " + w + " must be finite and not negative";
        }
        Object label = e.getLabel();
        return label == null ? null : labelRefusal(spec, label);
    }

    private static String labelRefusal(ModelSpec spec, Object label) {
        double value = ((Number) label).doubleValue();
        if (!Double.isFinite(value)) {
            return "non-finite label " + value;
        }
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
