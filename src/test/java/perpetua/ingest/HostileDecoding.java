package perpetua.ingest;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.testing.HostileRecords;
import perpetua.wire.WireFormat;

/**
 * Decodes records whose length prefixes claim gigabytes, first with Avro's message decoder alone,
 * then as the job does; run in a JVM with a small heap by {@link SmallHeapDecodingTest}.
 *
 * <p>Prints one line per record: its name, what Avro alone did, and the dead letter's reason (or
 * {@code accepted}), separated by tabs.
 */
public final class HostileDecoding {
    private HostileDecoding() {}

    private record Hostile(String topic, Class<? extends SpecificRecord> type, byte[] bytes) {}

    public static void main(String[] args) {
        long claim = HostileRecords.GIGABYTES;
        Map<String, Hostile> records = new LinkedHashMap<>();
        records.put(
                "event id",
                new Hostile("events", Event.class, HostileRecords.eventIdClaiming(claim)));
        records.put(
                "event dense",
                new Hostile("events", Event.class, HostileRecords.eventDenseClaiming(claim)));
        records.put(
                "event dense block",
                new Hostile("events", Event.class, HostileRecords.eventDenseBlockClaiming(claim)));
        records.put(
                "event numeric",
                new Hostile("events", Event.class, HostileRecords.eventNumericClaiming(claim)));
        records.put(
                "feedback event id",
                new Hostile("feedback", Feedback.class, HostileRecords.feedbackIdClaiming(claim)));
        records.put(
                "spec numeric features",
                new Hostile(
                        "control", ModelSpec.class, HostileRecords.specFeaturesClaiming(claim)));
        records.put(
                "clean event",
                new Hostile(
                        "events",
                        Event.class,
                        HostileRecords.encode(
                                Event.newBuilder().setId("e").setModel("m").setTime(1L).build())));

        InputDecoder decoder = new InputDecoder("feedback", "control", RecordLimits.DEFAULTS);
        long offset = 0;
        for (Map.Entry<String, Hostile> e : records.entrySet()) {
            Hostile h = e.getValue();
            String alone = avroAlone(h);
            InputDecoder.Decoded d =
                    decoder.decode(new SourceRecord(h.topic(), 0, offset++, 0L, h.bytes()));
            System.out.println(
                    e.getKey()
                            + "\t"
                            + alone
                            + "\t"
                            + (d.refusal() == null ? "accepted" : d.refusal().getReason()));
        }
    }

    private static String avroAlone(Hostile h) {
        try {
            new BinaryMessageDecoder<SpecificRecord>(
                            SpecificData.getForClass(h.type()), WireFormat.schemaOf(h.type()))
                    .decode(h.bytes());
            return "decoded";
        } catch (OutOfMemoryError e) {
            return "OutOfMemoryError: " + e.getMessage();
        } catch (Exception e) {
            return e.getClass().getSimpleName();
        }
    }
}
