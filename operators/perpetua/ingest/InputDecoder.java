package perpetua.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificRecord;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.spec.SpecRules;
import perpetua.wire.MalformedBodyException;
import perpetua.wire.WireFormat;

/**
 * Turns one raw record of the events, feedback or control topic into a {@link LearnerInput}, or
 * into a dead letter that says why not.
 *
 * <p>The checks run from the cheapest to the dearest, and none allocates in proportion to a length
 * the record merely claims: an empty value; a value over its size limit; a header that is not
 * single-object; a fingerprint of no schema of the topic's type; a body that does not match its
 * writer schema (walked before it is decoded); an id or model name over its length limit; then the
 * record's own soundness ({@link EventValidator}, {@link SpecRules}). Every dead letter is bounded
 * by the {@link RecordLimits}. Not thread-safe: each operator instance owns one.
 */
public final class InputDecoder {
    private final String feedbackTopic;
    private final String controlTopic;
    private final RecordLimits limits;
    private final WireFormat.Codec<Event> events = WireFormat.codec(Event.class);
    private final WireFormat.Codec<Feedback> feedback = WireFormat.codec(Feedback.class);
    private final WireFormat.Codec<ModelSpec> specs = WireFormat.codec(ModelSpec.class);

    /** What became of one record: exactly one of {@code input} and {@code refusal} is set. */
    public record Decoded(LearnerInput input, DeadLetter refusal) {}

    /**
     * Records of {@code feedbackTopic} and {@code controlTopic} are labels and specs; others
     * events.
     */
    public InputDecoder(String feedbackTopic, String controlTopic, RecordLimits limits) {
        this.feedbackTopic = feedbackTopic;
        this.controlTopic = controlTopic;
        this.limits = limits;
    }

    /** Decodes and checks record {@code r}; never throws for anything the record holds. */
    public Decoded decode(SourceRecord r) {
        try {
            if (r.topic.equals(controlTopic)) {
                ModelSpec s = decode(specs, r.value, ModelSpec.class, true);
                String problem = nameRefusal(s);
                if (problem == null) {
                    problem = SpecRules.problem(s);
                    problem = problem == null ? null : "refused spec: " + problem;
                }
                return problem == null
                        ? accepted(LearnerInput.of(s, r))
                        : refused(r, problem, s.getModel(), null);
            } else if (r.topic.equals(feedbackTopic)) {
                Feedback f = decode(feedback, r.value, Feedback.class, false);
                String reason = limits.idRefusal("feedback event id", f.getEventId());
                if (reason == null) {
                    reason = limits.modelNameRefusal("model name", f.getModel());
                }
                if (reason == null) {
                    reason = EventValidator.refusal(f);
                }
                return reason == null
                        ? accepted(LearnerInput.of(f, r))
                        : refused(r, reason, f.getModel(), f.getEventId());
            } else {
                Event e = decode(events, r.value, Event.class, false);
                String reason = limits.idRefusal("event id", e.getId());
                if (reason == null) {
                    reason = limits.modelNameRefusal("model name", e.getModel());
                }
                if (reason == null) {
                    reason = EventValidator.refusal(e);
                }
                return reason == null
                        ? accepted(
                                events.readsCurrent(r.value)
                                        ? LearnerInput.ofPayload(e, r)
                                        : LearnerInput.of(e, r))
                        : refused(r, reason, e.getModel(), e.getId());
            }
        } catch (Refused x) {
            return refused(r, x.getMessage(), null, null);
        }
    }

    /** The spec's name and its challengers' names are the ones that reach metrics and snapshots. */
    private String nameRefusal(ModelSpec s) {
        String reason = limits.modelNameRefusal("model name", s.getModel());
        for (ModelSpec c : s.getChallengers()) {
            if (reason == null) {
                reason = limits.modelNameRefusal("challenger name", c.getModel());
            }
        }
        return reason;
    }

    private static Decoded accepted(LearnerInput in) {
        return new Decoded(in, null);
    }

    private Decoded refused(SourceRecord r, String reason, String model, String id) {
        return new Decoded(null, limits.bound(deadLetter(r, reason, model, id)));
    }

    private <T extends SpecificRecord> T decode(
            WireFormat.Codec<T> codec, byte[] value, Class<T> type, boolean spec) throws Refused {
        if (value == null || value.length == 0) {
            throw new Refused("empty record value");
        }
        String tooLarge = limits.sizeRefusal(value.length, spec);
        if (tooLarge != null) {
            throw new Refused(tooLarge);
        }
        try {
            return codec.decode(value);
        } catch (BadHeaderException e) {
            throw new Refused("not an Avro single-object message: bad header");
        } catch (MissingSchemaException e) {
            Class<? extends SpecificRecord> other =
                    WireFormat.typeOf(WireFormat.fingerprint(value).orElse(0));
            throw new Refused(
                    other == null
                            ? "unknown schema fingerprint " + WireFormat.fingerprintHex(value)
                            : article(other.getSimpleName())
                                    + " record where "
                                    + article(type.getSimpleName())
                                    + " was expected");
        } catch (MalformedBodyException e) {
            throw new Refused("malformed Avro body: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new Refused(
                    "malformed Avro body: "
                            + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    private static String article(String noun) {
        return ("AEIOU".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun;
    }

    /**
     * A dead letter for record {@code r} with its whole value; {@code model} and {@code eventId}
     * may be null. {@link RecordLimits#bound} cuts it to size.
     */
    public static DeadLetter deadLetter(
            SourceRecord r, String reason, String model, String eventId) {
        byte[] value = r.value == null ? new byte[0] : r.value;
        return DeadLetter.newBuilder()
                .setSourceTopic(r.topic)
                .setPartition(r.partition)
                .setOffset(r.offset)
                .setTime(System.currentTimeMillis())
                .setReason(reason)
                .setModel(model)
                .setEventId(eventId)
                .setPayload(ByteBuffer.wrap(value))
                .setPayloadBytes(value.length)
                .build();
    }

    private static final class Refused extends Exception {
        Refused(String reason) {
            super(reason, null, false, false);
        }
    }
}
