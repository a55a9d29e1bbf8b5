package perpetua.ingest;

import java.util.Map;
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
import perpetua.schemas.ModelSpec;
import perpetua.wire.WireFormat;

/**
 * Decodes event records and lets only valid ones through; everything else becomes a dead letter.
 *
 * <p>Output: an {@link Observation} per valid event. Side output {@link #DEAD_LETTERS}: one {@link
 * DeadLetter} per refused record with its source topic, partition, offset, the reason and the
 * original bytes. Malformed bytes never throw: the job keeps running and no model sees the record.
 * Stateless.
 */
public final class DecodeAndValidate extends ProcessFunction<SourceRecord, Observation> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("deadletters", AvroTypes.of(DeadLetter.class));

    private final Map<String, ModelSpec> specs;
    private transient WireFormat.Codec<Event> codec;
    private transient EventValidator validator;
    private transient Counter refused;

    public DecodeAndValidate(Map<String, ModelSpec> specs) {
        this.specs = Map.copyOf(specs);
    }

    @Override
    public void open(OpenContext context) {
        codec = WireFormat.codec(Event.class);
        validator = new EventValidator(specs);
        refused = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public void processElement(SourceRecord record, Context ctx, Collector<Observation> out) {
        Event event;
        try {
            event = decode(record.value);
        } catch (Refused r) {
            ctx.output(DEAD_LETTERS, deadLetter(record, r.getMessage(), null, null));
            refused.inc();
            return;
        }
        String reason = validator.refusal(event);
        if (reason != null) {
            ctx.output(DEAD_LETTERS, deadLetter(record, reason, event.getModel(), event.getId()));
            refused.inc();
            return;
        }
        out.collect(new Observation(event, record.timestamp));
    }

    private Event decode(byte[] value) throws Refused {
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
                            : "a " + other.getSimpleName() + " record where an Event was expected");
        } catch (java.io.IOException | RuntimeException e) {
            throw new Refused(
                    "malformed Avro body: "
                            + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    static DeadLetter deadLetter(SourceRecord r, String reason, String model, String eventId) {
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
