package perpetua.ingest;

import org.apache.flink.api.common.typeinfo.TypeInfo;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.wire.WireFormat;

/**
 * One decoded record on its way to the Learner: an event, a late label or a model spec, with where
 * it came from.
 *
 * <p>Exactly one of {@link #event}, {@link #feedback} and {@link #spec} is set. The source position
 * and the original bytes travel along so that the Learner, which alone knows each model's spec, can
 * still turn a record it refuses into a complete dead letter. Flink hands it between operators with
 * {@link LearnerInputSerializer}; a spec travels in its single-object encoding.
 */
@TypeInfo(LearnerInputSerializer.Factory.class)
public class LearnerInput {
    private static final ThreadLocal<WireFormat.Codec<ModelSpec>> SPECS =
            ThreadLocal.withInitial(() -> WireFormat.codec(ModelSpec.class));

    /** The model this record is for: the key of the Learner. */
    public String model;

    public Event event;
    public Feedback feedback;

    /** A model spec from the control topic, single-object encoded; see {@link #spec()}. */
    public byte[] spec;

    /** Kafka timestamp of the record: when it was published. */
    public long publishedAt;

    public String topic;
    public int partition;
    public long offset;
    public byte[] payload;

    /**
     * Whether {@link #payload} is {@link #event}'s own single-object message in the current schema,
     * as decoded: the hand-over to the Learner then carries the event's bytes once, and the Learner
     * reads the event from them. Set by decoding only.
     */
    public boolean eventInPayload;

    public LearnerInput() {}

    public static LearnerInput of(Event e, SourceRecord from) {
        LearnerInput in = at(from);
        in.event = e;
        in.model = e.getModel();
        return in;
    }

    public static LearnerInput of(Feedback f, SourceRecord from) {
        LearnerInput in = at(from);
        in.feedback = f;
        in.model = f.getModel();
        return in;
    }

    public static LearnerInput of(ModelSpec s, SourceRecord from) {
        LearnerInput in = at(from);
        in.spec = SPECS.get().encode(s);
        in.model = s.getModel();
        return in;
    }

    /**
     * The event decoded from record {@code from}, whose value is the event's single-object message
     * in the current schema: see {@link #eventInPayload}.
     */
    public static LearnerInput ofPayload(Event e, SourceRecord from) {
        LearnerInput in = of(e, from);
        in.eventInPayload = from.value != null;
        return in;
    }

    /** An event that did not come from Kafka (tests, benchmarks, replays). */
    public static LearnerInput of(Event e) {
        return of(e, new SourceRecord("", 0, -1, 0L, null));
    }

    /** A late label that did not come from Kafka. */
    public static LearnerInput of(Feedback f) {
        return of(f, new SourceRecord("", 0, -1, 0L, null));
    }

    /** A spec that did not come from Kafka. */
    public static LearnerInput of(ModelSpec s) {
        return of(s, new SourceRecord("", 0, -1, 0L, null));
    }

    private static LearnerInput at(SourceRecord r) {
        LearnerInput in = new LearnerInput();
        in.publishedAt = r.timestamp;
        in.topic = r.topic;
        in.partition = r.partition;
        in.offset = r.offset;
        in.payload = r.value;
        return in;
    }

    /** The model this record is for: the key of the Learner. */
    public String model() {
        return model;
    }

    /** The spec this record carries, or null when it carries an event or a late label. */
    public ModelSpec spec() {
        if (spec == null) {
            return null;
        }
        try {
            return SPECS.get().decode(spec);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a spec the job encoded itself cannot be read", e);
        }
    }

    /** The record this input came from, for a dead letter. */
    public SourceRecord source() {
        return new SourceRecord(topic, partition, offset, publishedAt, payload);
    }
}
