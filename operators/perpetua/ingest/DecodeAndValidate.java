package perpetua.ingest;

import java.io.IOException;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.spec.SpecRules;
import perpetua.wire.WireFormat;

/**
 * Decodes the records of the events, feedback and control topics and lets only sound ones through;
 * everything else becomes a dead letter.
 *
 * <p>Output: a {@link LearnerInput} per sound record, by its topic an {@link Event}, a {@link
 * Feedback} or a {@link ModelSpec}. Side output {@link #DEAD_LETTERS}: one {@link DeadLetter} per
 * refused record with its source topic, partition, offset, the reason and the original bytes.
 * Malformed bytes never throw: the job keeps running and no model sees the record. Checks that need
 * a model's spec happen in the Learner. Stateless.
 */
public final class DecodeAndValidate extends ProcessFunction<SourceRecord, LearnerInput> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("deadletters", AvroTypes.of(DeadLetter.class));

    private final String feedbackTopic;
    private final String controlTopic;
    private transient WireFormat.Codec<Event> events;
    private transient WireFormat.Codec<Feedback> feedback;
    private transient WireFormat.Codec<ModelSpec> specs;
    private transient Counter refused;

    /**
     * Records of {@code feedbackTopic} and {@code controlTopic} are labels and specs; others
     * events.
     */
    public DecodeAndValidate(String feedbackTopic, String controlTopic) {
        this.feedbackTopic = feedbackTopic;
        this.controlTopic = controlTopic;
    }

    @Override
    public void open(OpenContext context) {
        events = WireFormat.codec(Event.class);
        feedback = WireFormat.codec(Feedback.class);
        specs = WireFormat.codec(ModelSpec.class);
        refused = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public void processElement(SourceRecord r, Context ctx, Collector<LearnerInput> out) {
        try {
            if (r.topic.equals(controlTopic)) {
                ModelSpec s = decode(specs, r.value, ModelSpec.class);
                String problem = SpecRules.problem(s);
                if (problem != null) {
                    refuse(ctx, r, "refused spec: " + problem, s.getModel(), null);
                    return;
                }
                out.collect(LearnerInput.of(s, r));
            } else if (r.topic.equals(feedbackTopic)) {
                Feedback f = decode(feedback, r.value, Feedback.class);
                String reason = EventValidator.refusal(f);
                if (reason != null) {
                    refuse(ctx, r, reason, f.getModel(), f.getEventId());
                    return;
                }
                out.collect(LearnerInput.of(f, r));
            } else {
                Event e = decode(events, r.value, Event.class);
                String reason = EventValidator.refusal(e);
                if (reason != null) {
                    refuse(ctx, r, reason, e.getModel(), e.getId());
                    return;
                }
                out.collect(LearnerInput.of(e, r));
            }
        } catch (Refused x) {
            refuse(ctx, r, x.getMessage(), null, null);
        }
    }

    private void refuse(Context ctx, SourceRecord r, String reason, String model, String id) {
        ctx.output(DEAD_LETTERS, deadLetter(r, reason, model, id));
        refused.inc();
    }

    private static <T extends SpecificRecord> T decode(
            WireFormat.Codec<T> codec, byte[] value, Class<T> type) throws Refused {
        if (value == null || value.length == 0) {
            throw new Refused("empty record value");
        }
        try {
            return codec.decode(value);
        } catch (BadHeaderException e) {
            throw new Refused("not an Avro single-object message: bad header");
        } catch (MissingSchemaException e) {
            long fp = WireFormat.fingerprint(value).orElse(0);
            Class<? extends SpecificRecord> other = WireFormat.typeOf(fp);
            throw new Refused(
                    other == null
                            ? "unknown schema fingerprint " + String.format("%016x", fp)
                            : "a "
                                    + other.getSimpleName()
                                    + " record where a "
                                    + type.getSimpleName()
                                    + " was expected");
        } catch (IOException | RuntimeException e) {
            throw new Refused(
                    "malformed Avro body: "
                            + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    /** A dead letter for record {@code r}; {@code model} and {@code eventId} may be null. */
    public static DeadLetter deadLetter(
            SourceRecord r, String reason, String model, String eventId) {
        return DeadLetter.newBuilder()
                .setSourceTopic(r.topic)
                .setPartition(r.partition)
                .setOffset(r.offset)
                .setTime(System.currentTimeMillis())
                .setReason(reason)
                .setModel(model)
                .setEventId(eventId)
                .setPayload(java.nio.ByteBuffer.wrap(r.value == null ? new byte[0] : r.value))
                .build();
    }

    private static final class Refused extends Exception {
        Refused(String reason) {
            super(reason, null, false, false);
        }
    }
}
