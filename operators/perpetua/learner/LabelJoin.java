package perpetua.learner;

import org.apache.flink.api.common.state.MapState;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * The delayed-label join of the current model: served events waiting for their labels, labels
 * waiting for their events, and what happens when either wait ends.
 *
 * <p>A served unlabelled event waits {@code labelWaitMs} with the predictions served for it; its
 * label joins it as a late row of the open batch, and when the wait expires the spec's implicit
 * label does, or nothing. A label that comes before its event (a replay reads both topics at once)
 * waits as long for the event, and becomes a dead letter if it never comes. Each waiting entry has
 * one timer; state is bounded by wait × rate. The model's count of waiting entries changes only
 * here, by {@link ModelRuntime#labelParked} and {@link ModelRuntime#labelSettled}.
 */
final class LabelJoin {
    /** Timer namespaces: a served event waiting for its label, a label waiting for its event. */
    static final String WAITING = "e:";

    static final String EARLY = "l:";

    /** Finds the live model of a name, restoring or creating it as the life cycle does. */
    interface Models {
        ModelRuntime find(String name) throws Exception;
    }

    private final MapState<String, ServedEvent> waiting;
    private final MapState<String, EarlyLabel> early;
    private final LearnerOutput out;

    LabelJoin(
            MapState<String, ServedEvent> waiting,
            MapState<String, EarlyLabel> early,
            LearnerOutput out) {
        this.waiting = waiting;
        this.early = early;
        this.out = out;
    }

    /** Whether a timer namespace belongs to the join. */
    static boolean owns(String namespace) {
        return namespace.startsWith(WAITING) || namespace.startsWith(EARLY);
    }

    /** The event with {@code label} as its label, typed as the model's task reads it. */
    static Event labelled(ModelSpec spec, Event e, float label) {
        Object value =
                spec.getTask() == Task.REGRESSION ? (Object) (double) label : (Object) (int) label;
        // Shares every field, which nobody changes, instead of the builder's deep copy of each;
        // field by field by position, so that a field the schema gains is carried too.
        Event labelled = new Event();
        int fields = Event.getClassSchema().getFields().size();
        for (int f = 0; f < fields; f++) {
            labelled.put(f, e.get(f));
        }
        labelled.setLabel(value);
        return labelled;
    }

    /** An event of {@code m} arrives: an unlabelled one takes the label that came before it. */
    Event withEarlyLabel(ModelRuntime m, Event e) throws Exception {
        if (e.getLabel() != null || m.spec().getLabelWaitMs() <= 0) {
            return e;
        }
        EarlyLabel label = early.get(e.getId());
        if (label == null) {
            return e;
        }
        early.remove(e.getId());
        out.cancel(EARLY + e.getId(), label.expiresAt);
        m.labelSettled();
        return labelled(m.spec(), e, (float) label.label);
    }

    /**
     * A label of {@code m} arrives. It joins its served event when that waits; otherwise it waits
     * for the event, or becomes a dead letter when the model does not wait for labels or a label
     * for that event waits already.
     *
     * @return the late row to add to the open batch, or null
     */
    ModelRuntime.Joined label(ModelRuntime m, LearnerInput in) throws Exception {
        Feedback f = in.feedback;
        String id = f.getEventId();
        ServedEvent served = waiting.get(id);
        if (served == null) {
            long wait = m.spec().getLabelWaitMs();
            if (wait > 0 && !early.contains(id)) {
                // Perhaps the event is still on its way: a replay reads both topics at once.
                EarlyLabel label = new EarlyLabel();
                label.label = ((Number) f.getLabel()).doubleValue();
                label.expiresAt = out.now() + wait;
                label.topic = in.topic;
                label.partition = in.partition;
                label.offset = in.offset;
                label.publishedAt = in.publishedAt;
                label.payload = in.payload;
                early.put(id, label);
                out.wakeAt(EARLY + id, label.expiresAt);
                m.labelParked();
                return null;
            }
            unmatched(m, in, id);
            return null;
        }
        waiting.remove(id);
        out.cancel(WAITING + id, served.expiresAt);
        m.labelSettled();
        return new ModelRuntime.Joined(
                served.event,
                ((Number) f.getLabel()).floatValue(),
                served.event.getWeight(),
                served);
    }

    /** A served unlabelled event of {@code m} waits for its label until {@code expiresAt}. */
    void park(ModelRuntime m, ServedEvent served) throws Exception {
        String id = served.event.getId();
        if (!waiting.contains(id)) {
            m.labelParked();
        }
        waiting.put(id, served);
        out.wakeAt(WAITING + id, served.expiresAt);
    }

    /**
     * A wait of the join ended: a served event learns the implicit label or is forgotten; a label
     * that found no event becomes a dead letter.
     *
     * @return the late row of an implicit label, or null
     */
    ModelRuntime.Joined expired(String model, String namespace, Models models) throws Exception {
        if (namespace.startsWith(EARLY)) {
            earlyLabelExpired(model, namespace.substring(EARLY.length()), models);
            return null;
        }
        String id = namespace.substring(WAITING.length());
        ServedEvent served = waiting.get(id);
        if (served == null) {
            return null;
        }
        waiting.remove(id);
        ModelRuntime m = models.find(model);
        if (m == null) {
            return null;
        }
        m.labelSettled();
        out.counters(model).labelsExpired.inc();
        Double implicit = m.spec().getImplicitLabel();
        if (implicit == null) {
            return null;
        }
        return new ModelRuntime.Joined(
                served.event, implicit.floatValue(), served.event.getWeight(), served);
    }

    /** The model retired: nothing of it waits any more. */
    void clear() {
        waiting.clear();
        early.clear();
    }

    private void earlyLabelExpired(String model, String eventId, Models models) throws Exception {
        EarlyLabel label = early.get(eventId);
        if (label == null) {
            return;
        }
        early.remove(eventId);
        ModelRuntime m = models.find(model);
        LearnerInput in = new LearnerInput();
        in.model = model;
        in.topic = label.topic;
        in.partition = label.partition;
        in.offset = label.offset;
        in.publishedAt = label.publishedAt;
        in.payload = label.payload;
        in.feedback =
                Feedback.newBuilder()
                        .setEventId(eventId)
                        .setModel(model)
                        .setTime(label.publishedAt)
                        .setLabel(label.label)
                        .build();
        if (m != null) {
            m.labelSettled();
        }
        unmatched(m, in, eventId);
    }

    /** A label that finds no event: a dead letter. */
    void unmatched(ModelRuntime m, LearnerInput in, String eventId) {
        if (m != null) {
            out.counters(m.name()).feedbackUnmatched.inc();
        }
        out.refuse(
                in,
                "no event '"
                        + eventId
                        + "' waits for a label in model '"
                        + in.model
                        + "' (never seen, labelled already, or its wait expired)");
    }
}
